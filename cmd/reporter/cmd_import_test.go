package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFutureImportIsRefusedAndPrunesNothing: a snapshot dated far ahead of the clock used to be
// stored, and the retention counted from it deleted every earlier snapshot. It is refused now,
// naming the value and the clock, and the history stays as it was.
func TestFutureImportIsRefusedAndPrunesNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.duckdb")
	file := filepath.Join(dir, "findings.json")
	os.WriteFile(file, []byte(`[`+goodFinding+`]`), 0o600)
	now := time.Now().UTC()
	for _, at := range []time.Time{now.Add(-48 * time.Hour), now.Add(-24 * time.Hour)} {
		if code, stdout, stderr := call(t, "", "import", "--db", db, "--as-of", at.Format(time.RFC3339), file); code != exitOK {
			t.Fatalf("import as of %s: exit %d %s %s", at, code, stdout, stderr)
		}
	}
	before := snapshotsOf(t, db)
	code, _, stderr := call(t, "", "import", "--db", db, "--as-of", "2099-01-01T00:00:00Z", file)
	if code != exitUsage || !strings.Contains(stderr, "2099-01-01T00:00:00Z") || !strings.Contains(stderr, "ahead of the clock (") {
		t.Errorf("future import: exit %d, stderr %q; want %d and a refusal naming the value and the clock", code, stderr, exitUsage)
	}
	// Within the hour of slack is fine.
	if code, _, stderr := call(t, "", "import", "--db", db, "--as-of", time.Now().Add(50*time.Minute).UTC().Format(time.RFC3339), file); code != exitOK {
		t.Errorf("import 50 minutes ahead: exit %d %s", code, stderr)
	}
	after := snapshotsOf(t, db)
	if len(after) != len(before)+1 || after[0].ID != before[0].ID || after[1].ID != before[1].ID {
		t.Errorf("history changed by a refused future import: %+v before, %+v after", before, after)
	}
}

// TestEmptyImportIsRefused: files that hold no finding are refused, naming the files, and leave
// the database byte for byte as it was; --allow-empty stores the snapshot marked empty.
func TestEmptyImportIsRefused(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.duckdb")
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`[`+goodFinding+`]`), 0o600)
	if code, _, stderr := call(t, "", "import", "--db", db, "--as-of", "2025-02-01T00:00:00Z", good); code != exitOK {
		t.Fatalf("import: exit %d %s", code, stderr)
	}
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	_, listed, _ := call(t, "", "snapshots", "--db", db, "--format", "json")
	empties := map[string]string{
		"array.json":     `[]`,
		"nothing.json":   ``,
		"page.json":      `{"Findings":[],"NextToken":null}`,
		"pages.jsonl":    "{\"Findings\":[]}\n{\"Findings\":[]}\n",
		"null.json":      `null`,
		"spaces.json.gz": "", // written gzipped below
	}
	for name, body := range empties {
		p := filepath.Join(dir, name)
		data := []byte(body)
		if strings.HasSuffix(name, ".gz") {
			data = gzipped(t, data)
		}
		os.WriteFile(p, data, 0o600)
		code, _, stderr := call(t, "", "import", "--db", db, "--as-of", "2025-02-02T00:00:00Z", p)
		if code != exitError || !strings.Contains(stderr, p) || !strings.Contains(stderr, "no findings") || !strings.Contains(stderr, "--allow-empty") {
			t.Errorf("%s: exit %d, stderr %q; want a refusal naming the file and --allow-empty", name, code, stderr)
		}
	}
	// Two files, neither with a finding: both named.
	a, b := filepath.Join(dir, "array.json"), filepath.Join(dir, "page.json")
	if code, _, stderr := call(t, "", "import", "--db", db, a, b); code != exitError || !strings.Contains(stderr, a+", "+b) {
		t.Errorf("two empty files: exit %d, stderr %q", code, stderr)
	}
	// Stdin is named too.
	if code, _, stderr := call(t, "[]", "import", "--db", db, "-"); code != exitError || !strings.Contains(stderr, "import stdin: no findings") {
		t.Errorf("empty stdin: exit %d, stderr %q", code, stderr)
	}
	after, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("refused imports changed the database file (%d -> %d bytes)", len(before), len(after))
	}
	if _, again, _ := call(t, "", "snapshots", "--db", db, "--format", "json"); again != listed {
		t.Errorf("refused imports changed the history:\n%s\n->\n%s", listed, again)
	}

	// An empty file beside one with findings is fine: the import as a whole has findings.
	if code, _, stderr := call(t, "", "import", "--db", db, "--as-of", "2025-02-02T00:00:00Z", a, good); code != exitOK {
		t.Errorf("an empty file beside a good one: exit %d %s", code, stderr)
	}
	// --allow-empty stores it, marked empty in the listing and the report.
	code, stdout, stderr := call(t, "", "import", "--db", db, "--as-of", "2025-02-03T00:00:00Z", "--allow-empty", a)
	if code != exitOK || !strings.Contains(stdout, "0 findings") || !strings.Contains(stdout, "marked empty") {
		t.Fatalf("--allow-empty: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	snaps := snapshotsOf(t, db)
	if len(snaps) != 3 || snaps[0].Empty || snaps[1].Empty || !snaps[2].Empty {
		t.Errorf("stored: %+v", snaps)
	}
	if _, text, _ := call(t, "", "snapshots", "--db", db); !strings.Contains(text, "complete, empty") {
		t.Errorf("the listing does not mark the empty snapshot:\n%s", text)
	}
	if _, js, _ := call(t, "", "snapshots", "--db", db, "--format", "json"); strings.Count(js, `"empty": true`) != 1 {
		t.Errorf("the JSON listing does not mark the empty snapshot:\n%s", js)
	}
	if _, js, _ := call(t, "", "report", "--db", db, "--format", "json", "--out", "-"); !strings.Contains(js, `"empty": true`) {
		t.Errorf("the report's snapshot block does not say empty:\n%.600s", js)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
