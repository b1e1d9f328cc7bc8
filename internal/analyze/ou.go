package analyze

import (
	"cmp"
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"

	"github.com/hubreport/hubreport/internal/report"
)

// OU scorecards: the organization's math over the accounts of each OU path and every path above
// it (Workloads holds Workloads/Prod and Workloads/Non-Prod). Membership is the report's snapshot's:
// an OU's trend is that of the accounts it holds today, so it reads the same whether or not older
// snapshots recorded OUs. Accounts with no OU are in no OU.

// Top failed controls and weakest accounts listed per OU.
const (
	ouTopControls     = 5
	ouWeakestAccounts = 3
)

// rankSQL and unrankSQL map a status to its precedence under AWS's rule and back: a control's
// status over several accounts is the highest of theirs (failing in one fails it), the same as
// the rule over all their findings, so per-account statuses combine without the findings again.
func rankSQL(col string) string {
	return `CASE ` + col + ` WHEN 'FAILED' THEN 3 WHEN 'UNKNOWN' THEN 2 WHEN 'PASSED' THEN 1 ELSE 0 END`
}

func unrankSQL(col string) string {
	return `CASE ` + col + ` WHEN 3 THEN 'FAILED' WHEN 2 THEN 'UNKNOWN' WHEN 1 THEN 'PASSED' ELSE 'NO_DATA' END`
}

// accountControlsSQL gives each account's status of each control per snapshot of scope_snaps,
// each control once across its standards, as rows (sid, account_id, control_id, r, ra) of
// rankSQL's ranks without and with suppressed findings. Summarize stores them at commit
// (snapshot_account_controls); the report's snapshot has them per standard in
// report_account_controls (accountControls).
var accountControlsSQL = `WITH cf AS (` + controlFindingsSQL + `)
SELECT sid, account_id, control_id, ` + rankSQL("status") + ` AS r, ` + rankSQL("status_all") + ` AS ra
FROM (SELECT sid, account_id, control_id, ` + statusSQL + ` FROM cf GROUP BY ALL)`

// storedAccountControlsSQL reads the rows of accountControlsSQL that Summarize stored for
// the snapshots of scope_snaps.
const storedAccountControlsSQL = `SELECT snapshot_id AS sid, account_id, control_id, status AS r, status_all AS ra
FROM snapshot_account_controls SEMI JOIN scope_snaps s ON s.sid = snapshot_id`

// ouTalliesSQL counts control statuses per snapshot and OU path of temp table
// ou_members(account_id, path), as rows (sid, standard_id, path, status, status_all, n), from
// the per-account statuses of query accounts (accountControlsSQL's rows, or the stored ones): per
// standard with byStandard, else each control once across standards (an empty standard_id). An
// OU's status of a control is the highest of its accounts', so no OU reads the findings again.
func ouTalliesSQL(accounts string, byStandard bool) string {
	std, stdCol := "", "''"
	if byStandard {
		std, stdCol = "standard_id, ", "standard_id"
	}
	return `WITH pa AS (` + accounts + `),
po AS (SELECT pa.sid, m.path, ` + std + `pa.control_id, max(r) AS r, max(ra) AS ra
       FROM pa JOIN ou_members m USING (account_id) GROUP BY ALL)
SELECT sid, ` + stdCol + ` AS standard_id, path, ` + unrankSQL("r") + `, ` + unrankSQL("ra") + `, count(*)
FROM po GROUP BY ALL`
}

// ouFailedSQL counts, per OU path and control, the accounts where the control is FAILED in the
// report's snapshot (FAILED in any standard: the highest rank), from its account statuses.
const ouFailedSQL = `WITH pa AS (SELECT account_id, control_id FROM ` + scoredAccountControls + ` GROUP BY ALL HAVING max(r) = 3)
SELECT m.path, pa.control_id, count(*) FROM pa JOIN ou_members m USING (account_id) GROUP BY ALL`

// reportAccountControlsSQL are the report snapshot's account statuses per standard, as rows
// (sid, account_id, standard_id, control_id, r, ra) (scope_snaps holds the snapshot alone), from
// report_account_controls.
const reportAccountControlsSQL = `SELECT s.sid, account_id, standard_id, control_id, r, ra FROM ` + scoredAccountControls + ` CROSS JOIN scope_snaps s`

