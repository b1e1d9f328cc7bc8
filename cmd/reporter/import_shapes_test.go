package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/model"
)

// demoFindings reads the findings of the small demo's last snapshot back from its evidence
// package (findings/findings.asff.json.gz, the get-findings shape).
func demoFindings(t *testing.T) []*model.Finding {
	t.Helper()
	zr, err := zip.OpenReader(filepath.Join(smallDemo(t), "evidence.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := zr.Open("findings/findings.asff.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*model.Finding
	if err := collect.Decode(context.Background(), "findings.asff.json.gz", f, nil, func(f *model.Finding) error {
		out = append(out, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(out) < 100 {
		t.Fatalf("the demo's evidence holds %d findings", len(out))
	}
	return out
}

// older is a copy of f as it was a day before: an update EventBridge sent earlier, with the
// opposite compliance status, so that keeping it instead of f would change the report.
func older(f *model.Finding) *model.Finding {
	o := *f
	o.UpdatedAt = f.UpdatedAt.Add(-24 * time.Hour)
	switch f.ComplianceStatus {
	case "PASSED":
		o.ComplianceStatus = "FAILED"
	default:
		o.ComplianceStatus = "PASSED"
	}
	return &o
}

func marshalAll(t *testing.T, fs []*model.Finding, enc func(*model.Finding, int) ([]byte, error)) [][]byte {
	t.Helper()
	out := make([][]byte, len(fs))
	for i, f := range fs {
		b, err := enc(f, i)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// TestImportShapesGiveTheSameReport imports one set of findings in every shape import reads, each
// into its own database, and compares the reports: get-findings output, a bare array, JSON Lines,
// the lowercase {"findings": [...]} page, and EventBridge events one per line, concatenated as
// Firehose writes them (gzipped) and in an array, the event files with older copies of a third
// of the findings (older UpdatedAt, the opposite compliance status) before and after the newer
// ones: the latest UpdatedAt must win wherever it stands in the file.
func TestImportShapesGiveTheSameReport(t *testing.T) {
	fs := demoFindings(t)
	dir := t.TempDir()
	asff := marshalAll(t, fs, func(f *model.Finding, _ int) ([]byte, error) { return collect.MarshalASFF(f) })
	var withOlder []*model.Finding // older copies of every third finding, half before, half after
	dups := 0
	for i, f := range fs {
		switch i % 6 {
		case 0:
			withOlder = append(withOlder, older(f), f)
			dups++
		case 3:
			withOlder = append(withOlder, f, older(f))
			dups++
		default:
			withOlder = append(withOlder, f)
		}
	}
	events := marshalAll(t, withOlder, func(f *model.Finding, i int) ([]byte, error) {
		return collect.MarshalEvent(f, fmt.Sprintf("event-%d", i))
	})
	var getFindings bytes.Buffer
	w := collect.NewASFFWriter(&getFindings)
	for _, f := range fs {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"get-findings.json":     getFindings.Bytes(),
		"array.json":            []byte("[" + string(bytes.Join(asff, []byte(",\n"))) + "]"),
		"lines.jsonl":           append(bytes.Join(asff, []byte("\n")), '\n'),
		"lowercase.json":        []byte(`{"findings":[` + string(bytes.Join(asff, []byte(","))) + `]}`),
		"events.jsonl":          append(bytes.Join(events, []byte("\n")), '\n'),
		"firehose-events":       gzipped(t, bytes.Join(events, nil)), // no name suffix: the content says gzip
		"events-array.json.gz":  gzipped(t, []byte("["+string(bytes.Join(events, []byte(",")))+"]")),
		"get-findings.json.bin": gzipped(t, getFindings.Bytes()),
	}
	var want string
	for _, name := range []string{"get-findings.json", "array.json", "lines.jsonl", "lowercase.json", "events.jsonl", "firehose-events", "events-array.json.gz", "get-findings.json.bin"} {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, files[name], 0o600); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, name+".duckdb")
		code, stdout, stderr := call(t, "", "import", "--db", db, "--as-of", "2026-03-02T00:00:00Z", file)
		if code != exitOK || !strings.Contains(stdout, fmt.Sprintf(": %d findings from ", len(fs))) {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q; want %d findings", name, code, stdout, stderr, len(fs))
		}
		if isEvents := strings.Contains(name, "events"); isEvents != strings.Contains(stdout, fmt.Sprintf("%d older copies of repeated findings superseded", dups)) {
			t.Errorf("%s: stdout %q; want the %d older copies named for events only", name, stdout, dups)
		}
		code, got, stderr := callAt(t, time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC), "", "report", "--db", db, "--format", "json", "--out", "-")
		if code != exitOK {
			t.Fatalf("%s: report exit %d %s", name, code, stderr)
		}
		got = withoutSnapshotTimes(t, got)
		if want == "" {
			want = got
			continue
		}
		if got != want {
			t.Errorf("%s: report.json differs from get-findings.json's:\n%s", name, firstDiff(got, want))
		}
	}
}

// withoutSnapshotTimes drops the fields that say when the report and the snapshot were made.
func withoutSnapshotTimes(t *testing.T, js string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	delete(m, "generated_at")
	if s, ok := m["snapshot"].(map[string]any); ok {
		delete(s, "created_at")
		delete(s, "id")
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < min(len(g), len(w)); i++ {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d: got %s, want %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}

// TestImportNamesSkippedAndRefusesMixed: skipped events are named on the summary line with their
// file, kind, count and offset; a file that mixes findings and events is refused naming the file
// and the byte offset, and stores nothing.
func TestImportNamesSkippedAndRefusesMixed(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.duckdb")
	ev := `{"version":"0","id":"e","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":[` + goodFinding + `]}}`
	custom := strings.Replace(ev, "Imported", "Custom Action", 1)
	guardDuty := `{"version":"0","id":"g","detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{"id":"x"}}`
	file := filepath.Join(dir, "events.json")
	os.WriteFile(file, []byte(ev+custom+guardDuty+custom), 0o600)
	code, stdout, stderr := call(t, "", "import", "--db", db, "--as-of", "2026-03-02T00:00:00Z", file)
	if code != exitOK || !strings.Contains(stdout, ": 1 findings from 1 accounts") ||
		!strings.Contains(stdout, file+`: 2 skipped, EventBridge event "Security Hub Findings - Custom Action" from "aws.securityhub" (the first at byte `+fmt.Sprint(len(ev))+")") ||
		!strings.Contains(stdout, file+`: 1 skipped, EventBridge event "GuardDuty Finding" from "aws.guardduty" (the first at byte `+fmt.Sprint(len(ev)+len(custom))+")") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	mixed := filepath.Join(dir, "mixed.json")
	os.WriteFile(mixed, []byte(`{"Findings":[`+goodFinding+"]}\n"+ev+"\n"), 0o600)
	code, _, stderr = call(t, "", "import", "--db", db, mixed)
	wantErr := fmt.Sprintf("import %s: an EventBridge event at byte %d in a file of ASFF findings", mixed, len(goodFinding)+16)
	if code != exitError || !strings.Contains(stderr, wantErr) {
		t.Errorf("mixed: exit %d, stderr %q; want %q", code, stderr, wantErr)
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Error("the refused import changed the database")
	}

	// The skipped records are stored with the snapshot: report.json and the text report name them,
	// as the import's output did.
	want := []string{
		file + `: 2 skipped, EventBridge event "Security Hub Findings - Custom Action" from "aws.securityhub" (the first at byte ` + fmt.Sprint(len(ev)) + ")",
		file + `: 1 skipped, EventBridge event "GuardDuty Finding" from "aws.guardduty" (the first at byte ` + fmt.Sprint(len(ev)+len(custom)) + ")",
	}
	if got := reportWarnings(t, reportJSON(t, db)); fmt.Sprint(got) != fmt.Sprint([]string{"records_skipped: " + want[0], "records_skipped: " + want[1]}) {
		t.Errorf("report.json coverage.warnings = %q; want the two skipped kinds %q", got, want)
	}
	code, stdout, stderr = call(t, "", "report", "--db", db, "--format", "text", "--out", "-")
	if (code != exitOK && code != exitPartial) || !strings.Contains(stdout, "Warnings (2):\n  records_skipped: "+want[0]+"\n  records_skipped: "+want[1]) {
		t.Errorf("text report: exit %d, stderr %q, no skipped records in:\n%s", code, stderr, stdout)
	}
}

// reportWarnings are report.json's coverage.warnings as "kind: message".
func reportWarnings(t *testing.T, report map[string]any) []string {
	t.Helper()
	cov, ok := report["coverage"].(map[string]any)
	if !ok {
		t.Fatalf("report.json has no coverage object")
	}
	ws, _ := cov["warnings"].([]any)
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		m, _ := w.(map[string]any)
		out = append(out, fmt.Sprintf("%v: %v", m["kind"], m["message"]))
	}
	return out
}
