package analyze

import (
	"context"
	"sort"

	"github.com/hubreport/hubreport/internal/report"
)

// pairChangesSQL compares two snapshots ($1 the window's first, $2 the report's) per
// control-account pair, returning one row per pair FAILED (not suppressed) in either snapshot:
// (account, control, account left, collected in both, disabled at start, disabled now,
// status at start, status now, status now counting suppressed findings).
//
// The rule, kept simple so a reader can check it by hand:
//   - A pair's evaluation points are the (region, standard) combinations its control findings name
//     in either snapshot, archived ones included: AWS archives the findings of a control it
//     disables, so a disabled control leaves only archived findings behind.
//   - A pair is collected in a snapshot when the coverage of every evaluation point's region in
//     that snapshot is 'collected' (no coverage row: not collected).
//   - A pair is disabled in a snapshot when every evaluation point is disabled there: by the
//     snapshot catalog's disabled flag for the standard, or by a snapshot_disabled_controls row
//     for the account, region, standard and control. Its status is AWS's rule over the active
//     findings at the points not disabled.
const pairChangesSQL = `
WITH snaps AS (SELECT 'base' AS snap, $1::BIGINT AS sid UNION ALL SELECT 'now', $2::BIGINT),
-- Only a pair with an active, unsuppressed FAILED finding in either snapshot can be FAILED in
-- one: the rest of the estate is left out before anything is joined. The pairs come from the
-- failing states alone (the report's are in memory, store.KeepSnapshotStates) ...
cand AS (
  SELECT account_id, control_id FROM snapshot_states($2)
  WHERE control_id <> '' AND record_state = 'ACTIVE' AND workflow_status <> 'SUPPRESSED' AND compliance_status = 'FAILED'
  UNION
  SELECT account_id, control_id FROM snapshot_states($1)
  WHERE control_id <> '' AND record_state = 'ACTIVE' AND workflow_status <> 'SUPPRESSED' AND compliance_status = 'FAILED'),
-- ... then their findings, and the states of those valid in either snapshot: joining every state
-- of both snapshots to its finding first took most of the query's time (2.4 s at 1,000,000
-- findings, and 5.7 s reading two snapshot_findings, under load).
cand_findings AS (
  SELECT fkey, account_id, region, control_id, standards FROM findings SEMI JOIN cand USING (account_id, control_id)),
cf AS (
  SELECT sn.snap, f.account_id, f.region, f.control_id, unnest(f.standards) AS standard_id,
         s.record_state = 'ACTIVE' AS active, s.compliance_status AS cs, s.workflow_status = 'SUPPRESSED' AS suppressed
  FROM finding_states s JOIN cand_findings f ON f.fkey = s.fkey
  JOIN snaps sn ON s.valid_from <= sn.sid AND (s.valid_to IS NULL OR s.valid_to > sn.sid)),
-- Per evaluation point and snapshot, which statuses its active findings have, without and with
-- the suppressed ones.
obs AS (
  SELECT snap, account_id, control_id, region, standard_id,
         bool_or(active AND NOT suppressed AND cs = 'FAILED') AS f,
         bool_or(active AND NOT suppressed AND cs IN ('WARNING', 'NOT_AVAILABLE')) AS u,
         bool_or(active AND NOT suppressed AND cs = 'PASSED') AS p,
         bool_or(active AND cs = 'FAILED') AS f_all,
         bool_or(active AND cs IN ('WARNING', 'NOT_AVAILABLE')) AS u_all,
         bool_or(active AND cs = 'PASSED') AS p_all
  FROM cf GROUP BY ALL),
points AS (SELECT DISTINCT account_id, control_id, region, standard_id FROM obs),
pts AS (
  SELECT p.account_id, p.control_id, sn.snap,
         coalesce(c.disabled, false) OR d.control_id IS NOT NULL AS disabled,
         coalesce(cov.status = 'collected', false) AS collected,
         coalesce(o.f, false) AS f, coalesce(o.u, false) AS u, coalesce(o.p, false) AS p,
         coalesce(o.f_all, false) AS f_all, coalesce(o.u_all, false) AS u_all, coalesce(o.p_all, false) AS p_all
  FROM points p CROSS JOIN snaps sn
  LEFT JOIN obs o ON o.snap = sn.snap AND o.account_id = p.account_id AND o.control_id = p.control_id
   AND o.region = p.region AND o.standard_id = p.standard_id
  LEFT JOIN snapshot_controls c
    ON c.snapshot_id = sn.sid AND c.standard_id = p.standard_id AND c.control_id = p.control_id
  LEFT JOIN (SELECT DISTINCT snapshot_id, account_id, region, standard_id, control_id FROM snapshot_disabled_controls) d
    ON d.snapshot_id = sn.sid AND d.account_id = p.account_id AND d.region = p.region
   AND d.standard_id = p.standard_id AND d.control_id = p.control_id
  LEFT JOIN coverage cov ON cov.snapshot_id = sn.sid AND cov.account_id = p.account_id AND cov.region = p.region),
-- Per pair and snapshot: AWS's rule over the points not disabled.
pair_snap AS (
  SELECT account_id, control_id, snap, bool_and(disabled) AS disabled, bool_and(collected) AS collected,
         CASE WHEN bool_or(f AND NOT disabled) THEN 'FAILED' WHEN bool_or(u AND NOT disabled) THEN 'UNKNOWN'
              WHEN bool_or(p AND NOT disabled) THEN 'PASSED' ELSE 'NO_DATA' END AS status,
         CASE WHEN bool_or(f_all AND NOT disabled) THEN 'FAILED' WHEN bool_or(u_all AND NOT disabled) THEN 'UNKNOWN'
              WHEN bool_or(p_all AND NOT disabled) THEN 'PASSED' ELSE 'NO_DATA' END AS status_all
  FROM pts GROUP BY ALL),
gone AS (` + accountsGoneSQL + `),
pairs AS (
  SELECT b.account_id, b.control_id, g.account_id IS NOT NULL AS account_left,
         b.collected AND n.collected AS collected, b.disabled AS base_disabled, n.disabled AS now_disabled,
         b.status AS base_status, n.status AS now_status, n.status_all AS now_status_all
  FROM pair_snap b
  JOIN pair_snap n ON n.snap = 'now' AND n.account_id = b.account_id AND n.control_id = b.control_id
  LEFT JOIN gone g ON g.account_id = b.account_id
  WHERE b.snap = 'base')
SELECT account_id, control_id, account_left, collected, base_disabled, now_disabled, base_status, now_status, now_status_all
FROM pairs WHERE base_status = 'FAILED' OR now_status = 'FAILED'`

