package analyze

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
)

// controlLabel is the title and severity a control's findings carry (controlSeenSQL); NULL when
// none has one.
type controlLabel struct{ title, severity sql.NullString }

// controlLabels reads controlSeenSQL for the controls ids of snapshot sid. The catalog labels
// nearly every control, and each read is a pass over the snapshot's findings (0.3 to 0.5 s at
// 1,000,000, under load), so the labels are read for the controls the catalog leaves without a
// title or severity only, and not at all when there are none.
func (a *analyzer) controlLabels(ctx context.Context, sid int64, ids map[string]bool) (map[string]controlLabel, error) {
	out := map[string]controlLabel{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{sid}
	var params []string
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		args = append(args, id)
		params = append(params, fmt.Sprintf("$%d", len(args)))
	}
	rows, err := a.db().QueryContext(ctx, `SELECT * FROM (`+controlSeenSQL+`) WHERE control_id IN (`+strings.Join(params, ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var l controlLabel
		if err := rows.Scan(&id, &l.title, &l.severity); err != nil {
			return nil, err
		}
		out[id] = l
	}
	return out, rows.Err()
}

// labelled: the catalog gives the control this label (title or severity).
func labelled(s sql.NullString) bool { return s.Valid && s.String != "" }

// orLabel is the catalog's label, else the findings' (controlLabels), else empty.
func orLabel(cat, seen sql.NullString) string {
	switch {
	case labelled(cat):
		return cat.String
	case seen.Valid:
		return seen.String
	}
	return ""
}

// controlSeenSQL gives, per control of snapshot $1, the title and severity its findings carry,
// for a control the snapshot's catalog does not know (AWS added it after the catalog was written,
// or catalog.path names an older file): those of its most recently updated finding, archived and
// suppressed ones included, since the label is the control's whatever the finding's state; ties go
// to the greater value, so the choice never depends on row order.
const controlSeenSQL = `
SELECT control_id,
       arg_max(title, (updated_at, title)) FILTER (WHERE title <> '') AS title,
       arg_max(severity_label, (updated_at, severity_label)) FILTER (WHERE severity_label <> '') AS severity
FROM snapshot_findings($1) WHERE control_id <> '' GROUP BY control_id`

// controlStatuses fills Report.Controls: for every reported standard, every control of the
// snapshot's catalog and every control findings name, its organization status by AWS's rule and
// how many accounts it passed, failed or was unknown in.
func (a *analyzer) controlStatuses(ctx context.Context, r *report.Report) error {
	order := map[string]int{}
	for i, s := range r.Standards {
		order[s.ID] = i
	}
	// Per account first (statusSQL over the account's findings of the control), then the
	// organization: AWS's precedence over all findings is the same precedence over the accounts'
	// statuses, so both come from one pass.
	// Read before the statuses' rows are opened: a scoped analysis runs on one connection, which
	// holds one open result at a time.
	dis, err := a.disabledEverywhere(ctx)
	if err != nil {
		return err
	}
	conn, release, err := a.accountControls(ctx)
	if err != nil {
		return err
	}
	defer release()
	// The account statuses (accountControls) leave out the findings where the control is
	// disabled (see disabled.go) and keep the controls the catalog disables, listed as such.
	rows, err := conn.QueryContext(ctx, `
WITH per_account AS (
  SELECT standard_id, control_id, account_id, `+unrankSQL("r")+` AS status, last FROM report_account_controls),
observed AS (
  SELECT standard_id, control_id,
         CASE WHEN bool_or(status = 'FAILED') THEN 'FAILED' WHEN bool_or(status = 'UNKNOWN') THEN 'UNKNOWN'
              WHEN bool_or(status = 'PASSED') THEN 'PASSED' ELSE 'NO_DATA' END AS status,
         count(*) FILTER (WHERE status = 'PASSED') AS passed,
         count(*) FILTER (WHERE status = 'FAILED') AS failed,
         count(*) FILTER (WHERE status = 'UNKNOWN') AS unknown,
         max(last) AS last
  FROM per_account GROUP BY ALL),
cat AS (SELECT standard_id, control_id, title, severity, disabled FROM snapshot_controls WHERE snapshot_id = $1)
SELECT standard_id, control_id, c.title, c.severity,
       CASE WHEN c.disabled THEN 'DISABLED' ELSE coalesce(o.status, 'NO_DATA') END,
       CASE WHEN c.disabled THEN 0 ELSE coalesce(o.passed, 0) END,
       CASE WHEN c.disabled THEN 0 ELSE coalesce(o.failed, 0) END,
       CASE WHEN c.disabled THEN 0 ELSE coalesce(o.unknown, 0) END,
       o.last
FROM cat c FULL JOIN observed o USING (standard_id, control_id)`, a.snap.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	r.Controls = []report.ControlStatus{}
	var cat [][2]sql.NullString // the catalog's title and severity of each of r.Controls
	unlabelled := map[string]bool{}
	for rows.Next() {
		var c report.ControlStatus
		var title, severity sql.NullString
		var last sql.NullTime
		if err := rows.Scan(&c.StandardID, &c.ControlID, &title, &severity, &c.Status,
			&c.AccountsPassed, &c.AccountsFailed, &c.AccountsUnknown, &last); err != nil {
			return err
		}
		if _, ok := order[c.StandardID]; !ok {
			continue // a standard of the catalog no finding belongs to is not reported
		}
		c.LastEvaluated = nullableTime(last)
		if dis.org[[2]string{c.StandardID, c.ControlID}] {
			c.Status = "DISABLED" // disabled in every collected account and region
		}
		r.Controls = append(r.Controls, c)
		cat = append(cat, [2]sql.NullString{title, severity})
		if !labelled(title) || !labelled(severity) {
			unlabelled[c.ControlID] = true
		}
	}
	// Closed before the labels are read: the analysis's connection holds one result at a time.
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	labels, err := a.controlLabels(ctx, a.snap.ID, unlabelled)
	if err != nil {
		return err
	}
	for i := range r.Controls {
		c := &r.Controls[i]
		c.Title, c.Severity = orLabel(cat[i][0], labels[c.ControlID].title), orLabel(cat[i][1], labels[c.ControlID].severity)
	}
	slices.SortFunc(r.Controls, func(x, y report.ControlStatus) int {
		if d := order[x.StandardID] - order[y.StandardID]; d != 0 {
			return d
		}
		return model.CompareControlIDs(x.ControlID, y.ControlID)
	})
	return nil
}
