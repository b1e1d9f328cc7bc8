package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
)

// openAt opens path with the store's clock fixed at now: a host whose clock says so.
func openAt(t *testing.T, path string, now time.Time) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSnapshotAheadOfTheClockIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.duckdb")
	now := t0.Add(10 * 24 * time.Hour)
	s := openAt(t, path, now)
	write(t, s, t0, finding("a", "111122223333", "PASSED"))
	// Clocks that disagree by minutes are fine.
	write(t, s, now.Add(59*time.Minute), finding("a", "111122223333", "FAILED"))
	before := tableCounts(t, s)
	future := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := s.BeginSnapshot(context.Background(), model.SnapshotMeta{TakenAt: future, Source: "file"}, nil, nil)
	if !errors.Is(err, ErrFutureSnapshot) || !strings.Contains(err.Error(), "2099-01-01T00:00:00Z") ||
		!strings.Contains(err.Error(), now.Format(time.RFC3339)) {
		t.Fatalf("err = %v, want a refusal naming the date and the clock", err)
	}
	if after := tableCounts(t, s); after != before {
		t.Errorf("a refused snapshot changed the store: %s -> %s", before, after)
	}
}

// TestPruneCountsFromTheClockWhenTheNewestIsInTheFuture: a snapshot dated in the future (stored
// by a host whose clock was years ahead) used to make retention delete every earlier snapshot.
func TestPruneCountsFromTheClockWhenTheNewestIsInTheFuture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.duckdb")
	ctx := context.Background()
	skewed := openAt(t, path, time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))
	write(t, skewed, t0, finding("a", "111122223333", "PASSED"))
	write(t, skewed, t0.Add(24*time.Hour), finding("a", "111122223333", "FAILED"))
	write(t, skewed, time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), finding("a", "111122223333", "PASSED"))
	if err := skewed.Close(); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, path, t0.Add(2*24*time.Hour))
	res, err := s.Prune(ctx, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := s.Snapshots(ctx); res.Snapshots != 0 || len(left) != 3 {
		t.Errorf("pruned %d, %d left; want nothing pruned: the past is within 30 days of the clock", res.Snapshots, len(left))
	}
}

// TestPruneNeverDeletesTheNewest, however long ago it was taken.
func TestPruneNeverDeletesTheNewest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.duckdb")
	ctx := context.Background()
	s := openAt(t, path, t0.Add(1000*24*time.Hour))
	write(t, s, t0, finding("a", "111122223333", "PASSED"))
	newest := write(t, s, t0.Add(24*time.Hour), finding("a", "111122223333", "FAILED"))
	res, err := s.Prune(ctx, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := s.Snapshots(ctx)
	if res.Snapshots != 1 || len(left) != 1 || left[0].ID != newest.ID {
		t.Errorf("pruned %d, left %+v; want only the newest (%d) kept", res.Snapshots, left, newest.ID)
	}
}

// TestImportParquetRefusesTheFutureBeforeStoringAnything: an export holding a past snapshot and
// one from a skewed host stores neither.
func TestImportParquetRefusesTheFutureBeforeStoringAnything(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	future := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	src := openAt(t, filepath.Join(dir, "src.duckdb"), future)
	write(t, src, t0, finding("a", "111122223333", "PASSED"))
	write(t, src, future, finding("a", "111122223333", "FAILED"))
	exp := filepath.Join(dir, "export")
	if err := src.ExportParquet(ctx, exp, nil); err != nil {
		t.Fatal(err)
	}
	dst := openAt(t, filepath.Join(dir, "dst.duckdb"), t0.Add(24*time.Hour))
	imported, _, err := dst.ImportParquet(ctx, exp)
	if !errors.Is(err, ErrFutureSnapshot) || !strings.Contains(err.Error(), "2099-01-01") || !strings.Contains(err.Error(), ".parquet") {
		t.Fatalf("err = %v, want a refusal naming the date and the file", err)
	}
	if n := count(t, dst, "SELECT count(*) FROM snapshots"); n != 0 || len(imported) != 0 {
		t.Errorf("%d snapshots stored (%d reported) by a refused import", n, len(imported))
	}
}
