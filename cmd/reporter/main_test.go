package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store"
)

// call runs the CLI in-process and returns exit code, stdout and stderr.
func call(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, []string{"LOG_LEVEL=warn"}, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// demoDB builds a small demo once per test binary run.
var demoDir string

func smallDemo(t *testing.T) string {
	t.Helper()
	if demoDir != "" {
		return demoDir
	}
	dir, err := os.MkdirTemp("", "reporter-demo-")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := call(t, "", "demo", "--db", filepath.Join(dir, "r.duckdb"), "--out", dir, "--accounts", "6", "--days", "15")
	if code != exitOK {
		t.Fatalf("demo exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	demoDir = dir
	return dir
}

func TestMain(m *testing.M) {
	// Benchmarks re-run this binary as the reporter itself, to measure one command's peak RSS.
	if args := os.Getenv("REPORTER_AS_CHILD"); args != "" {
		// As main does: SIGINT and SIGTERM cancel the context.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, strings.Split(args, "\x1f"), os.Environ(), os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	code := m.Run()
	if demoDir != "" {
		os.RemoveAll(demoDir)
	}
	os.Exit(code)
}

func TestDemoWritesEveryReport(t *testing.T) {
	dir := smallDemo(t)
	for _, name := range []string{"report.txt", "report.json", "report.pdf", "report.xlsx", "evidence.zip"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&^0o640 != 0 {
			t.Errorf("%s mode %v: reports must be 0640 or tighter", name, fi.Mode().Perm())
		}
	}
	txt, _ := os.ReadFile(filepath.Join(dir, "report.txt"))
	if !strings.HasPrefix(string(txt), "AWS Security Hub Compliance Report\n") || !strings.Contains(string(txt), "Organization: acme-corp") {
		t.Errorf("report.txt does not start as documented:\n%.400s", txt)
	}
	var r map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if stds, _ := r["standards"].([]any); len(stds) != 4 {
		t.Errorf("demo report has %d standards, want 4", len(stds))
	}
	if p, _ := r["progress"].(map[string]any); p["snapshots"] != float64(15) {
		t.Errorf("progress snapshots %v, want 15", p["snapshots"])
	}
}

func TestReportToStdoutMatchesFile(t *testing.T) {
	dir := smallDemo(t)
	// A day after the demo's last snapshot: within report.max_snapshot_age.
	code, stdout, stderr := callAt(t, demo.DefaultEnd.Add(24*time.Hour), "", "report", "--db", filepath.Join(dir, "r.duckdb"), "--format", "json", "--out", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The report is a function of the snapshot: the same bytes as the demo wrote.
	f, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if stdout != string(f) {
		t.Error("report --out - differs from the demo's report.json")
	}
}

// listedSnapshot is a row of `reporter snapshots --format json`.
type listedSnapshot struct {
	ID      int64     `json:"id"`
	TakenAt time.Time `json:"taken_at"`
	Status  string    `json:"status"`
}

// listSnapshots runs `reporter snapshots` on db.
func listSnapshots(t *testing.T, db string) []listedSnapshot {
	t.Helper()
	code, stdout, stderr := call(t, "", "snapshots", "--db", db, "--format", "json")
	if code != exitOK {
		t.Fatalf("snapshots: exit %d %s", code, stderr)
	}
	var snaps []listedSnapshot
	if err := json.Unmarshal([]byte(stdout), &snaps); err != nil {
		t.Fatalf("snapshots: %v", err)
	}
	return snaps
}

func TestReportPicksSnapshots(t *testing.T) {
	dir := smallDemo(t)
	db := filepath.Join(dir, "r.duckdb")
	snaps := listSnapshots(t, db)
	if len(snaps) != 15 {
		t.Fatalf("%d snapshots, want 15", len(snaps))
	}
	tests := []struct {
		args   []string
		wantID int64
	}{
		{[]string{"--snapshot", "3"}, 3},
		{[]string{"--as-of", snaps[4].TakenAt.Format("2006-01-02")}, snaps[4].ID},
		{[]string{"--as-of", snaps[6].TakenAt.Format(time.RFC3339)}, snaps[6].ID},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"report", "--db", db, "--format", "json", "--out", "-"}, tt.args...)
			code, stdout, stderr := call(t, "", args...)
			var r struct {
				Snapshot struct{ ID int64 } `json:"snapshot"`
			}
			json.Unmarshal([]byte(stdout), &r)
			// Exit 3 is fine for the historic snapshots the demo made partial on purpose.
			if (code != exitOK && code != exitPartial) || r.Snapshot.ID != tt.wantID {
				t.Errorf("exit %d snapshot %d, want %d (%s)", code, r.Snapshot.ID, tt.wantID, stderr)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"bad flag", []string{"report", "--nope"}, "nope"},
		{"unknown format", []string{"report", "--format", "docx", "--db", "x.duckdb"}, `unknown report format "docx"`},
		{"two formats to stdout", []string{"report", "--format", "text,json", "--out", "-", "--db", "x"}, "one format"},
		{"import without files", []string{"import"}, "at least one FILE"},
		{"bad as-of", []string{"import", "--as-of", "yesterday", "f.json"}, "--as-of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := call(t, "", tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 mentioning %q", code, stderr, tt.want)
			}
		})
	}
	if code, stdout, _ := call(t, "", "--help"); code != exitOK || !strings.Contains(stdout, "130") {
		t.Errorf("--help: exit %d, exit codes listed: %v", code, strings.Contains(stdout, "130"))
	}
	if code, _, stderr := call(t, "", "report", "--help"); code != exitOK || !strings.Contains(stderr, "--as-of") || !strings.Contains(stderr, "Exit codes") {
		t.Errorf("report --help: exit %d\n%s", code, stderr)
	}
}

