package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestEmptyMark: a snapshot without findings is marked empty, one with findings is not, and the
// mark reads back.
func TestEmptyMark(t *testing.T) {
	s, _ := openTemp(t)
	full := write(t, s, t0, finding("a", "111122223333", "PASSED"))
	empty := write(t, s, t0.Add(24*time.Hour))
	if full.Empty || !empty.Empty {
		t.Errorf("Commit: full.Empty = %v, empty.Empty = %v", full.Empty, empty.Empty)
	}
	snaps, err := s.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || snaps[0].Empty || !snaps[1].Empty {
		t.Errorf("read back: %+v", snaps)
	}
}

// TestEmptyMigrationMarksOldSnapshots builds a database of schema version 2 holding two
// snapshots, one without findings, and opens it: the migration adds the mark to both rows.
func TestEmptyMigrationMarksOldSnapshots(t *testing.T) {
	ctx := context.Background()
	s := openFromVersion(t, 2, `INSERT INTO snapshots VALUES
		(1, '2025-02-01 06:00:00', 'aws', 'org', '', 'complete', 12, 1, 1, '2025-02-01 06:00:00'),
		(2, '2025-02-02 06:00:00', 'aws', 'org', '', 'complete', 0, 1, 1, '2025-02-02 06:00:00')`)
	snaps, err := s.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || snaps[0].Empty || !snaps[1].Empty {
		t.Errorf("after the migration: %+v", snaps)
	}
}

// openFromVersion builds a database of the given schema version, runs the statements on it and
// opens it with Open, which migrates it to the newest version.
func openFromVersion(t *testing.T, version int, stmts ...string) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.duckdb")
	ctx := context.Background()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	all := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`}
	for _, m := range ms {
		if m.version <= version {
			all = append(all, m.sql, fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%s', now())`, m.version, m.name))
		}
	}
	for _, q := range append(all, stmts...) {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// TestAccountControlsMigrationMarksOldSummaries: a snapshot summarized before version 9 keeps its
// summary but is not marked as having account control statuses, so that reports compute them
// from the history and the next commit stores them.
func TestAccountControlsMigrationMarksOldSummaries(t *testing.T) {
	s := openFromVersion(t, 8, `INSERT INTO snapshot_summarized VALUES (1), (2)`)
	var n, marked int
	if err := s.DB().QueryRow(`SELECT (SELECT count(*) FROM snapshot_summarized),
		(SELECT count(*) FROM snapshot_account_controls_stored)`).Scan(&n, &marked); err != nil {
		t.Fatal(err)
	}
	if n != 2 || marked != 0 {
		t.Errorf("%d summarized snapshots, %d of them marked as having account statuses", n, marked)
	}
	if err := s.DB().QueryRow(`SELECT count(*) FROM snapshot_account_controls`).Scan(&n); err != nil || n != 0 {
		t.Errorf("snapshot_account_controls: %d rows (%v), want an empty table", n, err)
	}
}
