package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hubreport/hubreport/internal/model"
)

// TestMalformedFindingsMakeTheSnapshotPartial: a pair collected with findings left out as
// malformed makes the snapshot partial, keeps its count and first error, and both survive an
// export to Parquet and an import (the shards' merge goes that way). An export from before the
// malformed columns existed still imports, with none counted.
func TestMalformedFindingsMakeTheSnapshotPartial(t *testing.T) {
	ctx := context.Background()
	src, _ := openTemp(t)
	w, err := src.BeginSnapshot(ctx, model.SnapshotMeta{TakenAt: t0, Source: "aws", Organization: "org"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	const firstErr = `finding "": field Id: missing`
	for _, c := range []model.Coverage{
		{AccountID: "111111111111", Region: "us-east-1", Status: model.CoverageCollected, Malformed: 2, MalformedError: firstErr},
		{AccountID: "222222222222", Region: "us-east-1", Status: model.CoverageCollected},
	} {
		if err := w.AddCoverage(c); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []*model.Finding{finding("a", "111111111111", "PASSED"), finding("b", "222222222222", "FAILED")} {
		if err := w.AddFinding(f); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, s *Store, id int64, status string, malformed int, firstError string) {
		t.Helper()
		got, err := s.Snapshot(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != status || got.Findings != 2 {
			t.Errorf("%s: snapshot %s with %d findings, want %s with 2", name, got.Status, got.Findings, status)
		}
		if n := count(t, s, `SELECT coalesce(sum(malformed), 0) FROM coverage WHERE snapshot_id = ?`, id); n != malformed {
			t.Errorf("%s: %d malformed findings in coverage, want %d", name, n, malformed)
		}
		var e string
		if err := s.DB().QueryRowContext(ctx, `SELECT malformed_error FROM coverage WHERE snapshot_id = ? AND account_id = '111111111111'`, id).Scan(&e); err != nil || e != firstError {
			t.Errorf("%s: first error %q (%v), want %q", name, e, err, firstError)
		}
	}
	check("stored", src, snap.ID, model.StatusPartial, 2, firstErr)

	out := filepath.Join(t.TempDir(), "export")
	if err := src.ExportParquet(ctx, out, nil); err != nil {
		t.Fatal(err)
	}
	dst, _ := openTemp(t)
	imported, _, err := dst.ImportParquet(ctx, out)
	if err != nil || len(imported) != 1 {
		t.Fatalf("import: %v, %d snapshots", err, len(imported))
	}
	check("through Parquet", dst, imported[0].ID, model.StatusPartial, 2, firstErr)

	// The coverage files as an older build wrote them: without the two columns.
	files, err := filepath.Glob(filepath.Join(out, "coverage", "snapshot_date=*", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("coverage files: %v %v", files, err)
	}
	for _, f := range files {
		old := f + ".old"
		if _, err := src.DB().ExecContext(ctx, `COPY (SELECT * EXCLUDE (malformed, malformed_error) FROM read_parquet('`+f+`')) TO '`+old+`' (FORMAT parquet)`); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(old, f); err != nil {
			t.Fatal(err)
		}
	}
	older, _ := openTemp(t)
	imported, _, err = older.ImportParquet(ctx, out)
	if err != nil || len(imported) != 1 {
		t.Fatalf("import of an older export: %v, %d snapshots", err, len(imported))
	}
	check("older export", older, imported[0].ID, model.StatusComplete, 0, "")
}