const goodFinding = `{"SchemaVersion":"2018-10-08","Id":"arn:aws:securityhub:us-east-1:123456789012:security-control/S3.1/finding/a1",
"ProductArn":"arn:aws:securityhub:us-east-1::product/aws/securityhub","GeneratorId":"security-control/S3.1",
"AwsAccountId":"123456789012","Types":["Software and Configuration Checks/Industry and Regulatory Standards"],
"CreatedAt":"2025-01-01T00:00:00.000Z","UpdatedAt":"2025-02-01T00:00:00Z","Severity":{"Label":"MEDIUM","Normalized":40},
"Title":"S3 general purpose buckets should have block public access settings enabled",
"Resources":[{"Type":"AwsAccount","Id":"AWS::::Account:123456789012","Region":"us-east-1"}],
"Compliance":{"Status":"FAILED","SecurityControlId":"S3.1","AssociatedStandards":[{"StandardsId":"standards/aws-foundational-security-best-practices/v/1.0.0"}]},
"Workflow":{"Status":"NEW"},"RecordState":"ACTIVE"}`

func TestImportThenReport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.duckdb")
	file := filepath.Join(dir, "findings.json.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"Findings":[` + goodFinding + `],"NextToken":null}`))
	zw.Close()
	os.WriteFile(file, buf.Bytes(), 0o600)
	code, stdout, stderr := call(t, "", "import", "--db", db, "--as-of", "2025-02-02T00:00:00Z", file)
	if code != exitOK || !strings.Contains(stdout, "1 findings") {
		t.Fatalf("import exit %d: %s %s", code, stdout, stderr)
	}
	code, stdout, stderr = callAt(t, time.Date(2025, 2, 2, 1, 0, 0, 0, time.UTC), "", "report", "--db", db, "--format", "text", "--out", "-")
	if code != exitOK {
		t.Fatalf("report exit %d: %s", code, stderr)
	}
	for _, want := range []string{"AWS Foundational Security Best Practices v1.0.0: 0%", "[S3.1] S3 general purpose buckets should have block public access settings enabled - 1/1 accounts FAILED", "Report Date: 2025-02-02"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}

	// A bad second import names the file, record and field, and stores nothing.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`[`+goodFinding+`, {"Id":"x2","ProductArn":"p"}]`), 0o600)
	code, _, stderr = call(t, "", "import", "--db", db, bad)
	if code != exitError || !strings.Contains(stderr, "bad.json") || !strings.Contains(stderr, "record 1") || !strings.Contains(stderr, "AwsAccountId") {
		t.Errorf("bad import: exit %d, stderr %q", code, stderr)
	}
	code, stdout, _ = call(t, "", "snapshots", "--db", db, "--format", "json")
	if code != exitOK || strings.Count(stdout, `"id"`) != 1 {
		t.Errorf("after a failed import: %s", stdout)
	}

	// Stdin works too.
	code, _, stderr = call(t, goodFinding+"\n", "import", "--db", db, "-")
	if code != exitOK {
		t.Errorf("import from stdin: exit %d %s", code, stderr)
	}
}

