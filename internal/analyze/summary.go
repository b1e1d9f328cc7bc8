package analyze

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Summarize stores a snapshot's organization-wide control-status tallies per standard and its
// risk counts, so that the progress section reads one row per snapshot instead of rebuilding
// every snapshot of its window from the history, and each account's status of each control, from
// which the OU trends combine any OU's. It is store.Options.OnCommit: it runs inside the
// snapshot's commit transaction, on the writer's connection, with the SQL the report uses when a
// snapshot has no summary (the summary tallies excepted, below).
func Summarize(ctx context.Context, conn *sql.Conn, id int64) error {
	stmts := []string{
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE scope_snaps AS SELECT %d::BIGINT AS sid`, id),
		`INSERT INTO snapshot_standard_tallies
SELECT sid, standard_id,
       coalesce(sum(n) FILTER (WHERE status = 'PASSED'), 0), coalesce(sum(n) FILTER (WHERE status = 'FAILED'), 0),
       coalesce(sum(n) FILTER (WHERE status = 'UNKNOWN'), 0), coalesce(sum(n) FILTER (WHERE status = 'NO_DATA'), 0),
       coalesce(sum(n) FILTER (WHERE status_all = 'PASSED'), 0), coalesce(sum(n) FILTER (WHERE status_all = 'FAILED'), 0),
       coalesce(sum(n) FILTER (WHERE status_all = 'UNKNOWN'), 0), coalesce(sum(n) FILTER (WHERE status_all = 'NO_DATA'), 0)
FROM (` + talliesSQL + `) GROUP BY ALL`,
		`INSERT INTO snapshot_risk ` + riskSQL,
		`INSERT INTO snapshot_account_controls ` + accountControlsSQL,
		// The organization's summary tallies from the account statuses just stored, as an OU's
		// are: a control's status across accounts is the highest of theirs. Reading the findings
		// again for them (summaryTalliesSQL, as a report does for a snapshot without a summary)
		// took about as long as the account statuses, doubling what these add to a commit.
		`INSERT INTO snapshot_summary_tallies
SELECT ` + fmt.Sprint(id) + `,
       count(*) FILTER (WHERE ` + unrankSQL("r") + ` = 'PASSED'), count(*) FILTER (WHERE ` + unrankSQL("r") + ` = 'FAILED'),
       count(*) FILTER (WHERE ` + unrankSQL("r") + ` = 'UNKNOWN'),
       count(*) FILTER (WHERE ` + unrankSQL("ra") + ` = 'PASSED'), count(*) FILTER (WHERE ` + unrankSQL("ra") + ` = 'FAILED'),
       count(*) FILTER (WHERE ` + unrankSQL("ra") + ` = 'UNKNOWN')
FROM (SELECT control_id, max(status) AS r, max(status_all) AS ra FROM snapshot_account_controls
      WHERE snapshot_id = ` + fmt.Sprint(id) + ` GROUP BY ALL)`,
		fmt.Sprintf(`INSERT INTO snapshot_summarized VALUES (%d)`, id),
		fmt.Sprintf(`INSERT INTO snapshot_account_controls_stored VALUES (%d)`, id),
		`DROP TABLE temp.scope_snaps`,
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return backfillAccountControls(ctx, conn)
}

// Snapshots summarized before migration 009 have no account control statuses, and a report
// computes them from the history for every OU trend point: over a 90-day window of the
// 50-account demo that is most of a minute on 2 busy cores, in every report until those snapshots
// leave the window. So each commit stores them for up to backfillMax of those snapshots, newest
// (most likely in a report's window) first, backfillBatch at a time to bound the query's memory:
// an upgraded store's first collection pays once what its reports would have paid every time.
const (
	backfillMax   = 100
	backfillBatch = 10
)

func backfillAccountControls(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, fmt.Sprintf(`SELECT snapshot_id FROM snapshot_summarized
		ANTI JOIN snapshot_account_controls_stored USING (snapshot_id) ORDER BY snapshot_id DESC LIMIT %d`, backfillMax))
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for batch := range slices.Chunk(ids, backfillBatch) {
		list := idList(batch)
		for _, q := range []string{
			`CREATE OR REPLACE TEMP TABLE scope_snaps AS SELECT unnest([` + list + `])::BIGINT AS sid`,
			`INSERT INTO snapshot_account_controls ` + accountControlsSQL,
			`INSERT INTO snapshot_account_controls_stored SELECT sid FROM temp.scope_snaps`,
			`DROP TABLE temp.scope_snaps`,
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("store account control statuses of snapshots %s: %w", list, err)
			}
		}
	}
	return nil
}

func idList(sids []int64) string {
	ids := make([]string, len(sids))
	for i, id := range sids {
		ids[i] = fmt.Sprint(id)
	}
	return strings.Join(ids, ",")
}

// summarized splits sids into those with stored summaries and the rest; with accountControls,
// into those with stored account control statuses (migration 009 on) and the rest. On a scoped
// connection (a routed report) the organization's summaries are hidden but the accounts'
// statuses are not: they hold for any set of accounts.
func (a *analyzer) summarized(ctx context.Context, sids []int64, accountControls bool) (map[int64]bool, []int64, error) {
	have := map[int64]bool{}
	table := "snapshot_summarized"
	if accountControls {
		table = "snapshot_account_controls_stored"
	}
	rows, err := a.db().QueryContext(ctx, `SELECT snapshot_id FROM `+table+` WHERE snapshot_id IN (`+idList(sids)+`)`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, nil, err
		}
		have[id] = true
	}
	var missing []int64
	for _, id := range sids {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	return have, missing, rows.Err()
}

// storedTallies fills t from the stored summaries and returns the snapshots that have none.
func (a *analyzer) storedTallies(ctx context.Context, sids []int64, t tallies) ([]int64, error) {
	have, missing, err := a.summarized(ctx, sids, false)
	if err != nil || len(have) == 0 {
		return missing, err
	}
	rows, err := a.db().QueryContext(ctx, `SELECT snapshot_id, standard_id, passed, failed, unknown, no_data,
		passed_all, failed_all, unknown_all, no_data_all FROM snapshot_standard_tallies WHERE snapshot_id IN (`+idList(sids)+`)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k scoreKey
		var s, all counts
		if err := rows.Scan(&k.sid, &k.standard, &s.passed, &s.failed, &s.unknown, &s.noData,
			&all.passed, &all.failed, &all.unknown, &all.noData); err != nil {
			return nil, err
		}
		t.scored[k], t.all[k] = &s, &all
	}
	return missing, rows.Err()
}