// pairChange is one control-account pair as pairChangesSQL compares it.
type pairChange struct {
	account, control              string
	accountLeft, collected        bool
	baseDisabled, nowDisabled     bool
	baseStatus, nowStatus, nowAll string
}

// Outcomes of a pair between the window's first snapshot and the report's.
const (
	pairNone            = iota // no change counted (still failing, FAILED -> UNKNOWN, ...)
	pairFixed                  // FAILED -> PASSED
	pairNewlyFailing           // not FAILED -> FAILED
	pairNewlySuppressed        // FAILED -> the failure suppressed
	pairNewlyDisabled          // FAILED -> the control disabled
	pairNotComparable          // FAILED in either, not collected in one
	pairAccountLeft            // the account is gone (counted once per account, not per pair)
	pairDisabledAtStart        // disabled at the start: nothing to compare against
)

// outcome classifies the pair; the first rule that applies wins, so a pair is counted once.
// Newly failing takes any status that is not FAILED at the start (PASSED, NO_DATA, and UNKNOWN:
// a WARNING that turned FAILED is a new failure too).
func (c pairChange) outcome() int {
	switch {
	case c.accountLeft:
		return pairAccountLeft
	case !c.collected:
		return pairNotComparable
	case c.baseDisabled:
		return pairDisabledAtStart
	case c.nowDisabled:
		if c.baseStatus == "FAILED" {
			return pairNewlyDisabled
		}
		return pairNone
	case c.baseStatus == "FAILED" && c.nowStatus == "PASSED":
		return pairFixed
	case c.baseStatus == "FAILED" && c.nowStatus != "FAILED" && c.nowAll == "FAILED":
		return pairNewlySuppressed
	case c.baseStatus != "FAILED" && c.nowStatus == "FAILED":
		return pairNewlyFailing
	}
	return pairNone
}

