package main

import (
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestExportImportParquet(t *testing.T) {
	demo := smallDemo(t)
	db := filepath.Join(demo, "r.duckdb")
	dir := t.TempDir()
	out := filepath.Join(dir, "export")

	for _, args := range [][]string{
		{"export", "--db", db, "--format", "csv", "--out", out},
		{"export", "--db", db},
		{"export", "--db", db, "--out", out, "--all", "--snapshot", "3"},
		{"export", "--db", db, "--out", out, "extra"},
		{"import-parquet", "--db", filepath.Join(dir, "x.duckdb")},
	} {
		if code, _, stderr := call(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (usage): %s", args, code, exitUsage, stderr)
		}
	}

	code, stdout, stderr := call(t, "", "export", "--db", db, "--format", "parquet", "--out", out, "--all")
	if code != exitOK || !strings.HasPrefix(stdout, "exported 15 snapshot(s), ") {
		t.Fatalf("export --all: exit %d\n%s%s", code, stdout, stderr)
	}
	files := 0
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		if !d.IsDir() {
			files++
			if fi.Mode().Perm()&^0o640 != 0 {
				t.Errorf("%s: mode %v, want 0640 or tighter", p, fi.Mode().Perm())
			}
		}
		return nil
	})
	// 15 days x (6 accounts' findings + 5 small tables), and disabled_controls on the days the
	// demo has disabled controls: from its first disablement, on day 5 (35% into the window), on.
	if want := 15*(6+5) + 10; files != want {
		t.Errorf("%d files written, want %d", files, want)
	}
	// The latest alone, into another directory, then into a new database: the same snapshot, the
	// same scores. (internal/store's tests import whole histories and compare every report.)
	latest := filepath.Join(dir, "latest")
	code, stdout, stderr = call(t, "", "export", "--db", db, "--out", latest)
	if code != exitOK || !strings.HasPrefix(stdout, "exported 1 snapshot(s), ") {
		t.Fatalf("export: exit %d\n%s%s", code, stdout, stderr)
	}
	db2 := filepath.Join(dir, "imported.duckdb")
	code, stdout, stderr = call(t, "", "import-parquet", "--db", db2, latest)
	if code != exitOK && code != exitPartial || !strings.HasPrefix(stdout, "snapshot 1: taken at 2025-02-23T06:00:00Z, ") {
		t.Fatalf("import-parquet: exit %d\n%s%s", code, stdout, stderr)
	}
	snapshots := func(path string) []map[string]any {
		code, stdout, stderr := call(t, "", "snapshots", "--db", path, "--format", "json")
		if code != exitOK {
			t.Fatalf("snapshots: exit %d: %s", code, stderr)
		}
		var v []map[string]any
		if err := json.Unmarshal([]byte(stdout), &v); err != nil {
			t.Fatal(err)
		}
		for _, s := range v {
			delete(s, "id")
		}
		return v
	}
	want, got := snapshots(db), snapshots(db2)
	if wj, gj := mustJSON(t, want[len(want)-1:]), mustJSON(t, got); wj != gj {
		t.Errorf("imported snapshots differ:\n got %s\nwant %s", gj, wj)
	}
	scores := func(path string) string {
		_, stdout, stderr := call(t, "", "report", "--db", path, "--format", "json", "--out", "-")
		var v map[string]any
		if err := json.Unmarshal([]byte(stdout), &v); err != nil {
			t.Fatalf("report: %v: %s", err, stderr)
		}
		return mustJSON(t, []any{v["summary_score"], v["standards"], v["accounts"]})
	}
	if w, g := scores(db), scores(db2); w != g {
		t.Errorf("the imported snapshot scores differently:\n got %.1500s\nwant %.1500s", g, w)
	}

	// Again: nothing new, and it says so.
	code, stdout, stderr = call(t, "", "import-parquet", "--db", db2, latest)
	if code != exitOK || stdout != "skipped the snapshot taken at 2025-02-23T06:00:00Z: the database already holds one taken then\n" {
		t.Errorf("second import-parquet: exit %d\n%s%s", code, stdout, stderr)
	}
	if len(snapshots(db2)) != 1 {
		t.Errorf("a second import stored snapshots again")
	}

	// Not an export: an error naming the directory.
	code, _, stderr = call(t, "", "import-parquet", "--db", db2, dir+"/nope")
	if code != exitError || !strings.Contains(stderr, "nope") {
		t.Errorf("import-parquet of a missing directory: exit %d: %s", code, stderr)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
