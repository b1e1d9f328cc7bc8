package analyze

import (
	"context"
	"database/sql"
	"slices"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
)

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
seen AS (`+controlSeenSQL+`),
cat AS (SELECT standard_id, control_id, title, severity, disabled FROM snapshot_controls WHERE snapshot_id = $1)
SELECT standard_id, control_id, coalesce(nullif(c.title, ''), seen.title, ''), coalesce(nullif(c.severity, ''), seen.severity, ''),
       CASE WHEN c.disabled THEN 'DISABLED' ELSE coalesce(o.status, 'NO_DATA') END,
       CASE WHEN c.disabled THEN 0 ELSE coalesce(o.passed, 0) END,
       CASE WHEN c.disabled THEN 0 ELSE coalesce(o.failed, 0) END,
       CASE WHEN c.disabled THEN 0 ELSE coalesce(o.unknown, 0) END,
       o.last
FROM cat c FULL JOIN observed o USING (standard_id, control_id) LEFT JOIN seen USING (control_id)`, a.snap.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	r.Controls = []report.ControlStatus{}
	for rows.Next() {
		var c report.ControlStatus
		var last sql.NullTime
		if err := rows.Scan(&c.StandardID, &c.ControlID, &c.Title, &c.Severity, &c.Status,
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
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(r.Controls, func(x, y report.ControlStatus) int {
		if d := order[x.StandardID] - order[y.StandardID]; d != 0 {
			return d
		}
		return model.CompareControlIDs(x.ControlID, y.ControlID)
	})
	return nil
}
