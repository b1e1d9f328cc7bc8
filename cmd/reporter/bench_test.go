package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
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

// BenchmarkReportAtScale reports on a snapshot of 1,000 accounts with 90 days of history, in every
// format, in a child process: wall time and peak RSS (targets: 60 s, 1.5 GB). Building that
// history takes a while; HUBREPORT_SCALE_DB names a database built earlier with
// `reporter demo --accounts 1000 --days 90 --db PATH` to reuse it.
func BenchmarkReportAtScale(b *testing.B) {
	db := os.Getenv("HUBREPORT_SCALE_DB")
	if db == "" {
		dir := b.TempDir()
		db = filepath.Join(dir, "scale.duckdb")
		start := time.Now()
		if code := run(context.Background(), []string{"demo", "--db", db, "--out", dir, "--accounts", "1000", "--days", "90"},
			[]string{"LOG_LEVEL=error"}, nil, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("demo --accounts 1000: exit %d", code)
		}
		b.Logf("built 1,000 accounts x 90 days in %s", time.Since(start).Round(time.Second))
	}
	out := b.TempDir()
	for range b.N {
		d, rss := runChild(b, "report", "--db", db, "--out", out, "--format", "text,json,pdf,xlsx")
		var r struct {
			Snapshot struct {
				Findings int64 `json:"findings"`
				Accounts int   `json:"accounts_collected"`
			} `json:"snapshot"`
			Progress struct {
				Snapshots int `json:"snapshots"`
			} `json:"progress"`
		}
		data, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(data, &r); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(d.Seconds(), "s-report")
		b.ReportMetric(float64(rss)/1024, "MB-peak-rss")
		b.Logf("report at scale: %d accounts, %d findings, %d snapshots in the window: %.1f s (target <= 60 s), peak RSS %.0f MB (target <= 1,536 MB)",
			r.Snapshot.Accounts, r.Snapshot.Findings, r.Progress.Snapshots, d.Seconds(), float64(rss)/1024)
	}
}
