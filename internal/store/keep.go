package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
)

// snapshotStatesSQL is the body of the macro snapshot_states(sid): the columns of
// snapshot_findings(sid) that the scores, tallies and counts read (no text, no identity), so that
// KeepSnapshotStates can hold one snapshot's in memory.
const snapshotStatesSQL = `SELECT f.account_id, f.region, f.control_id, f.standards, s.record_state, s.workflow_status,
       s.compliance_status, s.severity_label, s.updated_at
FROM finding_states s JOIN findings f ON f.fkey = s.fkey
WHERE s.valid_from <= sid AND (s.valid_to IS NULL OR s.valid_to > sid)`

// KeepSnapshotStates reads snapshot id's snapshot_states once into temp tables on conn and
// redefines snapshot_states there so that snapshot_states(id) reads them; other snapshots read
// the store as before. A report's analysis reads its snapshot a dozen times: each read joined a
// million findings to their states at 1,000 accounts (0.3 to 0.5 s, under load), where a scan of
// the kept rows took 0.05 to 0.14 s. The rows take about 130 bytes each in memory (130 MB at a
// million findings, inside the memory limit, spilled past it): each finding's standards list, the
// longest column, is kept once per distinct list (a dozen in an organization) and referenced by
// number. On a ScopedConn the kept rows are the scope's. release drops the tables and restores
// the macro; call it before the connection goes back to the pool.
func KeepSnapshotStates(ctx context.Context, conn *sql.Conn, id int64) (release func() error, err error) {
	release = func() error {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.kept_states;
DROP TABLE IF EXISTS temp.kept_standard_sets; CREATE OR REPLACE TEMP MACRO snapshot_states(sid) AS TABLE `+snapshotStatesSQL)
		if err != nil {
			// ErrBadConn from Raw makes database/sql close the connection rather than pool it
			// with another snapshot's rows behind its snapshot_states.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			return fmt.Errorf("drop the kept snapshot %d: %w", id, err)
		}
		return nil
	}
	stmts := []string{
		`CREATE OR REPLACE TEMP TABLE kept_standard_sets AS
SELECT standards, (row_number() OVER (ORDER BY standards) - 1)::UINTEGER AS std_set FROM (SELECT DISTINCT standards FROM findings)`,
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE kept_states AS
SELECT s.account_id, s.region, s.control_id, d.std_set, s.record_state, s.workflow_status, s.compliance_status,
       s.severity_label, s.updated_at
FROM snapshot_states(%d) s JOIN kept_standard_sets d ON d.standards IS NOT DISTINCT FROM s.standards`, id),
		// DuckDB folds the constant conditions on sid, so snapshot_states(id) plans as a scan of
		// the kept rows alone, and any other snapshot as the join alone.
		fmt.Sprintf(`CREATE OR REPLACE TEMP MACRO snapshot_states(sid) AS TABLE
SELECT k.account_id, k.region, k.control_id, d.standards, k.record_state, k.workflow_status, k.compliance_status,
       k.severity_label, k.updated_at
FROM kept_states k JOIN kept_standard_sets d USING (std_set) WHERE sid = %[1]d
UNION ALL
SELECT * FROM (%[2]s) WHERE sid <> %[1]d`, id, snapshotStatesSQL),
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, errors.Join(fmt.Errorf("keep snapshot %d: %w", id, err), release())
		}
	}
	return release, nil
}