func TestPartialSnapshotExits3(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.duckdb")
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := st.BeginSnapshot(ctx, model.SnapshotMeta{TakenAt: time.Now(), Source: "aws"}, nil, nil)
	w.AddCoverage(model.Coverage{AccountID: "111122223333", Region: "us-east-1", Status: model.CoverageCollected})
	w.AddCoverage(model.Coverage{AccountID: "444455556666", Region: "us-east-1", Status: model.CoverageDenied, Reason: "AccessDenied: sts:AssumeRole"})
	if _, err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, stdout, stderr := call(t, "", "report", "--db", db, "--format", "text", "--out", "-")
	if code != exitPartial || !strings.Contains(stdout, "444455556666") || !strings.Contains(stderr, "partial") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}

func TestConfigErrorsAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "r.yaml")
	os.WriteFile(cfg, []byte("report:\n  target_score: 150\n"), 0o600)
	code, _, stderr := call(t, "", "report", "--config", cfg)
	if code != exitUsage || !strings.Contains(stderr, "report.target_score") {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
}

// TestDemoReportsAgree reads the demo's PDF (pdftotext) and workbook (excelize) back and checks
// them against its report.json: every standard's score as the reports round it, the top failed
// controls, and the workbook's sheets.
func TestDemoReportsAgree(t *testing.T) {
	dir := smallDemo(t)
	var r report.Report
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", filepath.Join(dir, "report.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils; .ci/run installs it): %v", err)
	}
	text := string(out)
	for _, s := range r.Standards {
		if s.Score == nil {
			continue
		}
		want := fmt.Sprintf("%d%%", report.RoundPercent(*s.Score))
		// The trend heading of each standard reads "CIS v5.0 ... 53% → 66% (+13 pts)".
		if !regexp.MustCompile(regexp.QuoteMeta(s.ShortName) + `[^\n]*→ ` + regexp.QuoteMeta(want)).MatchString(text) {
			t.Errorf("PDF does not show %s at %s", s.ShortName, want)
		}
	}
	for _, c := range r.TopFailedControls[:min(10, len(r.TopFailedControls))] {
		if !strings.Contains(text, c.ControlID) {
			t.Errorf("PDF lacks top failed control %s", c.ControlID)
		}
	}
	f, err := excelize.OpenFile(filepath.Join(dir, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"Summary", "Scores by Standard", "Scores by Account", "OUs", "Top Failed Controls", "Remediation Plan", "Since Last Week", "Failed Findings", "Trend", "Suppressed", "Exceptions", "Methodology"}
	if got := f.GetSheetList(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sheets %q, want %q", got, want)
	}
	rows, err := f.GetRows("Failed Findings")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 || len(rows)-1 > int(r.Findings.Active) {
		t.Errorf("Failed Findings has %d rows; the snapshot has %d active findings", len(rows)-1, r.Findings.Active)
	}
	// Top Failed Controls row 2 is the first control of the JSON report, with its count as a number.
	id, _ := f.GetCellValue("Top Failed Controls", "B2")
	n, _ := f.GetCellValue("Top Failed Controls", "E2", excelize.Options{RawCellValue: true})
	if len(r.TopFailedControls) > 0 && (id != r.TopFailedControls[0].ControlID || n != strconv.Itoa(r.TopFailedControls[0].FailedAccounts)) {
		t.Errorf("workbook top control %s %s, JSON %s %d", id, n, r.TopFailedControls[0].ControlID, r.TopFailedControls[0].FailedAccounts)
	}
}
