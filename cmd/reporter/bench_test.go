package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/store"
)

// BenchmarkDemoHistory builds the demo organization with 1 and with 90 daily snapshots and reports
// the database size of each, their ratio (DESIGN.md: 90 days should cost little more than one),
// and how long `report` takes on each. Run with `make bench`.
func BenchmarkDemoHistory(b *testing.B) {
	for range b.N {
		sizes := map[int]int64{}
		reportTime := map[int]time.Duration{}
		for _, days := range []int{1, 90} {
			dir := b.TempDir()
			db := filepath.Join(dir, "r.duckdb")
			start := time.Now()
			if code := run(context.Background(), []string{"demo", "--db", db, "--out", dir, "--days", strconv.Itoa(days)},
				[]string{"LOG_LEVEL=error"}, nil, io.Discard, io.Discard); code != exitOK {
				b.Fatalf("demo --days %d: exit %d", days, code)
			}
			b.ReportMetric(time.Since(start).Seconds(), "s-build-"+strconv.Itoa(days)+"d")
			fi, err := os.Stat(db)
			if err != nil {
				b.Fatal(err)
			}
			sizes[days] = fi.Size()
			start = time.Now()
			if code := run(context.Background(), []string{"report", "--db", db, "--out", dir, "--format", "text,json"},
				[]string{"LOG_LEVEL=error"}, nil, io.Discard, io.Discard); code != exitOK {
				b.Fatalf("report: exit %d", code)
			}
			reportTime[days] = time.Since(start)
		}
		b.ReportMetric(float64(sizes[1])/1e6, "MB-1day")
		b.ReportMetric(float64(sizes[90])/1e6, "MB-90days")
		b.ReportMetric(float64(sizes[90])/float64(sizes[1]), "size-ratio-90d/1d")
		b.ReportMetric(reportTime[1].Seconds(), "s-report-1day")
		b.ReportMetric(reportTime[90].Seconds(), "s-report-90days")
	}
}

// BenchmarkImport200k writes 200,000 demo findings as an ASFF file (the shape `aws securityhub
// get-findings` prints) and imports it in a child process: findings/s and the child's peak RSS.
// BENCH_IMPORT_N changes the size, to check that memory does not grow with the file.
func BenchmarkImport200k(b *testing.B) {
	n := 200000
	if s := os.Getenv("BENCH_IMPORT_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "findings.json")
	if err := writeDemoASFF(file, n); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(file)
	b.ReportMetric(float64(fi.Size())/1e6, "MB-file")
	for i := range b.N {
		db := filepath.Join(dir, fmt.Sprintf("r%d.duckdb", i))
		elapsed, rssKB := runChild(b, "import", "--db", db, "--as-of", "2025-02-23T06:00:00Z", file)
		b.ReportMetric(float64(n)/elapsed.Seconds(), "findings/s")
		b.ReportMetric(float64(rssKB)/1024, "MB-peak-RSS")
	}
}

// writeDemoASFF exports the first n findings of a large demo organization's latest day.
func writeDemoASFF(path string, n int) error {
	cat, err := catalog.Default()
	if err != nil {
		return err
	}
	// ~820 findings per account and day: enough accounts that one day holds n findings.
	org, err := demo.New(demo.Config{Accounts: n/700 + 1, Days: 1, Catalog: cat})
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := collect.NewASFFWriter(f)
	written := 0
	errEnough := errors.New("enough")
	err = org.Snapshot(context.Background(), 0, collect.SinkFunc(func(x *store.Finding) error {
		if written == n {
			return errEnough
		}
		written++
		return w.Write(x)
	}))
	if err != nil && !errors.Is(err, errEnough) {
		return errors.Join(err, f.Close())
	}
	if written < n {
		return errors.Join(fmt.Errorf("demo made only %d findings, want %d", written, n), f.Close())
	}
	return errors.Join(w.Close(), f.Close())
}

// runChild runs reporter (this test binary in child mode) and returns wall time and peak RSS (KiB).
func runChild(b *testing.B, args ...string) (time.Duration, int64) {
	b.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "REPORTER_AS_CHILD="+strings.Join(args, "\x1f"), "LOG_LEVEL=error")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("reporter %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	elapsed := time.Since(start)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Fatal("no rusage on this platform")
	}
	return elapsed, ru.Maxrss
}
