package analyze

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hubreport/hubreport/internal/report"
)

// controlFindingsSQL selects, for the snapshots in temp table scope_snaps(sid), one row per control
// finding and associated standard, with the finding's compliance status and whether it is
// suppressed. Archived records are not part of any control status.
const controlFindingsSQL = `
SELECT cf.sid, cf.account_id, cf.region, cf.control_id, cf.standard_id, cf.cs, cf.suppressed
FROM (
  SELECT w.sid, f.account_id, f.region, f.control_id, unnest(f.standards) AS standard_id,
         s.compliance_status AS cs, s.workflow_status = 'SUPPRESSED' AS suppressed
  FROM scope_snaps w
  JOIN finding_states s ON s.valid_from <= w.sid AND (s.valid_to IS NULL OR s.valid_to > w.sid)
  JOIN findings f ON f.fkey = s.fkey
  WHERE f.control_id <> '' AND s.record_state = 'ACTIVE'
) cf
-- A control disabled for a standard in the snapshot's catalog is out of that standard's scope.
-- An anti join with the few disabled rows, not NOT EXISTS: DuckDB decorrelates that into a join
-- over every distinct row of cf: a 200,000-finding snapshot's tally took 0.10 s that way, 0.05 s so.
ANTI JOIN (SELECT snapshot_id, standard_id, control_id FROM snapshot_controls WHERE disabled) d
  ON d.snapshot_id = cf.sid AND d.standard_id = cf.standard_id AND d.control_id = cf.control_id
-- A control disabled for the standard in the finding's account and region (control associations,
-- central configuration, controls.disabled) is DISABLED there: its findings there count nowhere.
` + disabledInPlaceSQL

// disabledInPlaceSQL drops, from control-finding rows cf (sid, account_id, region, control_id,
// standard_id), those whose control is disabled for the standard in the finding's account and
// region in snapshot sid. A left join with the standards disabled per account, region and control,
// not an anti join on all five columns: DuckDB turned that into a right anti join, hashing the
// ~1.7 million rows of cf to probe them with the few disabled ones, which took 2.6 of uniqueSQL's
// 3.1 s on a 1,000,000-finding snapshot (under load); so 0.42 s against 0.98 s, both warm.
const disabledInPlaceSQL = `
LEFT JOIN (SELECT snapshot_id, account_id, region, control_id, list(standard_id) AS disabled_in
           FROM snapshot_disabled_controls GROUP BY ALL) x
  ON x.snapshot_id = cf.sid AND x.account_id = cf.account_id AND x.region = cf.region AND x.control_id = cf.control_id
WHERE x.disabled_in IS NULL OR NOT list_contains(x.disabled_in, cf.standard_id)`

// statusSQL aggregates AWS's rule over the rows of a group: the first CASE ignores suppressed
// findings (the score), the second counts them (the score without suppressions).
const statusSQL = `
  CASE WHEN bool_or(cs = 'FAILED') FILTER (WHERE NOT suppressed) THEN 'FAILED'
       WHEN bool_or(cs IN ('WARNING', 'NOT_AVAILABLE')) FILTER (WHERE NOT suppressed) THEN 'UNKNOWN'
       WHEN bool_or(cs = 'PASSED') FILTER (WHERE NOT suppressed) THEN 'PASSED'
       ELSE 'NO_DATA' END AS status,
  CASE WHEN bool_or(cs = 'FAILED') THEN 'FAILED'
       WHEN bool_or(cs IN ('WARNING', 'NOT_AVAILABLE')) THEN 'UNKNOWN'
       WHEN bool_or(cs = 'PASSED') THEN 'PASSED'
       ELSE 'NO_DATA' END AS status_all`

// counts tallies control statuses.
type counts struct {
	passed, failed, unknown, noData int
}

func (c *counts) add(status string) {
	switch status {
	case "PASSED":
		c.passed++
	case "FAILED":
		c.failed++
	case "UNKNOWN":
		c.unknown++
	default:
		c.noData++
	}
}

// scoreKey identifies a tally: a snapshot, a standard, and an account ("" for the organization).
type scoreKey struct {
	sid      int64
	standard string
	account  string
}

// tallies are the control-status counts per scope, with and without suppressions counted.
type tallies struct {
	scored, all map[scoreKey]*counts
}

