package analyze

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

// severityRank orders severity labels for ranking ties.
var severityRank = map[string]int{"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1, "INFORMATIONAL": 0}

// controlAccountsSQL counts, per control, the accounts and resources where the control is FAILED in
// snapshot $1, over all the control's findings whatever the standard (ACTIVE, not SUPPRESSED).
const controlAccountsSQL = `
SELECT f.control_id,
       count(DISTINCT f.account_id) AS failed_accounts,
       count(DISTINCT (f.account_id, f.region, f.resource_id)) AS failed_resources
` + failingControlFindingsSQL + `
GROUP BY f.control_id`

// failingControlFindingsSQL is the FROM and WHERE of the findings that make a control FAILED in
// snapshot $1 (aliased f): ACTIVE, not SUPPRESSED, FAILED, and enabled there. The top failed
// controls and the remediation plan both count from it.
const failingControlFindingsSQL = `FROM snapshot_findings($1) f ` + disabledJoin + `
WHERE f.control_id <> '' AND f.record_state = 'ACTIVE' AND f.workflow_status <> 'SUPPRESSED'
  AND f.compliance_status = 'FAILED' AND ` + notDisabled + `
  -- A control disabled in every standard that catalogs it is out of scope.
  AND f.control_id NOT IN (SELECT control_id FROM snapshot_controls WHERE snapshot_id = $1
                         GROUP BY control_id HAVING bool_and(disabled))`

type controlFailures struct {
	accounts, resources int
}

func (a *analyzer) controlFailures(ctx context.Context, sid int64) (map[string]controlFailures, error) {
	if sid == a.snap.ID && a.failures != nil {
		return a.failures, nil
	}
	rows, err := a.db().QueryContext(ctx, controlAccountsSQL, sid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]controlFailures{}
	for rows.Next() {
		var id string
		var c controlFailures
		if err := rows.Scan(&id, &c.accounts, &c.resources); err != nil {
			return nil, err
		}
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if sid == a.snap.ID {
		a.failures = out
	}
	return out, nil
}

// controlInfo is a control's title, severity and standards: from the snapshot's catalog, else from
// its findings (a control AWS added after our catalog was written still gets a name).
type controlInfo struct {
	title, severity string
	standards       []string
}

func (a *analyzer) controlInfos(ctx context.Context, sid int64) (map[string]controlInfo, error) {
	if sid == a.snap.ID && a.infos != nil {
		return a.infos, nil
	}
	rows, err := a.db().QueryContext(ctx, `
WITH cat AS (SELECT control_id, any_value(title) AS title, any_value(severity) AS severity,
                    list(DISTINCT standard_id ORDER BY standard_id) AS stds
             FROM snapshot_controls WHERE snapshot_id = $1 GROUP BY control_id),
-- Each control's standards from the distinct lists its findings carry (a few per control):
-- listing every finding's first took 1.1 s against 0.4 s at 1,000,000 findings, under load.
seen AS (SELECT control_id, list_sort(list_distinct(flatten(list(standards)))) AS stds
         FROM (SELECT DISTINCT control_id, standards FROM snapshot_states($1) WHERE control_id <> '') GROUP BY control_id)
SELECT control_id, cat.title, cat.severity,
       list_sort(list_distinct(list_concat(coalesce(cat.stds, []), coalesce(seen.stds, []))))
FROM cat FULL JOIN seen USING (control_id)`, sid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]controlInfo{}
	cat := map[string][2]sql.NullString{}
	unlabelled := map[string]bool{}
	for rows.Next() {
		var id string
		var ci controlInfo
		var title, severity sql.NullString
		var stds []any
		if err := rows.Scan(&id, &title, &severity, &stds); err != nil {
			return nil, err
		}
		for _, s := range stds {
			if str, ok := s.(string); ok {
				ci.standards = append(ci.standards, str)
			}
		}
		out[id], cat[id] = ci, [2]sql.NullString{title, severity}
		if !labelled(title) || !labelled(severity) {
			unlabelled[id] = true
		}
	}
	// Closed before the labels are read: the analysis's connection holds one result at a time.
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	labels, err := a.controlLabels(ctx, sid, unlabelled)
	if err != nil {
		return nil, err
	}
	for id, ci := range out {
		ci.title, ci.severity = orLabel(cat[id][0], labels[id].title), orLabel(cat[id][1], labels[id].severity)
		out[id] = ci
	}
	if sid == a.snap.ID {
		a.infos = out
	}
	return out, nil
}

// snapshotNear returns the snapshot taken nearest to t within a day either side, before snapshot
// sid; ok is false when there is none.
func (a *analyzer) snapshotNear(ctx context.Context, t time.Time) (id int64, ok bool, err error) {
	err = a.db().QueryRowContext(ctx, `SELECT id FROM snapshots
		WHERE taken_at BETWEEN $1::TIMESTAMP - INTERVAL 1 DAY AND $1::TIMESTAMP + INTERVAL 1 DAY AND id <> $2
		  AND taken_at < $3
		ORDER BY abs(epoch(taken_at) - epoch($1::TIMESTAMP)), id DESC LIMIT 1`, t.UTC(), a.snap.ID, a.snap.TakenAt.UTC()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// topFailed ranks controls by accounts failing, then severity, then failed resources.
func (a *analyzer) topFailed(ctx context.Context, r *report.Report) error {
	now, err := a.controlFailures(ctx, a.snap.ID)
	if err != nil {
		return err
	}
	infos, err := a.controlInfos(ctx, a.snap.ID)
	if err != nil {
		return err
	}
	var before map[string]controlFailures
	prev, ok, err := a.snapshotNear(ctx, a.snap.TakenAt.Add(-a.opt.ChangeWindow))
	if err != nil {
		return err
	}
	if ok {
		if before, err = a.controlFailures(ctx, prev); err != nil {
			return err
		}
	}
	r.TopFailedControls = []report.FailedControl{}
	for id, c := range now {
		info := infos[id]
		fc := report.FailedControl{ControlID: id, Title: info.title, Severity: info.severity,
			FailedAccounts: c.accounts, TotalAccounts: a.snap.AccountsCollected,
			FailedResources: c.resources, Standards: info.standards}
		if fc.Standards == nil {
			fc.Standards = []string{}
		}
		if before != nil {
			d := c.accounts - before[id].accounts
			fc.Change7d = &d
		}
		r.TopFailedControls = append(r.TopFailedControls, fc)
	}
	sort.Slice(r.TopFailedControls, func(i, j int) bool {
		x, y := r.TopFailedControls[i], r.TopFailedControls[j]
		if x.FailedAccounts != y.FailedAccounts {
			return x.FailedAccounts > y.FailedAccounts
		}
		if sx, sy := severityRank[x.Severity], severityRank[y.Severity]; sx != sy {
			return sx > sy
		}
		if x.FailedResources != y.FailedResources {
			return x.FailedResources > y.FailedResources
		}
		return x.ControlID < y.ControlID
	})
	if len(r.TopFailedControls) > a.opt.TopControls {
		r.TopFailedControls = r.TopFailedControls[:a.opt.TopControls]
	}
	return nil
}

// activeSQL is the definition of an active finding: an ACTIVE record, workflow NEW or NOTIFIED, and
// either no compliance status (GuardDuty, Inspector, ...) or FAILED/WARNING.
const activeSQL = `(record_state = 'ACTIVE' AND workflow_status IN ('NEW', 'NOTIFIED')
  AND (compliance_status = '' OR compliance_status IN ('FAILED', 'WARNING')))`

func (a *analyzer) findingSummary(ctx context.Context, r *report.Report) error {
	s := &r.Findings
	err := a.db().QueryRowContext(ctx, `SELECT
		  count(*) FILTER (WHERE `+activeSQL+`),
		  count(*) FILTER (WHERE `+activeSQL+` AND severity_label = 'CRITICAL'),
		  count(*) FILTER (WHERE `+activeSQL+` AND severity_label = 'HIGH'),
		  count(*) FILTER (WHERE `+activeSQL+` AND severity_label = 'MEDIUM'),
		  count(*) FILTER (WHERE `+activeSQL+` AND severity_label = 'LOW'),
		  count(*) FILTER (WHERE `+activeSQL+` AND severity_label = 'INFORMATIONAL'),
		  count(*) FILTER (WHERE record_state = 'ACTIVE' AND workflow_status = 'SUPPRESSED')
		FROM snapshot_states($1)`, a.snap.ID).
		Scan(&s.Active, &s.Critical, &s.High, &s.Medium, &s.Low, &s.Informational, &s.Suppressed)
	if err != nil {
		return err
	}
	monthStart := time.Date(a.snap.TakenAt.Year(), a.snap.TakenAt.Month(), 1, 0, 0, 0, 0, time.UTC)
	rem, err := a.remediations(ctx, monthStart)
	if err != nil {
		return err
	}
	// A finding fixed twice in the month (it failed again in between) counts once; it counts as
	// automated when any of its fixes was.
	auto := map[string]bool{}
	for _, x := range rem {
		auto[x.finding] = auto[x.finding] || x.auto
	}
	for _, isAuto := range auto {
		s.RemediatedThisMonth++
		if isAuto {
			s.AutoRemediatedThisMonth++
		}
	}
	return nil
}

// remediation is a finding seen FAILED and then, in a later snapshot, PASSED, RESOLVED or archived.
type remediation struct {
	finding string    // hex of id_key: Id and ProductArn
	at      time.Time // taken_at of the snapshot that first showed the fix
	days    float64   // since the finding started failing
	auto    bool      // the fixing change carries an automation marker
	// lastFix is when the finding last showed a fixing state (remediationsSQL's key condition):
	// the fixes since a later date are those at and since it of the findings fixed since it.
	lastFix time.Time
}

// remediationsSQL finds the fixes up to snapshot $1 shown by snapshots taken at or after $2. A
// finding's history is its state rows across versions, keyed by id_key (Id and ProductArn). A run
// of FAILED rows that begins the finding's history starts failing at its FirstObservedAt (AWS's
// own date, not our first sight of it). A run that follows a snapshot showing the finding not
// failing (fixed before, or passing when first seen) did not start at FirstObservedAt: it starts
// at the earliest of the run's first snapshot and AWS's UpdatedAt, but no earlier than that
// snapshot. Without FirstObservedAt, the same as the latter.
//
// Narrowed to the findings that failed before reading any history, and the finding's identity
// returned as hex(id_key), not id_key::VARCHAR (DuckDB's UHUGEINT to VARCHAR cast took 3.2 s for
// 20,000 values): at 1,000,000 findings the query took 0.26 s against 8.8 s, under load.
const remediationsSQL = `
WITH failed_keys AS (
  -- Only a finding seen failing can have been fixed: the findings with a failing state up to $1
  -- (a few hundred thousand of a million; the fixing states are most of the store) ...
  SELECT DISTINCT f.id_key FROM finding_states s JOIN findings f ON f.fkey = s.fkey
  WHERE s.valid_from <= $1 AND s.compliance_status = 'FAILED' AND s.record_state = 'ACTIVE'),
versions AS (
  -- ... all their versions (a changed title or resource is a new fkey of the same finding), so
  -- that their states are found by fkey: joining the states to the findings first and filtering
  -- after hashed every state row of the store ...
  SELECT fkey, id_key, control_id, account_id, region, first_observed_at FROM findings SEMI JOIN failed_keys USING (id_key)),
hist AS (
  SELECT f.id_key, s.valid_from, sn.taken_at, s.updated_at, f.first_observed_at, s.note_updated_by, s.user_defined_fields,
         s.compliance_status = 'FAILED' AND s.record_state = 'ACTIVE' AS failing,
         -- Archived because its control was disabled there (AWS archives the findings of a
         -- control it disables): no fix.
         s.compliance_status = 'PASSED' OR s.workflow_status = 'RESOLVED'
           OR (s.record_state = 'ARCHIVED' AND dc.control_id IS NULL) AS fixed,
         -- when a fixing state of a control finding was shown
         CASE WHEN f.control_id <> '' AND (s.compliance_status = 'PASSED' OR s.workflow_status = 'RESOLVED'
                   OR s.record_state = 'ARCHIVED') THEN sn.taken_at END AS fix_at
  FROM finding_states s JOIN versions f ON f.fkey = s.fkey JOIN snapshots sn ON sn.id = s.valid_from
  LEFT JOIN (SELECT DISTINCT snapshot_id, account_id, region, control_id FROM snapshot_disabled_controls) dc
    ON dc.snapshot_id = s.valid_from AND dc.account_id = f.account_id AND dc.region = f.region AND dc.control_id = f.control_id
  WHERE s.valid_from <= $1),
h AS (
  -- ... and of those only the ones with a fixing state shown in the period; their whole history
  -- is read (a failing run can start long before), everyone else's is not.
  SELECT hist.* EXCLUDE (fix_at), k.last_fix FROM hist
  JOIN (SELECT id_key, max(fix_at) AS last_fix FROM hist GROUP BY id_key HAVING max(fix_at) >= $2) k ON k.id_key = hist.id_key),
t AS (
  SELECT *, lag(failing) OVER w AS prev_failing,
         sum(CASE WHEN failing THEN 0 ELSE 1 END) OVER (w ROWS UNBOUNDED PRECEDING) AS grp
  FROM h WINDOW w AS (PARTITION BY id_key ORDER BY valid_from)),
spans AS (
  -- Per run: our first sight, AWS's FirstObservedAt, and the non-failing row that precedes the
  -- run in the same grp (none for a finding failing from its first snapshot).
  SELECT id_key, grp,
         min(least(taken_at, coalesce(updated_at, taken_at))) FILTER (WHERE failing) AS seen_start,
         min(first_observed_at) FILTER (WHERE failing) AS first_observed,
         max(taken_at) FILTER (WHERE NOT failing) AS before_run
  FROM t GROUP BY ALL HAVING bool_or(failing)),
runs AS (
  SELECT id_key, grp,
         CASE WHEN before_run IS NULL THEN coalesce(first_observed, seen_start)
              WHEN seen_start < before_run THEN before_run
              ELSE seen_start END AS fail_start
  FROM spans)
SELECT hex(t.id_key), t.taken_at, epoch(t.taken_at - r.fail_start) / 86400.0,
       regexp_matches(lower(t.note_updated_by || ' ' || t.user_defined_fields), $3), t.last_fix
FROM t JOIN runs r ON r.id_key = t.id_key AND r.grp = t.grp - 1
WHERE t.prev_failing AND t.fixed AND t.taken_at >= $2`

// remediations are the fixes shown at or after since. The finding summary asks for this month's and
// the progress for its window's: both are cut from one query from the earlier of the month's start
// and the window's (at 1,000,000 findings each query took 0.2 to 0.8 s, under load).
func (a *analyzer) remediations(ctx context.Context, since time.Time) ([]remediation, error) {
	if a.fixes == nil || since.Before(a.fixesSince) {
		from := since
		for _, t := range []time.Time{a.snap.TakenAt.Add(-time.Duration(a.opt.WindowDays) * 24 * time.Hour),
			time.Date(a.snap.TakenAt.Year(), a.snap.TakenAt.Month(), 1, 0, 0, 0, 0, time.UTC)} {
			if t.Before(from) {
				from = t
			}
		}
		fixes, err := a.queryRemediations(ctx, from)
		if err != nil {
			return nil, err
		}
		a.fixes, a.fixesSince = fixes, from
	}
	var out []remediation
	for _, x := range a.fixes {
		if !x.at.Before(since) && !x.lastFix.Before(since) {
			out = append(out, x)
		}
	}
	return out, nil
}

func (a *analyzer) queryRemediations(ctx context.Context, since time.Time) ([]remediation, error) {
	rows, err := a.db().QueryContext(ctx, remediationsSQL, a.snap.ID, since.UTC(), markerPattern(a.opt.AutomationMarkers))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []remediation{}
	for rows.Next() {
		var x remediation
		if err := rows.Scan(&x.finding, &x.at, &x.days, &x.auto, &x.lastFix); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (a *analyzer) coverage(ctx context.Context, r *report.Report) error {
	rows, err := a.db().QueryContext(ctx, `SELECT account_id, region, status, reason, malformed, malformed_error FROM coverage
		WHERE snapshot_id = $1 ORDER BY account_id, region`, a.snap.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	c := &r.Coverage
	c.Gaps, c.EnablementUnknown = []report.CoverageGap{}, []report.CoverageGap{}
	for rows.Next() {
		var g report.CoverageGap
		var malformed int64
		var malformedErr string
		if err := rows.Scan(&g.AccountID, &g.Region, &g.Status, &g.Reason, &malformed, &malformedErr); err != nil {
			return err
		}
		c.Expected++
		if g.Status == "collected" {
			c.Collected++
			if g.Reason != "" {
				// Read, but which controls are disabled there is not known (see collect's
				// enablementUnknown): listed apart, since the pair's findings all count.
				c.EnablementUnknown = append(c.EnablementUnknown, g)
			}
			if malformed == 0 {
				continue
			}
			// Read, but findings were left out: a gap in what the scores count all the same.
			g.Status = "malformed"
			g.Reason = fmt.Sprintf("%d malformed finding(s) left out; the first: %s", malformed, malformedErr)
		}
		c.Gaps = append(c.Gaps, g)
	}
	c.Complete = len(c.Gaps) == 0 && a.snap.Status == "complete"
	if err := rows.Err(); err != nil {
		return err
	}
	return a.warnings(ctx, c)
}

// warnings reads the snapshot's stored warnings into c, in the order the collection gave them.
func (a *analyzer) warnings(ctx context.Context, c *report.Coverage) error {
	rows, err := a.db().QueryContext(ctx, `SELECT kind, message FROM snapshot_warnings WHERE snapshot_id = $1 ORDER BY seq`, a.snap.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var w report.Warning
		if err := rows.Scan(&w.Kind, &w.Message); err != nil {
			return err
		}
		c.Warnings = append(c.Warnings, w)
	}
	return rows.Err()
}
