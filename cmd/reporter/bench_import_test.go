package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/store"
)

// benchMemoryLimit is the DuckDB baseline's memory_limit. `reporter import` runs with the default
// store.memory_limit (160MB); the baseline keeps the 256MB it was first measured with, more than
// the import gets, so that the comparison can only flatter DuckDB (its reader peaks near 260 MB
// RSS and takes the same time at 160MB).
const benchMemoryLimit = "256MB"

// The DuckDB baseline runs in a child process, like the import, so that the peak RSS measured is
// its own. The child is this test binary, switched by an environment variable here rather than by
// a hidden reporter subcommand: the shipped binary carries nothing that only a benchmark needs.
// init runs before TestMain, so the child does nothing else.
func init() {
	args := os.Getenv("REPORTER_BENCH_JSON_BASELINE")
	if args == "" {
		return
	}
	a := strings.Split(args, "\x1f") // db, json file
	n, err := store.ReadJSONBaseline(context.Background(), a[0], a[1], benchMemoryLimit)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(n)
	os.Exit(0)
}

// BenchmarkImport200k writes 200,000 demo findings as a JSON array of ASFF findings (~460 MB:
// consolidated control findings with their resources and product fields) and, each in a child
// process, builds a findings table from it with DuckDB's own JSON reader (read_json, the
// yardstick) and runs `reporter import` on it, in turn, three times (interleaved pairs). It
// reports, from the medians of the rounds, three figures against their targets:
//
//   - ratio-wall, import wall time / DuckDB's: target at most 1.0;
//   - ratio-cpu, import CPU time (user+system, from the child's rusage) / DuckDB's: target at most
//     1.3 (DuckDB's reader runs on both cores, so a lower wall time bought with more CPU would not
//     count);
//   - MB-peak-RSS, the import's highest peak RSS over the rounds: target at most 300 MB.
//
// It also reports findings/s, each side's times and DuckDB's peak RSS. BENCH_IMPORT_N changes the size
// (50000 is a quick run), BENCH_IMPORT_ROUNDS the number of rounds.
func BenchmarkImport200k(b *testing.B) {
	n := 200000
	if s := os.Getenv("BENCH_IMPORT_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	benchImport(b, n)
}

// BenchmarkImport1M is BenchmarkImport200k with 1,000,000 findings (a ~2.3 GB file in the temp
// directory, removed afterwards), to show that peak RSS does not grow with the file. It takes
// several minutes, so `make bench` skips it unless BENCH_IMPORT_1M=1.
func BenchmarkImport1M(b *testing.B) {
	if os.Getenv("BENCH_IMPORT_1M") == "" {
		b.Skip("set BENCH_IMPORT_1M=1 to run (writes a ~2.3 GB file to the temp directory)")
	}
	benchImport(b, 1000000)
}

func benchImport(b *testing.B, n int) {
	dir := b.TempDir()
	file := filepath.Join(dir, "findings.json")
	if err := writeDemoASFF(file, n); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/1e6, "MB-file")
	// A shared 2-core machine moves wall times by 10-25% from one run to the next, so each
	// iteration runs the two sides in turn BENCH_IMPORT_ROUNDS times (default 3) and reports
	// the median times, their ratios, and the highest peak RSS.
	rounds := 3
	if s := os.Getenv("BENCH_IMPORT_ROUNDS"); s != "" {
		if rounds, err = strconv.Atoi(s); err != nil || rounds < 1 {
			b.Fatalf("BENCH_IMPORT_ROUNDS %q is not a positive number", s)
		}
	}
	for range b.N {
		var imps, ducks []childRun
		var wallRatios, cpuRatios []string
		for i := range rounds {
			db := filepath.Join(dir, fmt.Sprintf("duck%d.duckdb", i))
			duck := runBenchChild(b, []string{"REPORTER_BENCH_JSON_BASELINE=" + db + "\x1f" + file})
			if rows, _ := strconv.Atoi(strings.TrimSpace(duck.stdout)); rows != n {
				b.Fatalf("DuckDB baseline made %q rows, want %d", duck.stdout, n)
			}
			rdb := filepath.Join(dir, fmt.Sprintf("r%d.duckdb", i))
			imp := runBenchChild(b, []string{"REPORTER_AS_CHILD=" + strings.Join([]string{"import", "--db", rdb, "--as-of", "2025-02-23T06:00:00Z", file}, "\x1f"),
				"LOG_LEVEL=error"})
			imps, ducks = append(imps, imp), append(ducks, duck)
			wallRatios = append(wallRatios, fmt.Sprintf("%.2f", imp.wall.Seconds()/duck.wall.Seconds()))
			cpuRatios = append(cpuRatios, fmt.Sprintf("%.2f", imp.cpu.Seconds()/duck.cpu.Seconds()))
			for _, p := range []string{db, rdb} {
				os.Remove(p)
				os.Remove(p + ".wal")
			}
		}
		imp, duck := medianRun(imps), medianRun(ducks)
		ratio := imp.wall.Seconds() / duck.wall.Seconds()
		cpuRatio := imp.cpu.Seconds() / duck.cpu.Seconds()
		b.ReportMetric(float64(n)/imp.wall.Seconds(), "findings/s")
		b.ReportMetric(ratio, "ratio-wall")
		b.ReportMetric(cpuRatio, "ratio-cpu")
		b.ReportMetric(float64(imp.rssKB)/1024, "MB-peak-RSS")
		b.ReportMetric(imp.wall.Seconds(), "s-import")
		b.ReportMetric(duck.wall.Seconds(), "s-duckdb")
		b.ReportMetric(imp.cpu.Seconds(), "s-cpu-import")
		b.ReportMetric(duck.cpu.Seconds(), "s-cpu-duckdb")
		b.ReportMetric(float64(duck.rssKB)/1024, "MB-peak-RSS-duckdb")
		b.Logf("%d findings, %.0f MB, median of %d rounds: import %.2fs (cpu %.2fs, %.0f findings/s) peak RSS %.0f MB; DuckDB read_json %.2fs (cpu %.2fs) peak RSS %.0f MB",
			n, float64(fi.Size())/1e6, rounds, imp.wall.Seconds(), imp.cpu.Seconds(), float64(n)/imp.wall.Seconds(), float64(imp.rssKB)/1024,
			duck.wall.Seconds(), duck.cpu.Seconds(), float64(duck.rssKB)/1024)
		b.Logf("wall %.2fx (target <= 1.0; rounds %s), cpu %.2fx (target <= 1.3; rounds %s), import peak RSS %.0f MB (target <= 300)",
			ratio, strings.Join(wallRatios, ", "), cpuRatio, strings.Join(cpuRatios, ", "), float64(imp.rssKB)/1024)
	}
}