func (t tallies) get(k scoreKey) (counts, counts) {
	var s, a counts
	if c := t.scored[k]; c != nil {
		s = *c
	}
	if c := t.all[k]; c != nil {
		a = *c
	}
	return s, a
}

// withScope runs fn on a dedicated connection holding temp table scope_snaps with the given ids.
func (a *analyzer) withScope(ctx context.Context, sids []int64, fn func(*sql.Conn) error) error {
	conn, release, err := a.conn(ctx)
	if err != nil {
		return err
	}
	defer release()
	ids := make([]string, len(sids))
	for i, id := range sids {
		ids[i] = fmt.Sprintf("(%d)", id)
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE scope_snaps AS SELECT * FROM (VALUES `+
		strings.Join(ids, ", ")+`) v(sid)`); err != nil {
		return err
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.scope_snaps`) }()
	return fn(conn)
}

// historyBatch is how many snapshots one query computes from the history at a time. The
// window's tallies come from the summaries stored at commit, but a routed report (a Scope) has
// none and computes all 90 snapshots from the findings: in one query the 12 accounts of the demo's
// Workloads/Prod ran out of report.memory_limit (1GB); in batches memory stays that of a batch.
const historyBatch = 10

// withScopeBatches runs fn under withScope for the snapshots sids, historyBatch at a time.
func (a *analyzer) withScopeBatches(ctx context.Context, sids []int64, fn func(*sql.Conn) error) error {
	for batch := range slices.Chunk(sids, historyBatch) {
		if err := a.withScope(ctx, batch, fn); err != nil {
			return err
		}
	}
	return nil
}

// statusTallies computes the organization's control statuses of every standard for the snapshots
// sids. Controls without data in a scope are not tallied (NO_DATA is added from the catalog where
// it is reported). The report snapshot's per-account tallies come from its account statuses
// (reportTallies).
func (a *analyzer) statusTallies(ctx context.Context, sids []int64) (tallies, error) {
	t := tallies{scored: map[scoreKey]*counts{}, all: map[scoreKey]*counts{}}
	// Summaries stored at commit (Summarize) answer for the snapshots that have them.
	sids, err := a.storedTallies(ctx, sids, t)
	if err != nil || len(sids) == 0 {
		return t, err
	}
	err = a.withScopeBatches(ctx, sids, func(conn *sql.Conn) error { return t.query(ctx, conn, talliesSQL) })
	return t, err
}

// uniqueTallies counts the control statuses of the report's snapshot with each control once
// across all its standards (AWS's summary score), for the organization (account "") and each
// account, under the key's standard "". Computed once per report: standards and accounts share it.
func (a *analyzer) uniqueTallies(ctx context.Context) (tallies, error) {
	if a.unique != nil {
		return *a.unique, nil
	}
	t := tallies{scored: map[scoreKey]*counts{}, all: map[scoreKey]*counts{}}
	err := a.withAccountControls(ctx, func(conn *sql.Conn) error { return t.query(ctx, conn, reportUniqueSQL, a.snap.ID) })
	if err == nil {
		a.unique = &t
	}
	return t, err
}

// query adds the rows (sid, standard_id, account, status, status_all, n) of q to the tallies.
func (t tallies) query(ctx context.Context, conn *sql.Conn, q string, args ...any) error {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k scoreKey
		var status, statusAll string
		var n int
		if err := rows.Scan(&k.sid, &k.standard, &k.account, &status, &statusAll, &n); err != nil {
			return err
		}
		for _, m := range []struct {
			tally  map[scoreKey]*counts
			status string
		}{{t.scored, status}, {t.all, statusAll}} {
			c := m.tally[k]
			if c == nil {
				c = &counts{}
				m.tally[k] = c
			}
			for range n {
				c.add(m.status)
			}
		}
	}
	return rows.Err()
}

// uniqueSQL gives each control one status per snapshot of scope_snaps over the finding rows of
// all its standards (failing in any standard, or any account, fails it), for the organization (an
// empty account), in the row shape of talliesSQL with an empty standard_id. Built on
// controlFindingsSQL, so a control disabled in one standard still counts through the standards
// where it is enabled. The report snapshot's per-account rows come from its account statuses
// (reportUniqueSQL).
const uniqueSQL = `WITH cf AS (` + controlFindingsSQL + `)
SELECT sid, '' AS standard_id, '' AS account, status, status_all, count(*) AS n
FROM (SELECT sid, control_id, ` + statusSQL + ` FROM cf GROUP BY sid, control_id)
GROUP BY ALL`

