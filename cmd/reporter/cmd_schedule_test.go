package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	runner "github.com/hubreport/hubreport/internal/run"
	"github.com/hubreport/hubreport/internal/store"
)

// demoScheduleConfig collects the demo organization every second into a fresh database.
func demoScheduleConfig(t *testing.T) (cfgPath, db string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "r.duckdb")
	cfgPath = filepath.Join(dir, "reporter.yaml")
	yml := "store:\n  path: " + db + "\ncollect:\n  source: demo\nreport:\n  out: " + filepath.Join(dir, "out") +
		"\nschedule:\n  collect: \"CRON_TZ=UTC * * * * * *\"\n  report: \"\"\n"
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, db
}

func snapshotsOf(t *testing.T, db string) []model.Snapshot {
	t.Helper()
	st, err := store.Open(context.Background(), db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snaps, err := st.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snaps
}

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
	cfgPath, db := demoScheduleConfig(t)
	var inFlight, maxInFlight, calls atomic.Int32
	job := func(ctx context.Context, o runner.Options) (runner.Result, error) {
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
		res, err := runner.Run(ctx, o)
		time.Sleep(1500 * time.Millisecond) // longer than the period: the next tick must be skipped
		return res, err
	}

	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		e := &env{vars: []string{"LOG_LEVEL=info"}, stdin: strings.NewReader(""), stdout: logs, stderr: logs, log: newLogger(logs, nil),
			runJob: job}
		done <- runSchedule(ctx, e, []string{"--config", cfgPath})
	}()
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
	snaps := snapshotsOf(t, db)
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

func TestScheduleSIGTERMExitsZeroWithoutPartialSnapshot(t *testing.T) {
	cfgPath, db := demoScheduleConfig(t)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "REPORTER_AS_CHILD="+strings.Join([]string{"schedule", "--config", cfgPath}, "\x1f"), "LOG_LEVEL=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the first run to finish and the second to be under way, then stop the daemon.
	sc := bufio.NewScanner(stderr)
	var log strings.Builder
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), `"msg":"run finished"`) {
			break
		}
	}
	time.Sleep(1300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	if err != nil {
		t.Fatalf("schedule after SIGTERM: %v (want exit 0)\n%s", err, log.String())
	}
	out := log.String()
	if !strings.Contains(out, "scheduler stopped") {
		t.Errorf("no clean stop logged:\n%s", out)
	}
	snaps := snapshotsOf(t, db)
	if ok := strings.Count(out, `"outcome":"ok"`); len(snaps) != ok || ok == 0 {
		t.Errorf("%d snapshots stored, %d runs logged ok:\n%s", len(snaps), ok, out)
	}
	for _, s := range snaps {
		if s.Status != model.StatusComplete {
			t.Errorf("snapshot %d is %s", s.ID, s.Status)
		}
	}
	if !strings.Contains(out, `"outcome":"cancelled"`) {
		t.Logf("SIGTERM landed between runs this time (no run was cancelled):\n%s", out)
	}
}
