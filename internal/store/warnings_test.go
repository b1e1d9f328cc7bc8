package store

import (
	"context"
	"errors"
	"fmt"
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
