package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
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

// TestScheduleRunsWithoutOverlapAndSurvivesPanics is in internal/run, beside the scheduler.

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
