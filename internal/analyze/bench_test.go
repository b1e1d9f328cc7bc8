package analyze

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/store"
)

// BenchmarkAnalyzeAtScale times Build, the analysis alone (no rendering), on the newest snapshot
// of the database HUBREPORT_SCALE_DB names, opened as `reporter report` opens it (read-only, the
// default report.memory_limit of 1GB), and reports each step's time besides the total. Build the
// database once with `reporter demo --accounts 1000 --days 2 --db PATH` (about a million findings;
// target: Build at most 6 s on 2 cores); without it the benchmark is skipped, since building it
// takes minutes (BenchmarkReportAtScale in cmd/reporter does, for the whole report).
func BenchmarkAnalyzeAtScale(b *testing.B) {
	path := os.Getenv("HUBREPORT_SCALE_DB")
	if path == "" {
		b.Skip("HUBREPORT_SCALE_DB is not set: build a database with `reporter demo --accounts 1000 --days 2 --db PATH` and name it there")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true, MemoryLimit: "1GB"})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	snaps, err := st.Snapshots(ctx)
	if err != nil || len(snaps) == 0 {
		b.Fatalf("no snapshot in %s: %v", path, err)
	}
	snap := snaps[len(snaps)-1]
	steps := map[string]time.Duration{}
	var order []string
	opt := Options{StepDone: func(step string, d time.Duration) {
		if !slices.Contains(order, step) {
			order = append(order, step)
		}
		steps[step] += d
	}}
	cpu0 := cpuTime(b)
	for b.Loop() {
		if _, err := Build(ctx, st, snap, opt); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time (user+system of the process, DuckDB's threads included) says more than wall time
	// on a machine shared with other work.
	cpu := (cpuTime(b) - cpu0).Seconds() / float64(b.N)
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s-build")
	b.ReportMetric(cpu, "s-cpu-build")
	var line []string
	for _, step := range order {
		line = append(line, fmt.Sprintf("%s %d", step, steps[step].Milliseconds()/int64(b.N)))
	}
	b.Logf("Build on snapshot %d (%d findings, %d accounts): %.2f s, CPU %.2f s; ms per step: %s", snap.ID, snap.Findings,
		snap.AccountsCollected, b.Elapsed().Seconds()/float64(b.N), cpu, strings.Join(line, ", "))
}

// cpuTime is the process's user and system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