// talliesSQL counts the organization's control statuses per snapshot of scope_snaps and standard
// as rows (sid, standard_id, account, status, status_all, n), with an empty account.
const talliesSQL = `WITH cf AS (` + controlFindingsSQL + `)
SELECT sid, standard_id, '' AS account, status, status_all, count(*) AS n
FROM (SELECT sid, standard_id, control_id, ` + statusSQL + ` FROM cf GROUP BY ALL)
GROUP BY ALL`

// standardInfo is a standard reported on, in report order.
type standardInfo struct {
	id, name, shortName string
	controls            int // enabled controls in the catalog
}

// reportedStandards are the snapshot's catalog standards that have findings, plus standards that
// findings name but the catalog lacks (named by their id), in a stable order: catalog order of
// the well-known ones first (CIS, FSBP, PCI, NIST), then by id.
func (a *analyzer) reportedStandards(ctx context.Context) ([]standardInfo, error) {
	rows, err := a.db().QueryContext(ctx, `
WITH seen AS (SELECT DISTINCT unnest(standards) AS standard_id FROM snapshot_states($1) WHERE control_id <> ''),
cat AS (SELECT standard_id, name, short_name FROM snapshot_standards WHERE snapshot_id = $1),
ctl AS (SELECT standard_id, count(*) FILTER (WHERE NOT disabled) AS n FROM snapshot_controls WHERE snapshot_id = $1 GROUP BY ALL)
SELECT s.standard_id, coalesce(c.name, s.standard_id), coalesce(c.short_name, s.standard_id), coalesce(ctl.n, 0)
FROM seen s LEFT JOIN cat c USING (standard_id) LEFT JOIN ctl USING (standard_id)`, a.snap.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []standardInfo
	for rows.Next() {
		var s standardInfo
		if err := rows.Scan(&s.id, &s.name, &s.shortName, &s.controls); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := standardRank(out[i].id), standardRank(out[j].id)
		if ri != rj {
			return ri < rj
		}
		return out[i].id < out[j].id
	})
	return out, rows.Err()
}

// standardRank orders standards the way compliance reports usually list them.
func standardRank(id string) int {
	for i, prefix := range []string{"standards/cis-aws-foundations-benchmark", "ruleset/cis-aws-foundations-benchmark",
		"standards/aws-foundational-security-best-practices", "standards/pci-dss", "standards/nist-800-53"} {
		if strings.HasPrefix(id, prefix) {
			return i
		}
	}
	return 99
}

// standards fills the organization's score per standard, the summary score (each control once,
// AWS's worked example) and the mean of the standard scores beside it.
func (a *analyzer) standards(ctx context.Context, r *report.Report) error {
	stds, err := a.reportedStandards(ctx)
	if err != nil {
		return err
	}
	t, err := a.statusTallies(ctx, []int64{a.snap.ID})
	if err != nil {
		return err
	}
	// Controls that have data, per standard, to derive NO_DATA from the catalog's control count.
	withData, err := a.controlsWithData(ctx)
	if err != nil {
		return err
	}
	dis, err := a.disabledEverywhere(ctx)
	if err != nil {
		return err
	}
	var scores []*float64
	r.Standards = make([]report.StandardScore, 0, len(stds))
	for _, s := range stds {
		c, all := t.get(scoreKey{sid: a.snap.ID, standard: s.id})
		ss := report.StandardScore{ID: s.id, Name: s.name, ShortName: s.shortName,
			Score:                    score(c.passed, c.failed, c.unknown),
			ScoreWithoutSuppressions: score(all.passed, all.failed, all.unknown),
			Passed:                   c.passed, Failed: c.failed, Unknown: c.unknown,
			NoData:   c.noData + max(0, s.controls-withData[s.id]-dis.cataloged[s.id]),
			Disabled: dis.count(s.id, ""),
		}
		r.Standards = append(r.Standards, ss)
		scores = append(scores, ss.Score)
	}
	r.SummaryScoreMeanOfStandards = mean(scores)
	u, err := a.uniqueTallies(ctx)
	if err != nil {
		return err
	}
	c, all := u.get(scoreKey{sid: a.snap.ID})
	r.SummaryScore = score(c.passed, c.failed, c.unknown)
	r.SummaryScoreWithoutSuppressions = score(all.passed, all.failed, all.unknown)
	r.SummaryControls = report.SummaryControls{Passed: c.passed, Failed: c.failed, Unknown: c.unknown}
	return nil
}

