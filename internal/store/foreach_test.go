package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hubreport/hubreport/internal/model"
)

// TestForEachFindingStopsAtFnError: batches are read ahead on another goroutine; an error from fn
// stops the reading, is what ForEachFinding returns, and leaves the store usable (the reader is
// done with the connection and its temporary table is dropped).
func TestForEachFindingStopsAtFnError(t *testing.T) {
	defer func(n int64) { forEachBatch = n }(forEachBatch)
	forEachBatch = 2
	s, _ := openTemp(t)
	var fs []*model.Finding
	for i := range 11 {
		fs = append(fs, finding(fmt.Sprintf("f%02d", i), "111122223333", "FAILED"))
	}
	snap := write(t, s, t0, fs...)
	stop := errors.New("stop here")
	for _, after := range []int{1, 2, 5, 11} {
		calls := 0
		err := s.ForEachFinding(context.Background(), snap.ID, func(*model.Finding) error {
			calls++
			if calls == after {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != after {
			t.Errorf("fn failing at call %d: err %v after %d calls", after, err, calls)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := s.ForEachFinding(ctx, snap.ID, func(*model.Finding) error {
		if calls++; calls == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls >= 11 {
		t.Errorf("cancelled at call 3: err %v after %d calls", err, calls)
	}
	n := 0
	if err := s.ForEachFinding(context.Background(), snap.ID, func(*model.Finding) error { n++; return nil }); err != nil || n != 11 {
		t.Errorf("read after the failures: %d findings, err %v", n, err)
	}
}
