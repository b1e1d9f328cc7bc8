package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkDemoHistory builds the demo organization with 1 and with 90 daily snapshots and reports
// the database size of each and their ratio (target: 90 days at most 3x one day), and how long
// `report` takes on each, best of 3 (target: the 90-day report at most 1.5x the 1-day one).
// Run with `make bench`.
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
			for range 3 {
				// A child process, as a user runs it, with the default formats text, json, pdf, xlsx.
				d, _ := runChild(b, "report", "--db", db, "--out", dir)
				if reportTime[days] == 0 || d < reportTime[days] {
					reportTime[days] = d
				}
			}
		}
		sizeRatio := float64(sizes[90]) / float64(sizes[1])
		timeRatio := reportTime[90].Seconds() / reportTime[1].Seconds()
		b.ReportMetric(float64(sizes[1])/1e6, "MB-1day")
		b.ReportMetric(float64(sizes[90])/1e6, "MB-90days")
		b.ReportMetric(sizeRatio, "size-ratio-90d/1d")
		b.ReportMetric(reportTime[1].Seconds(), "s-report-1day")
		b.ReportMetric(reportTime[90].Seconds(), "s-report-90days")
		b.ReportMetric(timeRatio, "report-ratio-90d/1d")
		b.Logf("history: DB %.1f MB (1 day) vs %.1f MB (90 days) = %.2fx (target <= 3x); report %.2f s vs %.2f s = %.2fx (target <= 1.5x)",
			float64(sizes[1])/1e6, float64(sizes[90])/1e6, sizeRatio, reportTime[1].Seconds(), reportTime[90].Seconds(), timeRatio)
	}
}

// BenchmarkReportAtScale reports on a snapshot of 1,000 accounts and about a million findings:
// `reporter report --format text,json,pdf,xlsx,evidence`, each format alone and then all of them
// together, each in a child process as a user runs it, with wall time, CPU (user+system) and
// peak RSS from the child's rusage (targets for all formats together: 20 s, 1 GB on 2 cores). The
// database is built first with `demo --accounts 1000 --days 2` (a few minutes) unless
// HUBREPORT_SCALE_DB names one built earlier (that command with --db PATH, or --days 90 for a
// longer history).
func BenchmarkReportAtScale(b *testing.B) {
	db := os.Getenv("HUBREPORT_SCALE_DB")
	if db == "" {
		dir := b.TempDir()
		db = filepath.Join(dir, "scale.duckdb")
		start := time.Now()
		if code := run(context.Background(), []string{"demo", "--db", db, "--out", dir, "--accounts", "1000", "--days", "2"},
			[]string{"LOG_LEVEL=error"}, nil, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("demo --accounts 1000: exit %d", code)
		}
		b.Logf("built 1,000 accounts x 2 days in %s", time.Since(start).Round(time.Second))
	}
	for range b.N {
		for _, format := range []string{"text", "json", "pdf", "xlsx", "evidence", "text,json,pdf,xlsx,evidence"} {
			out := b.TempDir()
			// The demo's snapshots are dated in the past: without the age check, the report is
			// that of a fresh snapshot (not stale, exit 0), as on a scheduled run.
			c := runBenchChild(b, []string{"REPORTER_AS_CHILD=" + strings.Join([]string{"report", "--db", db, "--out", out,
				"--format", format}, "\x1f"), "LOG_LEVEL=error", "REPORTER_REPORT_MAX_SNAPSHOT_AGE=0"})
			name, target := format, ""
			if strings.Contains(format, ",") {
				name, target = "all", " (targets: 20 s, 1,024 MB)"
				findings, accounts := scaleReportSize(b, out)
				b.Logf("report at scale: %d accounts, %d findings", accounts, findings)
			}
			b.ReportMetric(c.wall.Seconds(), "s-"+name)
			b.ReportMetric(c.cpu.Seconds(), "s-cpu-"+name)
			b.ReportMetric(float64(c.rssKB)/1024, "MB-rss-"+name)
			b.Logf("report --format %s: wall %.1f s, CPU %.1f s, peak RSS %.0f MB%s", format, c.wall.Seconds(), c.cpu.Seconds(),
				float64(c.rssKB)/1024, target)
		}
	}
}

// scaleReportSize reads the finding and account counts of the report.json in dir.
func scaleReportSize(b *testing.B, dir string) (findings int64, accounts int) {
	b.Helper()
	var r struct {
		Snapshot struct {
			Findings int64 `json:"findings"`
			Accounts int   `json:"accounts_collected"`
		} `json:"snapshot"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		b.Fatal(err)
	}
	return r.Snapshot.Findings, r.Snapshot.Accounts
}