// controlsWithData counts, per standard, the catalog's enabled controls that have any active
// control finding in the snapshot (suppressed or not) where the control is not disabled.
func (a *analyzer) controlsWithData(ctx context.Context) (map[string]int, error) {
	var out map[string]int
	err := a.withAccountControls(ctx, func(conn *sql.Conn) error {
		var err error
		// The account statuses are those rows, catalog-disabled ones included; the catalog's
		// enabled controls are counted.
		out, err = countsBy(ctx, conn, `
WITH cf AS (SELECT DISTINCT standard_id, control_id FROM report_account_controls)
SELECT c.standard_id, count(*) FROM snapshot_controls c SEMI JOIN cf USING (standard_id, control_id)
WHERE c.snapshot_id = $1 AND NOT c.disabled GROUP BY ALL`, a.snap.ID)
		return err
	})
	return out, err
}

// accounts fills each account's score per standard.
func (a *analyzer) accounts(ctx context.Context, r *report.Report) error {
	t, err := a.reportTallies(ctx)
	if err != nil {
		return err
	}
	u, err := a.uniqueTallies(ctx)
	if err != nil {
		return err
	}
	failedControls, err := a.failedControlsPerAccount(ctx)
	if err != nil {
		return err
	}
	dis, err := a.disabledEverywhere(ctx)
	if err != nil {
		return err
	}
	rows, err := a.db().QueryContext(ctx, `SELECT account_id, name, ou, coalesce(owner, '') FROM snapshot_accounts
		WHERE snapshot_id = $1 ORDER BY account_id`, a.snap.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	r.Accounts = []report.AccountScores{}
	for rows.Next() {
		var acc report.AccountScores
		if err := rows.Scan(&acc.AccountID, &acc.Name, &acc.OU, &acc.Owner); err != nil {
			return err
		}
		var scores []*float64
		acc.Standards = make([]report.AccountStandardScore, 0, len(r.Standards))
		for _, s := range r.Standards {
			c, _ := t.get(scoreKey{sid: a.snap.ID, standard: s.ID, account: acc.AccountID})
			as := report.AccountStandardScore{ID: s.ID, Score: score(c.passed, c.failed, c.unknown),
				Passed: c.passed, Failed: c.failed, Unknown: c.unknown, Disabled: dis.count(s.ID, acc.AccountID)}
			acc.Standards = append(acc.Standards, as)
			scores = append(scores, as.Score)
		}
		acc.SummaryScoreMeanOfStandards = mean(scores)
		c, all := u.get(scoreKey{sid: a.snap.ID, account: acc.AccountID})
		acc.SummaryScore = score(c.passed, c.failed, c.unknown)
		acc.SummaryScoreWithoutSuppressions = score(all.passed, all.failed, all.unknown)
		// score predates the unique-control method; it now carries the same figure as summary_score,
		// the account's headline, so that older readers show what the console shows.
		acc.Score = acc.SummaryScore
		acc.Failed = failedControls[acc.AccountID]
		r.Accounts = append(r.Accounts, acc)
	}
	return rows.Err()
}

// failedControlsPerAccount counts the distinct controls FAILED in each account, where they are
// not disabled.
func (a *analyzer) failedControlsPerAccount(ctx context.Context) (map[string]int, error) {
	return countsBy(ctx, a.db(), `SELECT f.account_id, count(DISTINCT f.control_id)
		FROM snapshot_states($1) f `+disabledJoin+`
		WHERE f.control_id <> '' AND f.record_state = 'ACTIVE' AND f.workflow_status <> 'SUPPRESSED' AND f.compliance_status = 'FAILED'
		  AND `+notDisabled+`
		GROUP BY ALL`, a.snap.ID)
}

// countsBy runs a query returning (key, count) rows and collects them in a map.
func countsBy(ctx context.Context, db querier, query string, args ...any) (map[string]int, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