// ouPaths is an OU path and every path above it: "Workloads/Prod" -> Workloads, Workloads/Prod.
func ouPaths(ou string) []string {
	var out, parts []string
	for _, p := range strings.Split(ou, "/") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
			out = append(out, strings.Join(parts, "/"))
		}
	}
	return out
}

// organizationalUnits fills Report.OrganizationalUnits from the accounts and the progress window
// (it runs after both).
func (a *analyzer) organizationalUnits(ctx context.Context, r *report.Report) error {
	r.OrganizationalUnits = []report.OrganizationalUnit{}
	members := map[string][]report.AccountScores{} // path -> accounts in it and below
	for _, acc := range r.Accounts {
		for _, p := range ouPaths(acc.OU) {
			members[p] = append(members[p], acc)
		}
	}
	if len(members) == 0 {
		return nil
	}
	win, err := a.window(ctx)
	if err != nil {
		return err
	}
	sids := make([]int64, len(win))
	for i, w := range win {
		sids[i] = w.id
	}
	// The keys of the tallies: account holds the OU path. Every snapshot of the window is a point
	// of the trend: those summarized at commit combine their stored account statuses, the others
	// (stored before migration 009) are computed from the history.
	stored, missing, err := a.summarized(ctx, sids, true)
	if err != nil {
		return err
	}
	unique := tallies{scored: map[scoreKey]*counts{}, all: map[scoreKey]*counts{}}
	type part struct {
		sids     []int64
		accounts string
	}
	parts := []part{{slices.Collect(maps.Keys(stored)), storedAccountControlsSQL}}
	// Snapshots computed from the history go backfillBatch at a time, as the backfill does: all
	// 90 of a window at once took a routed report past DuckDB's memory limit.
	for batch := range slices.Chunk(missing, backfillBatch) {
		parts = append(parts, part{batch, accountControlsSQL})
	}
	for _, p := range parts {
		if len(p.sids) == 0 {
			continue
		}
		err = a.withOUScope(ctx, p.sids, members, func(conn *sql.Conn) error {
			return unique.query(ctx, conn, ouTalliesSQL(p.accounts, false))
		})
		if err != nil {
			return err
		}
	}
	byStd := tallies{scored: map[scoreKey]*counts{}, all: map[scoreKey]*counts{}}
	failed := map[string]map[string]int{} // path -> control -> failed accounts
	// The report snapshot's per-standard scores and failing controls combine its account
	// statuses (accountControls), which the accounts' scores computed already.
	err = a.withAccountControls(ctx, func(*sql.Conn) error {
		return a.withOUScope(ctx, []int64{a.snap.ID}, members, func(conn *sql.Conn) error {
			if err := byStd.query(ctx, conn, ouTalliesSQL(reportAccountControlsSQL, true)); err != nil {
				return err
			}
			rows, err := conn.QueryContext(ctx, ouFailedSQL)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var path, control string
				var n int
				if err := rows.Scan(&path, &control, &n); err != nil {
					return err
				}
				if failed[path] == nil {
					failed[path] = map[string]int{}
				}
				failed[path][control] = n
			}
			return rows.Err()
		})
	})
	if err != nil {
		return err
	}
	infos, err := a.controlInfos(ctx, a.snap.ID)
	if err != nil {
		return err
	}
	for _, path := range slices.Sorted(func(yield func(string) bool) {
		for p := range members {
			if !yield(p) {
				return
			}
		}
	}) {
		ou := report.OrganizationalUnit{Path: path, Name: path[strings.LastIndex(path, "/")+1:], Accounts: len(members[path])}
		c, all := unique.get(scoreKey{sid: a.snap.ID, account: path})
		ou.SummaryScore = score(c.passed, c.failed, c.unknown)
		ou.SummaryScoreWithoutSuppressions = score(all.passed, all.failed, all.unknown)
		ou.Score = ou.SummaryScore
		ou.SummaryControls = report.SummaryControls{Passed: c.passed, Failed: c.failed, Unknown: c.unknown}
		ou.Standards = make([]report.OUStandardScore, 0, len(r.Standards))
		for _, s := range r.Standards {
			c, _ := byStd.get(scoreKey{sid: a.snap.ID, standard: s.ID, account: path})
			ou.Standards = append(ou.Standards, report.OUStandardScore{ID: s.ID, ShortName: s.ShortName,
				Score: score(c.passed, c.failed, c.unknown), Passed: c.passed, Failed: c.failed, Unknown: c.unknown})
		}
		ou.Trend = make([]report.OUTrendPoint, len(win))
		for i, w := range win {
			c, _ := unique.get(scoreKey{sid: w.id, account: path})
			ou.Trend[i] = report.OUTrendPoint{Date: w.takenAt.UTC().Format(dateLayout), SummaryScore: score(c.passed, c.failed, c.unknown), Partial: w.partial}
		}
		if b := ou.Baseline(); b != nil && ou.SummaryScore != nil {
			d := *ou.SummaryScore - *b
			ou.Change = &d
		}
		ou.TopFailedControls = ouTopFailed(failed[path], infos)
		ou.WeakestAccounts = weakest(members[path])
		r.OrganizationalUnits = append(r.OrganizationalUnits, ou)
	}
	return nil
}