// comparable: the pair counts in fixed and newly failing and in the most improved and regressed
// controls: the account is still there, and it was collected and enabled in both snapshots.
func (c pairChange) comparable() bool {
	return !c.accountLeft && c.collected && !c.baseDisabled && !c.nowDisabled
}

// accountsGoneSQL lists the accounts of snapshot $1 missing from snapshot $2 (swap them for the
// accounts that joined).
const accountsGoneSQL = `SELECT account_id FROM snapshot_accounts WHERE snapshot_id = $1
	EXCEPT SELECT account_id FROM snapshot_accounts WHERE snapshot_id = $2`

// pairChanges runs pairChangesSQL for snapshots base and now.
func (a *analyzer) pairChanges(ctx context.Context, base, now int64) ([]pairChange, error) {
	rows, err := a.db().QueryContext(ctx, pairChangesSQL, base, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pairChange
	for rows.Next() {
		var c pairChange
		if err := rows.Scan(&c.account, &c.control, &c.accountLeft, &c.collected, &c.baseDisabled, &c.nowDisabled,
			&c.baseStatus, &c.nowStatus, &c.nowAll); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// controlChanges compares the window's first snapshot with the report's: the pairs fixed, newly
// failing and every other change on its own line, and the controls whose failing accounts went
// down or up the most, over comparable pairs only (a disabled control or a missing account is no
// improvement). A failure that became suppressed still counts as failing there: it was not fixed.
func (a *analyzer) controlChanges(ctx context.Context, baseline int64, p *report.Progress) error {
	changes, err := a.pairChanges(ctx, baseline, a.snap.ID)
	if err != nil {
		return err
	}
	type tally struct{ before, now int }
	perControl := map[string]*tally{}
	for _, c := range changes {
		switch c.outcome() {
		case pairFixed:
			p.Fixed++
		case pairNewlyFailing:
			p.NewlyFailing++
		case pairNewlySuppressed:
			p.NewlySuppressed++
		case pairNewlyDisabled:
			p.NewlyDisabled++
		case pairNotComparable:
			p.NotComparable++
		}
		if !c.comparable() {
			continue
		}
		t := perControl[c.control]
		if t == nil {
			t = &tally{}
			perControl[c.control] = t
		}
		if c.baseStatus == "FAILED" {
			t.before++
		}
		if c.nowAll == "FAILED" {
			t.now++
		}
	}
	if err := a.db().QueryRowContext(ctx, `SELECT count(*) FROM (`+accountsGoneSQL+`)`, baseline, a.snap.ID).Scan(&p.AccountsLeft); err != nil {
		return err
	}
	infos, err := a.controlInfos(ctx, a.snap.ID)
	if err != nil {
		return err
	}
	p.FixedControls, p.RegressedControls = []report.ControlChange{}, []report.ControlChange{}
	for id, t := range perControl {
		cc := report.ControlChange{ControlID: id, Title: infos[id].title, Severity: infos[id].severity, AccountsBefore: t.before, AccountsNow: t.now}
		switch {
		case t.now < t.before:
			p.FixedControls = append(p.FixedControls, cc)
		case t.now > t.before:
			p.RegressedControls = append(p.RegressedControls, cc)
		}
	}
	byDelta := func(cs []report.ControlChange) func(i, j int) bool {
		return func(i, j int) bool {
			di := abs(cs[i].AccountsNow - cs[i].AccountsBefore)
			dj := abs(cs[j].AccountsNow - cs[j].AccountsBefore)
			if di != dj {
				return di > dj
			}
			if si, sj := severityRank[cs[i].Severity], severityRank[cs[j].Severity]; si != sj {
				return si > sj
			}
			return cs[i].ControlID < cs[j].ControlID
		}
	}
	sort.Slice(p.FixedControls, byDelta(p.FixedControls))
	sort.Slice(p.RegressedControls, byDelta(p.RegressedControls))
	return nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
