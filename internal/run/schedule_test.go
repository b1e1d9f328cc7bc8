package run

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/store"
)

// syncBuffer is a log sink safe for the scheduler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestScheduleRunsWithoutOverlapAndSurvivesPanics(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Store.Path, cfg.Report.Out = filepath.Join(dir, "r.duckdb"), filepath.Join(dir, "out")
	cfg.Collect.Source = "demo"
	// Collect the demo organization every second.
	cfg.Schedule.Collect, cfg.Schedule.Report = "CRON_TZ=UTC * * * * * *", ""
	var inFlight, maxInFlight, calls atomic.Int32
	logs := &syncBuffer{}
	o := Options{Config: cfg, Log: slog.New(slog.NewJSONHandler(logs, nil))}
	o.job = func(ctx context.Context, o Options) (Result, error) {
		n := calls.Add(1)
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if cur <= m || maxInFlight.CompareAndSwap(m, cur) {
				break
			}
		}
		if n == 1 {
			panic("injected bug in the first run")
		}
		res, err := Run(ctx, o)
		time.Sleep(1500 * time.Millisecond) // longer than the period: the next tick must be skipped
		return res, err
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Schedule(ctx, o) }()
	// Run until a run has completed and a tick has been skipped (a loaded machine takes longer).
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) && !(strings.Contains(logs.String(), `"outcome":"ok"`) && strings.Contains(logs.String(), "run skipped")) {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("schedule returned %v after cancellation, want nil (exit 0)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("schedule did not stop after cancellation")
	}
	out := logs.String()
	if maxInFlight.Load() != 1 {
		t.Errorf("%d runs overlapped", maxInFlight.Load())
	}
	if !strings.Contains(out, `"outcome":"panic"`) || !strings.Contains(out, "injected bug") {
		t.Errorf("the panic was not logged:\n%s", out)
	}
	if !strings.Contains(out, "run skipped") {
		t.Errorf("no tick was skipped while a run was going:\n%s", out)
	}
	st, err := store.Open(context.Background(), cfg.Store.Path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snaps, err := st.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ok := strings.Count(out, `"outcome":"ok"`)
	if len(snaps) < 1 || len(snaps) != ok {
		t.Errorf("%d snapshots stored, %d runs logged ok:\n%s", len(snaps), ok, out)
	}
	for _, s := range snaps {
		if s.Status != model.StatusComplete {
			t.Errorf("snapshot %d is %s", s.ID, s.Status)
		}
	}
}

// TestScheduleNeedsASpec: a schedule with no job, or a spec cron cannot read, is a configuration
// error naming the key, returned at once.
func TestScheduleNeedsASpec(t *testing.T) {
	for _, c := range []struct{ collect, report, key string }{
		{"", "", "schedule"},
		{"every day", "", "schedule.collect"},
		{"", "0 6 * * *", ""},
	} {
		cfg := config.Default()
		cfg.Schedule.Collect, cfg.Schedule.Report = c.collect, c.report
		ctx, cancel := context.WithCancel(context.Background())
		if c.key == "" {
			cancel() // a valid schedule runs until cancelled
		}
		err := Schedule(ctx, Options{Config: cfg})
		cancel()
		var ve *config.ValidationError
		switch {
		case c.key == "" && err != nil:
			t.Errorf("collect %q report %q: %v, want nil", c.collect, c.report, err)
		case c.key != "" && (!errors.As(err, &ve) || ve.Key != c.key):
			t.Errorf("collect %q report %q: %v, want a validation error for %s", c.collect, c.report, err, c.key)
		}
	}
}
