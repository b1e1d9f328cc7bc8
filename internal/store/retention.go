package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// PruneResult says what Prune removed.
type PruneResult struct {
	Snapshots   int   // snapshots deleted
	States      int64 // finding state runs no kept snapshot needs
	Findings    int64 // finding versions left without any state
	BytesBefore int64 // database file size before and after (the file shrinks once DuckDB
	BytesAfter  int64 // checkpoints; freed blocks are reused by later snapshots in any case);
	// when nothing is pruned, both are the file's size as it stands, WAL not folded in
}

// snapshotTables are the tables keyed by snapshot_id, besides snapshots itself.
var snapshotTables = []string{"snapshot_accounts", "coverage", "snapshot_disabled_controls", "snapshot_retired_findings", "snapshot_standards", "snapshot_controls",
	"snapshot_standard_tallies", "snapshot_summary_tallies", "snapshot_account_controls", "snapshot_account_controls_stored", "snapshot_risk", "snapshot_summarized", "snapshot_warnings"}

// Prune deletes the snapshots taken more than keep before the newest one or the clock, whichever
// is earlier (never the newest itself), the history only they needed, and checkpoints so the
// space is reclaimed. It is one transaction: an interrupted prune deletes nothing.
//
// Counting from the newest snapshot keeps the history of a store nobody collected into for a
// while; counting from the clock when that is earlier means a snapshot dated in the future (a
// skewed host's, stored before BeginSnapshot refused such dates) cannot take the past with it.
func (s *Store) Prune(ctx context.Context, keep time.Duration) (PruneResult, error) {
	var res PruneResult
	if s.ro {
		return res, fmt.Errorf("database %s is open read-only", s.path)
	}
	if keep <= 0 {
		return res, errors.New("prune: retention must be positive")
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	// Which snapshots go is a read; most runs prune nothing, and they should not pay for the
	// CHECKPOINT that measuring the file takes.
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE doomed AS
		SELECT id FROM snapshots
		WHERE taken_at < least((SELECT max(taken_at) FROM snapshots), make_timestamp(?::BIGINT)) - to_microseconds(?::BIGINT)
		  AND id <> (SELECT id FROM snapshots ORDER BY taken_at DESC, id DESC LIMIT 1)`,
		s.now().UnixMicro(), keep.Microseconds()); err != nil {
		return res, fmt.Errorf("prune: %w", err)
	}
	// The transaction drops it on success; this covers the returns before that, while the
	// connection is still ours (a temp table would outlive them on the pooled connection).
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.doomed`) }()
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM temp.doomed`).Scan(&res.Snapshots); err != nil {
		return res, err
	}
	// Measure the file with the WAL folded in, or "before" would undercount.
	if res.Snapshots > 0 {
		if _, err := conn.ExecContext(ctx, `CHECKPOINT`); err != nil {
			return res, err
		}
	}
	res.BytesBefore = fileSize(s.path)
	if res.Snapshots == 0 {
		res.BytesAfter = res.BytesBefore
		return res, nil
	}
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return res, err
	}
	committed := false
	defer func() {
		if !committed {
			// The error being returned is the one to report; a failed rollback ends with the connection.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		}
	}()
	for _, t := range append(snapshotTables, "snapshots") {
		col := "snapshot_id"
		if t == "snapshots" {
			col = "id"
		}
		if _, err := conn.ExecContext(ctx, `DELETE FROM `+t+` WHERE `+col+` IN (SELECT id FROM temp.doomed)`); err != nil {
			return res, fmt.Errorf("prune %s: %w", t, err)
		}
	}
	// A state run [valid_from, valid_to) is kept while some remaining snapshot falls in it.
	r, err := conn.ExecContext(ctx, `DELETE FROM finding_states s WHERE NOT EXISTS (
		SELECT 1 FROM snapshots k WHERE k.id >= s.valid_from AND (s.valid_to IS NULL OR k.id < s.valid_to))`)
	if err != nil {
		return res, fmt.Errorf("prune finding_states: %w", err)
	}
	res.States, _ = r.RowsAffected()
	r, err = conn.ExecContext(ctx, `DELETE FROM findings f WHERE NOT EXISTS (SELECT 1 FROM finding_states s WHERE s.fkey = f.fkey)`)
	if err != nil {
		return res, fmt.Errorf("prune findings: %w", err)
	}
	res.Findings, _ = r.RowsAffected()
	if _, err := conn.ExecContext(ctx, `DROP TABLE temp.doomed`); err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), `COMMIT`); err != nil {
		return res, fmt.Errorf("prune: commit: %w", err)
	}
	committed = true
	conn.Close()
	if err := s.compact(ctx); err != nil {
		return res, fmt.Errorf("prune: compact: %w", err)
	}
	res.BytesAfter = fileSize(s.path)
	return res, nil
}

// compact rewrites the database into a new file and swaps it in: DuckDB reuses the blocks a
// delete frees but never gives them back to the file system, so this is how pruned space
// leaves the disk. The old file stays until the copy is complete; a failure leaves it in use.
func (s *Store) compact(ctx context.Context) error {
	tmp := s.path + ".compact"
	// A copy left by an interrupted compaction must go, or ATTACH would open it.
	for _, p := range []string{tmp, tmp + ".wal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	var name string
	err = conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name)
	if err == nil {
		_, err = conn.ExecContext(ctx, `ATTACH '`+strings.ReplaceAll(tmp, "'", "''")+`' AS hubreport_compact`)
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, `COPY FROM DATABASE "`+strings.ReplaceAll(name, `"`, `""`)+`" TO hubreport_compact`)
		if err == nil {
			// DETACH would checkpoint too, but without reporting a failure (a full disk).
			_, err = conn.ExecContext(ctx, `CHECKPOINT hubreport_compact`)
		}
		if _, derr := conn.ExecContext(context.WithoutCancel(ctx), `DETACH hubreport_compact`); err == nil {
			err = derr
		}
	}
	conn.Close()
	if err == nil {
		err = checkNoWAL(tmp)
	}
	if err != nil {
		// Best effort: the next compaction removes them before it starts.
		_ = os.Remove(tmp)
		_ = os.Remove(tmp + ".wal")
		return err
	}
	// A failed checkpoint here leaves the old file and its WAL as they are (and the store
	// closed, so the caller's Close reports it too).
	if err := s.shutdown(); err != nil {
		_ = os.Remove(tmp) // best effort, as above
		return err
	}
	// shutdown checked that no WAL is left; one that appeared since would be replayed onto the copy.
	if err := os.Remove(s.path + ".wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return err
	}
	fresh, err := Open(ctx, s.path, s.opt)
	if err != nil {
		return err
	}
	s.db = fresh.db
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