// withOUScope is withScope with temp table ou_members(account_id, path): each account under its
// OU path and every path above it.
func (a *analyzer) withOUScope(ctx context.Context, sids []int64, members map[string][]report.AccountScores, fn func(*sql.Conn) error) error {
	return a.withScope(ctx, sids, func(conn *sql.Conn) error {
		if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE ou_members (account_id VARCHAR, path VARCHAR)`); err != nil {
			return err
		}
		defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.ou_members`) }()
		var vals []string
		var args []any
		for path, accs := range members {
			for _, acc := range accs {
				vals = append(vals, "(?, ?)")
				args = append(args, acc.AccountID, path)
			}
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO ou_members VALUES `+strings.Join(vals, ", "), args...); err != nil {
			return err
		}
		return fn(conn)
	})
}

// ouTopFailed ranks an OU's failing controls as the organization's top failed controls are ranked:
// by accounts, then severity, then id.
func ouTopFailed(failed map[string]int, infos map[string]controlInfo) []report.OUFailedControl {
	out := make([]report.OUFailedControl, 0, len(failed))
	for id, n := range failed {
		info := infos[id]
		out = append(out, report.OUFailedControl{ControlID: id, Title: info.title, Severity: info.severity, FailedAccounts: n})
	}
	slices.SortFunc(out, func(x, y report.OUFailedControl) int {
		return cmp.Or(cmp.Compare(y.FailedAccounts, x.FailedAccounts), cmp.Compare(severityRank[y.Severity], severityRank[x.Severity]),
			strings.Compare(x.ControlID, y.ControlID))
	})
	return out[:min(len(out), ouTopControls)]
}

// weakest are the accounts with the lowest summary scores (accounts without data last), ties by
// more failed controls, then id.
func weakest(accs []report.AccountScores) []report.OUAccount {
	sorted := slices.Clone(accs)
	slices.SortFunc(sorted, func(x, y report.AccountScores) int {
		switch {
		case x.SummaryScore == nil && y.SummaryScore != nil:
			return 1
		case x.SummaryScore != nil && y.SummaryScore == nil:
			return -1
		case x.SummaryScore != nil && *x.SummaryScore != *y.SummaryScore:
			return cmp.Compare(*x.SummaryScore, *y.SummaryScore)
		}
		return cmp.Or(cmp.Compare(y.Failed, x.Failed), strings.Compare(x.AccountID, y.AccountID))
	})
	out := make([]report.OUAccount, 0, ouWeakestAccounts)
	for _, acc := range sorted[:min(len(sorted), ouWeakestAccounts)] {
		out = append(out, report.OUAccount{AccountID: acc.AccountID, Name: acc.Name, OU: acc.OU, SummaryScore: acc.SummaryScore, FailedControls: acc.Failed})
	}
	return out
}
