package main

import (
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
	if code == exitOK || !strings.Contains(stderr, "2099-01-01T00:00:00Z") || !strings.Contains(stderr, "clock") {
		t.Errorf("future import: exit %d, stderr %q; want a refusal naming the value and the clock", code, stderr)
	}
	after := snapshotsOf(t, db)
	if len(after) != len(before) || after[0].ID != before[0].ID || after[len(after)-1].ID != before[len(before)-1].ID {
		t.Errorf("history changed by a refused future import: %d snapshots before, %d after", len(before), len(after))
	}
}