// summaryTalliesSQL counts, per snapshot of scope_snaps, the organization's controls by status with
// each control once across all standards (the summary score's counts), as rows (sid, passed,
// failed, unknown, passed_all, failed_all, unknown_all): one row per snapshot, zeros included.
var summaryTalliesSQL = `SELECT s.sid,
       coalesce(sum(n) FILTER (WHERE status = 'PASSED'), 0), coalesce(sum(n) FILTER (WHERE status = 'FAILED'), 0),
       coalesce(sum(n) FILTER (WHERE status = 'UNKNOWN'), 0),
       coalesce(sum(n) FILTER (WHERE status_all = 'PASSED'), 0), coalesce(sum(n) FILTER (WHERE status_all = 'FAILED'), 0),
       coalesce(sum(n) FILTER (WHERE status_all = 'UNKNOWN'), 0)
FROM scope_snaps s LEFT JOIN (` + uniqueSQL + `) u ON u.sid = s.sid AND u.account = ''
GROUP BY s.sid`

// summarySeries gives the organization's summary score (suppressed findings left out) of each
// window snapshot: from the tallies stored at commit, and from the history for snapshots stored
// before there were any.
func (a *analyzer) summarySeries(ctx context.Context, sids []int64) (map[int64]*float64, error) {
	out := map[int64]*float64{}
	scan := func(rows *sql.Rows) error {
		defer rows.Close()
		for rows.Next() {
			var id int64
			var passed, failed, unknown, pa, fa, ua int
			if err := rows.Scan(&id, &passed, &failed, &unknown, &pa, &fa, &ua); err != nil {
				return err
			}
			out[id] = score(passed, failed, unknown)
		}
		return rows.Err()
	}
	rows, err := a.db().QueryContext(ctx, `SELECT snapshot_id, passed, failed, unknown, passed_all, failed_all, unknown_all
		FROM snapshot_summary_tallies WHERE snapshot_id IN (`+idList(sids)+`)`)
	if err != nil {
		return nil, err
	}
	if err := scan(rows); err != nil {
		return nil, err
	}
	var missing []int64
	for _, id := range sids {
		if _, ok := out[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	err = a.withScopeBatches(ctx, missing, func(conn *sql.Conn) error {
		rows, err := conn.QueryContext(ctx, summaryTalliesSQL)
		if err != nil {
			return err
		}
		return scan(rows)
	})
	return out, err
}
