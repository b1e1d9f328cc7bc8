package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
)

// TestWarningsLiveAndDieWithTheSnapshot: a snapshot's warnings are stored at commit in the order
// given; a rolled-back snapshot, or one whose commit fails, stores none; pruning the snapshot
// deletes them; a warning without a kind or message is refused.
func TestWarningsLiveAndDieWithTheSnapshot(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	ws := []model.Warning{{Kind: "ou_tree_unreadable", Message: "denied"}, {Kind: "records_skipped", Message: "f: 2 skipped"}}
	begin := func(at time.Time) *SnapshotWriter {
		t.Helper()
		w, err := s.BeginSnapshot(ctx, model.SnapshotMeta{TakenAt: at, Source: "test", Organization: "org"}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ws {
			if err := w.AddWarning(x); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.AddWarning(model.Warning{Kind: "records_skipped"}); err == nil {
			t.Error("a warning without a message was accepted")
		}
		w.AddFinding(finding("a", "111111111111", "FAILED"))
		return w
	}

	w := begin(t0)
	if err := w.Rollback(); err != nil {
		t.Fatal(err)
	}
	w = begin(t0)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.Commit(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("commit with a cancelled context: %v", err)
	}
	if n := count(t, s, `SELECT count(*) FROM snapshot_warnings`); n != 0 {
		t.Fatalf("%d warnings stored by snapshots that were rolled back", n)
	}

	snap, err := begin(t0).Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.WarningsOf(ctx, snap.ID)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(ws) {
		t.Errorf("stored %+v, %v; want %+v", got, err, ws)
	}

	write(t, s, t0.Add(24*time.Hour), finding("a", "111111111111", "PASSED"))
	if res, err := s.Prune(ctx, 12*time.Hour); err != nil || res.Snapshots != 1 {
		t.Fatalf("prune: %+v, %v; want the first snapshot pruned", res, err)
	}
	if n := count(t, s, `SELECT count(*) FROM snapshot_warnings`); n != 0 {
		t.Errorf("%d warnings left of a pruned snapshot", n)
	}
}

// TestWarningsParquetRoundTrip: two shards of one collection, exported to Parquet and imported
// together, give one snapshot with each shard's warnings, a warning both met once; an export
// without a warnings directory (before schema 10) imports with none.
func TestWarningsParquetRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ou := model.Warning{Kind: "ou_tree_unreadable", Message: "denied"}
	shard := func(name, account string, extra model.Warning) {
		t.Helper()
		s, _ := openTemp(t)
		w, err := s.BeginSnapshot(ctx, model.SnapshotMeta{TakenAt: t0, Source: "aws", Organization: "org"}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{w.AddAccount(model.Account{AccountID: account}), w.AddFinding(finding("f"+name, account, "FAILED")),
			w.AddWarning(ou), w.AddWarning(extra)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.ExportParquet(ctx, filepath.Join(dir, "shards", name), nil); err != nil {
			t.Fatal(err)
		}
	}
	shard("a", "111111111111", model.Warning{Kind: "records_skipped", Message: "a"})
	shard("b", "222222222222", model.Warning{Kind: "records_skipped", Message: "b"})
	merged, _ := openTemp(t)
	if _, _, err := merged.ImportParquet(ctx, filepath.Join(dir, "shards")); err != nil {
		t.Fatal(err)
	}
	snaps, err := merged.Snapshots(ctx)
	if err != nil || len(snaps) != 1 {
		t.Fatalf("merged %d snapshots, %v; want 1", len(snaps), err)
	}
	got, err := merged.WarningsOf(ctx, snaps[0].ID)
	want := []model.Warning{ou, {Kind: "records_skipped", Message: "a"}, {Kind: "records_skipped", Message: "b"}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("merged warnings %+v, %v; want %+v", got, err, want)
	}

	if err := os.RemoveAll(filepath.Join(dir, "shards", "a", "warnings")); err != nil {
		t.Fatal(err)
	}
	old, _ := openTemp(t)
	if _, _, err := old.ImportParquet(ctx, filepath.Join(dir, "shards", "a")); err != nil {
		t.Fatalf("an export without warnings: %v", err)
	}
	if n := count(t, old, `SELECT count(*) FROM snapshot_warnings`); n != 0 {
		t.Errorf("%d warnings imported from nowhere", n)
	}
}
