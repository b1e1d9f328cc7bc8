package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/collect/demo"
)

// callAt is call with the wall clock pinned at now.
func callAt(t *testing.T, now time.Time, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	vars := []string{"LOG_LEVEL=warn"}
	e := &env{vars: vars, stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, log: newLogger(&errb, vars),
		now: func() time.Time { return now }}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(e, c.run(context.Background(), e, args[1:])), out.String(), errb.String()
		}
	}
	t.Fatalf("no command %q", args[0])
	return 0, "", ""
}

var reportFiles = []string{"report.txt", "report.json", "report.pdf", "report.xlsx", "evidence.zip"}

// sums returns the SHA-256 of each report file in dir.
func sums(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, name := range reportFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(data)
		m[name] = hex.EncodeToString(h[:])
	}
	return m
}

// TestReportSameBytesWhateverTheClock reports the latest snapshot twice, at clocks a day apart
// (both within report.max_snapshot_age): every file is the same, byte for byte, and the same as
// the demo's own reports of that snapshot.
func TestReportSameBytesWhateverTheClock(t *testing.T) {
	dir := smallDemo(t)
	db := filepath.Join(dir, "r.duckdb")
	var got []map[string]string
	for _, now := range []time.Time{demo.DefaultEnd.Add(time.Hour), demo.DefaultEnd.Add(25*time.Hour + 17*time.Second)} {
		out := t.TempDir()
		code, _, stderr := callAt(t, now, "", "report", "--db", db, "--format", "text,json,pdf,xlsx,evidence", "--out", out)
		if code != exitOK {
			t.Fatalf("report at %v: exit %d: %s", now, code, stderr)
		}
		got = append(got, sums(t, out))
		// The evidence package's copies of the PDF and the workbook are the files themselves.
		zr, err := zip.OpenReader(filepath.Join(out, "evidence.zip"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"report.pdf", "report.xlsx"} {
			want, _ := os.ReadFile(filepath.Join(out, name))
			f, err := zr.Open("reports/" + name)
			if err != nil {
				t.Fatal(err)
			}
			inZip, err := io.ReadAll(f)
			if err != nil || !bytes.Equal(inZip, want) {
				t.Errorf("evidence.zip reports/%s is not %s (%v)", name, name, err)
			}
		}
		zr.Close()
	}
	got = append(got, sums(t, dir))
	for _, name := range reportFiles {
		if got[0][name] != got[1][name] {
			t.Errorf("%s differs between two clocks: %s and %s", name, got[0][name], got[1][name])
		}
		if got[0][name] != got[2][name] {
			t.Errorf("%s differs from the demo's: %s and %s", name, got[0][name], got[2][name])
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		GeneratedAt time.Time `json:"generated_at"`
		Snapshot    struct {
			TakenAt time.Time `json:"taken_at"`
		} `json:"snapshot"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if !r.GeneratedAt.Equal(r.Snapshot.TakenAt) || !r.GeneratedAt.Equal(demo.DefaultEnd) {
		t.Errorf("generated_at %v, want the snapshot's taken_at %v", r.GeneratedAt, r.Snapshot.TakenAt)
	}
}

// importAt stores goodFinding as a snapshot taken at `at` in a new database.
func importAt(t *testing.T, at time.Time) string {
	t.Helper()
	dir := t.TempDir()
	db, file := filepath.Join(dir, "r.duckdb"), filepath.Join(dir, "findings.json")
	if err := os.WriteFile(file, []byte(`[`+goodFinding+`]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := call(t, "", "import", "--db", db, "--as-of", at.UTC().Format(time.RFC3339), file); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	return db
}

// TestStaleReportExits3 reports, on the real clock, a snapshot two days old: the reports are
// written, their header says how old the snapshot is, and the exit code is 3. A fresh snapshot
// exits 0 with no marker, and an old snapshot asked for by id is not stale.
func TestStaleReportExits3(t *testing.T) {
	now := time.Now().UTC()
	db := importAt(t, now.Add(-48*time.Hour))
	out := t.TempDir()
	code, _, stderr := call(t, "", "report", "--db", db, "--format", "text,json", "--out", out)
	if code != exitPartial {
		t.Fatalf("stale report: exit %d, want %d: %s", code, exitPartial, stderr)
	}
	// Which date "now" is can change between the import and the report, but not by two days.
	age := "2 days old"
	if !strings.Contains(stderr, age) || !strings.Contains(stderr, "report.max_snapshot_age") {
		t.Errorf("stderr does not say how old: %s", stderr)
	}
	text, _ := os.ReadFile(filepath.Join(out, "report.txt"))
	lines := strings.Split(string(text), "\n")
	if len(lines) < 6 || !strings.HasPrefix(lines[5], "STALE DATA: ") || !strings.Contains(lines[5], age) {
		t.Errorf("report.txt: no stale line under Report Date:\n%s", text)
	}
	var r struct {
		Stale *struct {
			AgeDays int    `json:"age_days"`
			RunDate string `json:"run_date"`
		} `json:"stale"`
	}
	data, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if err := json.Unmarshal(data, &r); err != nil || r.Stale == nil || r.Stale.AgeDays != 2 {
		t.Errorf("report.json stale: %+v (%v)", r.Stale, err)
	}

	// The same snapshot asked for by id is the past on purpose: not stale.
	code, stdout, stderr := call(t, "", "report", "--db", db, "--snapshot", "1", "--format", "text", "--out", "-")
	if code != exitOK || strings.Contains(stdout, "STALE") {
		t.Errorf("report --snapshot 1: exit %d, stale marker %v: %s", code, strings.Contains(stdout, "STALE"), stderr)
	}
	// The check can be turned off.
	code, _, stderr = call(t, "", "report", "--config", writeConfig(t, "report: {max_snapshot_age: 0s}\n"), "--db", db, "--format", "text", "--out", t.TempDir())
	if code != exitOK {
		t.Errorf("report with max_snapshot_age 0: exit %d: %s", code, stderr)
	}

	fresh := importAt(t, now.Add(-time.Hour))
	code, stdout, stderr = call(t, "", "report", "--db", fresh, "--format", "json", "--out", "-")
	if code != exitOK || !strings.Contains(stdout, "\n  \"stale\": null,\n") {
		t.Errorf("fresh report: exit %d, stale null %v: %s", code, strings.Contains(stdout, `"stale": null`), stderr)
	}
}

func writeConfig(t *testing.T, yml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "reporter.yaml")
	if err := os.WriteFile(p, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunRedeliversAndSaysStale runs report,deliver for one snapshot into one folder archive:
// twice within the age limit at different clocks (the second delivery finds the same bytes
// archived and succeeds), then two days late, which writes and delivers the reports with the
// stale warning, exits 3, and leaves the archived fresh reports alone.
func TestRunRedeliversAndSaysStale(t *testing.T) {
	dir := smallDemo(t)
	work := t.TempDir()
	archive := filepath.Join(work, "archive")
	cfg := func(out string) string {
		return writeConfig(t, "store: {path: "+filepath.Join(dir, "r.duckdb")+"}\n"+
			"report: {formats: [text, json, pdf, xlsx, evidence], out: "+out+"}\n"+
			"deliver: {archive: {dir: "+archive+"}}\n")
	}
	var outs []string
	for i, now := range []time.Time{demo.DefaultEnd.Add(time.Hour), demo.DefaultEnd.Add(30 * time.Hour)} {
		out := filepath.Join(work, "out", string(rune('a'+i)))
		code, stdout, stderr := callAt(t, now, "", "run", "--steps", "report,deliver", "--config", cfg(out))
		if code != exitOK {
			t.Fatalf("delivery %d: exit %d\n%s%s", i+1, code, stdout, stderr)
		}
		outs = append(outs, out)
	}
	archived := filepath.Join(archive, "2025", "02", "23", "snapshot-15")
	want := sums(t, archived)
	for i, out := range outs {
		for name, sum := range sums(t, out) {
			if sum != want[name] {
				t.Errorf("delivery %d: %s differs from the archived copy", i+1, name)
			}
		}
	}

	out := filepath.Join(work, "out", "late")
	code, _, stderr := callAt(t, demo.DefaultEnd.Add(48*time.Hour), "", "run", "--steps", "report,deliver", "--config", cfg(out))
	// The archive keeps the first delivery of the snapshot; a stale report is different bytes,
	// which the archive refuses (docs/operations.md, "Retries and re-delivery").
	if code == exitOK || code == exitPartial {
		t.Errorf("late delivery over an archived fresh one: exit %d: %s", code, stderr)
	}
	text, _ := os.ReadFile(filepath.Join(out, "report.txt"))
	if !strings.Contains(string(text), "STALE DATA: this report was made on 2025-02-25 from the snapshot of 2025-02-23, 2 days old") {
		t.Errorf("late report.txt lacks the stale line:\n%.600s", text)
	}
	if got := sums(t, archived); got["report.txt"] != want["report.txt"] {
		t.Errorf("the late delivery changed the archived report")
	}

	// With an archive of its own, the late delivery goes through and exits 3.
	late := filepath.Join(work, "archive-late")
	cfgLate := writeConfig(t, "store: {path: "+filepath.Join(dir, "r.duckdb")+"}\n"+
		"report: {formats: [text, json, pdf, xlsx, evidence], out: "+out+"}\n"+
		"deliver: {archive: {dir: "+late+"}}\n")
	code, _, stderr = callAt(t, demo.DefaultEnd.Add(48*time.Hour), "", "run", "--steps", "report,deliver", "--config", cfgLate)
	if code != exitPartial || !strings.Contains(stderr, "2 days old on 2025-02-25") {
		t.Errorf("late delivery: exit %d, want %d: %s", code, exitPartial, stderr)
	}
	text, _ = os.ReadFile(filepath.Join(late, "2025", "02", "23", "snapshot-15", "report.txt"))
	if !strings.Contains(string(text), "STALE DATA:") {
		t.Errorf("the archived late report lacks the stale line")
	}
}

// TestTargetHorizonFromConfig: report.target_horizon_days reaches the report: with a 1-day
// horizon a standard whose projected date lies further out is off track, and says why.
func TestTargetHorizonFromConfig(t *testing.T) {
	dir := smallDemo(t)
	var def struct {
		Progress struct {
			TargetHorizonDays int `json:"target_horizon_days"`
		} `json:"progress"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if err := json.Unmarshal(b, &def); err != nil || def.Progress.TargetHorizonDays != 365 {
		t.Errorf("default target_horizon_days %d (%v), want 365", def.Progress.TargetHorizonDays, err)
	}
	cfg := filepath.Join(t.TempDir(), "reporter.yaml")
	if err := os.WriteFile(cfg, []byte("report:\n  target_horizon_days: 1\n  max_snapshot_age: 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := call(t, "", "report", "--config", cfg, "--db", filepath.Join(dir, "r.duckdb"), "--format", "json", "--out", "-")
	if code != exitOK {
		t.Fatalf("report exit %d: %s", code, stderr)
	}
	var r struct {
		ReportDate string `json:"report_date"`
		Progress   struct {
			TargetHorizonDays int `json:"target_horizon_days"`
			Standards         []struct {
				ID             string  `json:"id"`
				ProjectedDate  *string `json:"projected_date"`
				OnTrack        bool    `json:"on_track"`
				OffTrackReason string  `json:"off_track_reason"`
			} `json:"standards"`
		} `json:"progress"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Progress.TargetHorizonDays != 1 {
		t.Errorf("target_horizon_days %d, want the configured 1", r.Progress.TargetHorizonDays)
	}
	beyond := 0
	for _, s := range r.Progress.Standards {
		if s.ProjectedDate == nil || *s.ProjectedDate == r.ReportDate {
			continue // not improving, or the target is met: the horizon does not apply
		}
		projected, err := time.Parse(time.DateOnly, *s.ProjectedDate)
		report, err2 := time.Parse(time.DateOnly, r.ReportDate)
		if err != nil || err2 != nil {
			t.Fatalf("projected date %q, report date %q: %v %v", *s.ProjectedDate, r.ReportDate, err, err2)
		}
		if projected.Sub(report) <= 24*time.Hour {
			continue
		}
		beyond++
		if want := "projected " + *s.ProjectedDate + ", beyond the 1-day horizon"; s.OnTrack || s.OffTrackReason != want {
			t.Errorf("%s: on track %v, reason %q; want off track, %q", s.ID, s.OnTrack, s.OffTrackReason, want)
		}
	}
	if beyond == 0 {
		t.Errorf("no standard of the demo projects a date beyond one day: the test checks nothing (%s)", stdout[:min(len(stdout), 400)])
	}
}
