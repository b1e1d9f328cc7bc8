package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/ocsf/ocsftest"
)

// demoASFF writes the last day of a small demo organization as a get-findings file.
func demoASFF(t *testing.T, path string) {
	t.Helper()
	org, err := demo.New(demo.Config{Accounts: 4, Days: 20})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := collect.NewASFFWriter(&buf)
	if err := org.Snapshot(context.Background(), 19, collect.SinkFunc(func(f *model.Finding) error { return w.Write(f) })); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// reportJSON is the snapshot's report.json without what names the snapshot itself (its id and
// the times it was taken and stored), which two stores holding the same findings differ in.
func reportJSON(t *testing.T, db string) map[string]any {
	t.Helper()
	code, stdout, stderr := call(t, "", "report", "--db", db, "--format", "json", "--out", "-")
	if code != exitOK && code != exitPartial {
		t.Fatalf("report %s: exit %d: %s", db, code, stderr)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("report %s: %v", db, err)
	}
	snap, ok := v["snapshot"].(map[string]any)
	if !ok {
		t.Fatalf("report.json has no snapshot object: %.300s", stdout)
	}
	delete(snap, "id")
	delete(snap, "created_at")
	return v
}

// TestExportOCSFRoundTrip: the demo organization's findings, imported from ASFF, exported as
// OCSF and imported again into a fresh store, give the same report; every exported record
// validates against the vendored OCSF schema; the export is deterministic (the second store
// exports the same bytes, and so does stdout) and written 0640.
func TestExportOCSFRoundTrip(t *testing.T) {
	dir := t.TempDir()
	asff := filepath.Join(dir, "findings.json")
	demoASFF(t, asff)
	const asOf = "2025-02-23T06:00:00Z"
	dbA, dbB := filepath.Join(dir, "a.duckdb"), filepath.Join(dir, "b.duckdb")
	if code, stdout, stderr := call(t, "", "import", "--db", dbA, "--as-of", asOf, asff); code != exitOK {
		t.Fatalf("import ASFF: exit %d %s%s", code, stdout, stderr)
	}
	outA := filepath.Join(dir, "a.ocsf.jsonl")
	code, stdout, stderr := call(t, "", "export", "--db", dbA, "--format", "ocsf", "--out", outA)
	if code != exitOK || !strings.HasPrefix(stdout, "exported snapshot 1, ") || !strings.Contains(stdout, "OCSF 1.6.0 Compliance Findings") {
		t.Fatalf("export: exit %d\n%s%s", code, stdout, stderr)
	}
	fi, err := os.Stat(outA)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&^0o640 != 0 {
		t.Errorf("%s: mode %v, want 0640 or tighter", outA, fi.Mode().Perm())
	}
	a, err := os.ReadFile(outA)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(a, []byte{'\n'}), []byte{'\n'})
	if len(lines) < 100 {
		t.Fatalf("the export holds %d records; the demo has hundreds of findings", len(lines))
	}
	s := ocsftest.Load(t)
	for i, l := range lines {
		if errs := s.Check(t, "compliance_finding", l); len(errs) > 0 {
			t.Fatalf("record %d does not validate:\n%s\n%s", i, strings.Join(errs, "\n"), l)
		}
	}
	if code, stdout, stderr := call(t, "", "export", "--db", dbA, "--format", "ocsf", "--out", "-"); code != exitOK || stdout != string(a) {
		t.Errorf("export to stdout: exit %d, %d bytes, want the file's %d: %s", code, len(stdout), len(a), stderr)
	}

	if code, stdout, stderr := call(t, "", "import", "--db", dbB, "--as-of", asOf, outA); code != exitOK {
		t.Fatalf("import OCSF: exit %d %s%s", code, stdout, stderr)
	}
	if w, g := mustJSON(t, reportJSON(t, dbA)), mustJSON(t, reportJSON(t, dbB)); w != g {
		i := 0
		for i < len(w) && i < len(g) && w[i] == g[i] {
			i++
		}
		t.Errorf("the report of the OCSF import differs from the ASFF import's, from byte %d:\n got …%.400s\nwant …%.400s", i, g[max(i-100, 0):], w[max(i-100, 0):])
	}
	outB := filepath.Join(dir, "b.ocsf.jsonl")
	if code, _, stderr := call(t, "", "export", "--db", dbB, "--format", "ocsf", "--out", outB); code != exitOK {
		t.Fatalf("export b: exit %d %s", code, stderr)
	}
	if b, _ := os.ReadFile(outB); !bytes.Equal(a, b) {
		t.Errorf("the re-imported snapshot exports other bytes (%d, want %d)", len(b), len(a))
	}
}

func TestExportOCSFUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.duckdb")
	for _, args := range [][]string{
		{"export", "--db", db, "--format", "ocsf"},
		{"export", "--db", db, "--format", "ocsf", "--out", "x.jsonl", "--all"},
		{"export", "--db", db, "--format", "asff", "--out", "x"},
	} {
		if code, _, stderr := call(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (usage): %s", args, code, exitUsage, stderr)
		}
	}
}