// medianRun is the median wall and CPU time of runs and their highest peak RSS.
func medianRun(runs []childRun) childRun {
	median := func(v func(childRun) time.Duration) time.Duration {
		ds := make([]time.Duration, len(runs))
		for i, r := range runs {
			ds[i] = v(r)
		}
		slices.Sort(ds)
		if len(ds)%2 == 1 {
			return ds[len(ds)/2]
		}
		return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	m := childRun{wall: median(func(r childRun) time.Duration { return r.wall }), cpu: median(func(r childRun) time.Duration { return r.cpu })}
	for _, r := range runs {
		m.rssKB = max(m.rssKB, r.rssKB)
	}
	return m
}

// writeDemoASFF writes the first n findings of a large demo organization's latest day as a JSON
// array, one finding a line. Each finding is what MarshalASFF writes plus what real consolidated
// control findings also carry and the import skips: the Config rule and resource in
// ProductFields and the resource's Details.
func writeDemoASFF(path string, n int) error {
	cat, err := catalog.Default()
	if err != nil {
		return err
	}
	// ~820 findings per account and day: enough accounts that one day holds n findings.
	org, err := demo.New(demo.Config{Accounts: n/700 + 2, Days: 1, Catalog: cat})
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("[\n")
	written := 0
	errEnough := errors.New("enough")
	err = org.Snapshot(context.Background(), 0, collect.SinkFunc(func(x *model.Finding) error {
		if written == n {
			return errEnough
		}
		b, err := collect.MarshalASFF(x)
		if err != nil {
			return err
		}
		if written > 0 {
			w.WriteString(",\n")
		}
		written++
		_, err = w.Write(enrichASFF(b, x))
		return err
	}))
	if err != nil && !errors.Is(err, errEnough) {
		return errors.Join(err, f.Close())
	}
	if written < n {
		return errors.Join(fmt.Errorf("demo made only %d findings, want %d", written, n), f.Close())
	}
	w.WriteString("\n]\n")
	return errors.Join(w.Flush(), f.Close())
}

// enrichASFF adds to one finding written by MarshalASFF the attributes a real consolidated control
// finding has beyond them (see testdata/consolidated_fsbp.json in internal/collect).
func enrichASFF(b []byte, x *model.Finding) []byte {
	h := sha256.Sum256([]byte(x.ID))
	rule := "securityhub-" + strings.ToLower(strings.ReplaceAll(x.ControlID, ".", "-")) + "-" + hex.EncodeToString(h[:4])
	b = bytes.Replace(b, []byte(`"ProductFields":{`), fmt.Appendf(nil,
		`"ProductFields":{"RelatedAWSResources:0/name":%q,"RelatedAWSResources:0/type":"AWS::Config::ConfigRule","Resources:0/Id":%q,`,
		rule, x.ResourceID), 1)
	if i := bytes.Index(b, []byte(`"Resources":[{`)); i >= 0 {
		if j := bytes.IndexByte(b[i:], '}'); j >= 0 {
			details := fmt.Appendf(nil, `,"Details":{"Other":{"ResourceOwner":%q,"ConfigRuleArn":"arn:aws:config:%s:%s:config-rule/%s"}}`,
				x.AccountID, x.Region, x.AccountID, rule)
			b = append(b[:i+j:i+j], append(details, b[i+j:]...)...)
		}
	}
	return b
}

// runChild runs reporter (this test binary in child mode) and returns wall time and peak RSS (KiB).
func runChild(b *testing.B, args ...string) (time.Duration, int64) {
	b.Helper()
	r := runBenchChild(b, []string{"REPORTER_AS_CHILD=" + strings.Join(args, "\x1f"), "LOG_LEVEL=error"})
	return r.wall, r.rssKB
}

// childRun is what runBenchChild measured.
type childRun struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	rssKB  int64         // peak RSS
	stdout string
}

// runBenchChild runs this test binary with env added: reporter itself with REPORTER_AS_CHILD (see
// TestMain), the DuckDB baseline with REPORTER_BENCH_JSON_BASELINE.
func runBenchChild(b *testing.B, env []string) childRun {
	b.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", strings.Join(env, " "), err, stderr.String())
	}
	elapsed := time.Since(start)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Fatal("no rusage on this platform")
	}
	return childRun{wall: elapsed, cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), rssKB: ru.Maxrss, stdout: stdout.String()}
}
