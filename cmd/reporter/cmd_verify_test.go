package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/collect/demo"
)

// rezip copies a zip, changing the content of one entry with edit (nil: drop it) and adding extra.
func rezip(t *testing.T, src, dst, name string, edit func([]byte) []byte, extra string) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == name {
			if edit == nil {
				continue
			}
			data = edit(data)
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: f.Modified})
		w.Write(data)
	}
	if extra != "" {
		w, _ := zw.Create(extra)
		w.Write([]byte("x"))
	}
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestEvidencePackage(t *testing.T) {
	dir := smallDemo(t)
	db := filepath.Join(dir, "r.duckdb")
	out1, out2 := t.TempDir(), t.TempDir()
	for _, out := range []string{out1, out2} {
		if code, _, stderr := callAt(t, demo.DefaultEnd.Add(time.Hour), "", "report", "--db", db, "--format", "evidence,pdf,xlsx", "--out", out); code != exitOK {
			t.Fatalf("report --format evidence: exit %d: %s", code, stderr)
		}
	}
	a, _ := os.ReadFile(filepath.Join(out1, "evidence.zip"))
	b, _ := os.ReadFile(filepath.Join(out2, "evidence.zip"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("two packages of the same snapshot differ (%d and %d bytes)", len(a), len(b))
	}
	pkg := filepath.Join(out1, "evidence.zip")
	code, stdout, stderr := call(t, "", "verify-evidence", pkg)
	if code != exitOK || !strings.Contains(stdout, "intact") {
		t.Fatalf("verify-evidence on a fresh package: exit %d\n%s%s", code, stdout, stderr)
	}
	sum := strings.TrimSpace(stdout[strings.LastIndex(stdout, "manifest sha256 ")+len("manifest sha256 "):])

	zr, err := zip.OpenReader(pkg)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]*zip.File{}
	for _, f := range zr.File {
		names[f.Name] = f
	}
	defer zr.Close()
	for _, want := range []string{"manifest.json", "methodology.md", "account-scores.csv", "findings/failed.csv",
		"findings/suppressed.csv", "findings/findings.asff.json.gz", "reports/report.pdf", "reports/report.xlsx",
		"controls/aws-foundational-security-best-practices-v1.0.0.csv", "controls/pci-dss-v3.2.1.csv"} {
		if names[want] == nil {
			t.Errorf("package has no %s", want)
		}
	}

	// Tampering is caught and the file named: a changed CSV, a missing file, an added file, and a
	// manifest rewritten to match a changed file (caught by the recorded manifest hash).
	tampered := filepath.Join(t.TempDir(), "tampered.zip")
	cases := []struct {
		name, entry string
		edit        func([]byte) []byte
		extra       string
		args        []string
	}{
		{"changed csv", "findings/suppressed.csv", func(b []byte) []byte { return bytes.Replace(b, []byte(","), []byte(";"), 1) }, "", nil},
		{"changed score", "account-scores.csv", func(b []byte) []byte { return append(b, "111122223333,x,,s,S,100.00,1,0,0\n"...) }, "", nil},
		{"missing file", "findings/failed.csv", nil, "", nil},
		{"added file", "", nil, "findings/extra.csv", nil},
		{"rewritten manifest", "manifest.json", func(b []byte) []byte { return bytes.Replace(b, []byte(`"status"`), []byte(`"status" `), 1) }, "", []string{"--manifest-sha256", sum}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rezip(t, pkg, tampered, tc.entry, tc.edit, tc.extra)
			args := append([]string{"verify-evidence"}, tc.args...)
			code, _, stderr := call(t, "", append(args, tampered)...)
			named := tc.entry
			if tc.extra != "" {
				named = tc.extra
			}
			if code != exitError || !strings.Contains(stderr, named) {
				t.Errorf("exit %d (want %d), stderr should name %s: %s", code, exitError, named, stderr)
			}
		})
	}

	// The findings in the package recompute the same scores: import them into a new database.
	rc, err := names["findings/findings.asff.json.gz"].Open()
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	asff, _ := io.ReadAll(gz)
	rc.Close()
	redo := filepath.Join(t.TempDir(), "redo.duckdb")
	if code, _, stderr := call(t, string(asff), "import", "--db", redo, "--as-of", "2025-02-23T06:00:00Z", "-"); code != exitOK {
		t.Fatalf("import of the package's findings: exit %d: %s", code, stderr)
	}
	scores := func(db string) string {
		_, stdout, _ := call(t, "", "report", "--db", db, "--format", "json", "--out", "-")
		var r struct {
			Summary   *float64 `json:"summary_score"`
			Standards []struct {
				ID    string   `json:"id"`
				Score *float64 `json:"score"`
			} `json:"standards"`
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("report.json: %v", err)
		}
		b, _ := json.Marshal(r)
		return string(b)
	}
	if got, want := scores(redo), scores(db); got != want {
		t.Errorf("scores recomputed from the package's findings:\n got %s\nwant %s", got, want)
	}
}