// ocsfExport imports the small demo's findings from ASFF into db and returns them exported as
// OCSF JSON lines, one record a line.
func ocsfExport(t *testing.T, dir, db string) []string {
	t.Helper()
	asff := filepath.Join(dir, "findings.json")
	demoASFF(t, asff)
	if code, _, stderr := call(t, "", "import", "--db", db, "--as-of", "2025-02-23T06:00:00Z", asff); code != exitOK {
		t.Fatalf("import: exit %d %s", code, stderr)
	}
	code, out, stderr := call(t, "", "export", "--db", db, "--format", "ocsf", "--out", "-")
	if code != exitOK {
		t.Fatalf("export: exit %d %s", code, stderr)
	}
	return strings.SplitAfter(strings.TrimSuffix(out, "\n"), "\n")
}

// TestImportOCSFOtherClass: records of other OCSF classes are skipped, counted and named on the
// summary line with the file, class and offset of the first; the Compliance Findings beside them
// are read. A file of such records only is an empty import that names them, and stores nothing.
func TestImportOCSFOtherClass(t *testing.T) {
	dir := t.TempDir()
	lines := ocsfExport(t, dir, filepath.Join(dir, "r.duckdb"))
	lines[2] = strings.Replace(lines[2], `"class_uid":2003`, `"class_uid":2004`, 1)
	lines[5] = strings.Replace(lines[5], `"class_uid":2003`, `"class_uid":2004`, 1)
	file := filepath.Join(dir, "mixed.jsonl")
	os.WriteFile(file, []byte(strings.Join(lines, "")), 0o600)
	db2 := filepath.Join(dir, "r2.duckdb")
	code, stdout, stderr := call(t, "", "import", "--db", db2, "--as-of", "2025-02-23T06:00:00Z", file)
	first := len(lines[0]) + len(lines[1])
	if code != exitOK || !strings.Contains(stdout, fmt.Sprintf(": %d findings from ", len(lines)-2)) ||
		!strings.Contains(stdout, fmt.Sprintf("%s: 2 skipped, OCSF class 2004 (Detection Finding) (the first at byte %d)", file, first)) {
		t.Errorf("import of two Detection Findings among %d records: exit %d, stdout %q, stderr %q", len(lines), code, stdout, stderr)
	}

	only := filepath.Join(dir, "detections.jsonl")
	os.WriteFile(only, []byte(lines[2]+lines[5]), 0o600)
	db3 := filepath.Join(dir, "r3.duckdb")
	code, _, stderr = call(t, "", "import", "--db", db3, "--as-of", "2025-02-23T06:00:00Z", only)
	if code != exitError || !strings.Contains(stderr, "no findings in any file") ||
		!strings.Contains(stderr, only+": 2 skipped, OCSF class 2004 (Detection Finding) (the first at byte 0)") {
		t.Errorf("import of Detection Findings only: exit %d, %s", code, stderr)
	}
	if got := snapshotsOf(t, db3); len(got) != 0 {
		t.Errorf("a refused import stored %d snapshots", len(got))
	}
}

// TestImportOCSFEventsGiveTheSameReport: the demo's findings as Security Hub's "Findings Imported
// V2" EventBridge events (OCSF in detail.findings), one per line and concatenated and gzipped as
// Firehose writes them, with a Detection Finding's event among them, give the report of the same
// findings imported from ASFF (which TestExportOCSFRoundTrip shows the OCSF lines give too).
func TestImportOCSFEventsGiveTheSameReport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "asff.duckdb")
	lines := ocsfExport(t, dir, db)
	want := mustJSON(t, reportJSON(t, db))
	var events []string
	for i, l := range lines {
		events = append(events, fmt.Sprintf(`{"version":"0","id":"e-%d","detail-type":"Findings Imported V2","source":"aws.securityhub",`+
			`"account":"111122223333","time":"2025-02-23T05:00:00Z","region":"us-east-1","resources":[],"detail":{"findings":[%s]}}`, i, strings.TrimSuffix(l, "\n")))
		if i == 3 {
			det := strings.Replace(strings.Replace(l, `"class_uid":2003`, `"class_uid":2004`, 1), `/finding/`, `/detection/`, 1)
			events = append(events, `{"detail-type":"Findings Imported V2","source":"aws.securityhub","detail":{"findings":[`+strings.TrimSuffix(det, "\n")+`]}}`)
		}
	}
	files := map[string][]byte{
		"v2-events.jsonl": []byte(strings.Join(events, "\n") + "\n"),
		"v2-firehose.gz":  gzipped(t, []byte(strings.Join(events, ""))),
	}
	for _, name := range []string{"v2-events.jsonl", "v2-firehose.gz"} {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, files[name], 0o600); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, name+".duckdb")
		code, stdout, stderr := call(t, "", "import", "--db", db, "--as-of", "2025-02-23T06:00:00Z", file)
		if code != exitOK || !strings.Contains(stdout, fmt.Sprintf(": %d findings from ", len(lines))) ||
			!strings.Contains(stdout, file+": 1 skipped, OCSF class 2004 (Detection Finding)") {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", name, code, stdout, stderr)
		}
		got := reportJSON(t, db)
		// The skipped Detection Finding is the one difference, stored as the snapshot's warning.
		if w := reportWarnings(t, got); len(w) != 1 || !strings.HasPrefix(w[0], "records_skipped: "+file+": 1 skipped, OCSF class 2004 (Detection Finding)") {
			t.Errorf("%s: coverage.warnings = %q; want the skipped Detection Finding", name, w)
		}
		delete(got["coverage"].(map[string]any), "warnings")
		if got := mustJSON(t, got); got != want {
			t.Errorf("%s: the report differs from the ASFF import's:\n%s", name, firstDiff(got, want))
		}
	}
}
