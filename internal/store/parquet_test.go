package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/store"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

// accountFilter passes on what a demo snapshot yields for the accounts keep accepts: one shard of
// a sharded collection.
type accountFilter struct {
	sink collect.Sink
	keep func(account string) bool
}

func (f accountFilter) AddFinding(x *model.Finding) error {
	if !f.keep(x.AccountID) {
		return nil
	}
	return f.sink.AddFinding(x)
}

func (f accountFilter) AddAccount(a model.Account) error {
	if !f.keep(a.AccountID) {
		return nil
	}
	return f.sink.AddAccount(a)
}

func (f accountFilter) AddCoverage(c model.Coverage) error {
	if !f.keep(c.AccountID) {
		return nil
	}
	return f.sink.AddCoverage(c)
}

func (f accountFilter) AddDisabledControl(d model.DisabledControl) error {
	if !f.keep(d.AccountID) {
		return nil
	}
	return collect.AddDisabled(f.sink, d)
}

func demoOrg(t testing.TB, accounts, days int) (*demo.Org, *catalog.Catalog) {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	org, err := demo.New(demo.Config{Accounts: accounts, Days: days, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	return org, cat
}

// buildDemo stores the demo's history as cmd/reporter's demo does, for the accounts keep accepts
// (nil: all).
func buildDemo(t testing.TB, path string, org *demo.Org, cat *catalog.Catalog, keep func(string) bool) *store.Store {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, path, store.Options{})
	stds, ctls := cat.ForSnapshot(org.Standards())
	expected := 0
	for _, a := range org.Accounts() {
		if keep == nil || keep(a.AccountID) {
			expected++
		}
	}
	for d, at := range org.SnapshotTimes() {
		meta := model.SnapshotMeta{TakenAt: at, Source: "demo", Organization: org.Organization(),
			AdministratorAccount: org.AdministratorAccount(), AccountsExpected: expected}
		_, err := st.WriteSnapshot(ctx, meta, stds, ctls, collect.Fill[*store.SnapshotWriter](collect.SourceFunc(func(ctx context.Context, sink collect.Sink) error {
			if keep != nil {
				sink = accountFilter{sink, keep}
			}
			return org.Snapshot(ctx, d, sink)
		})))
		if err != nil {
			t.Fatalf("demo day %d: %v", d, err)
		}
	}
	return st
}

func findingsOf(t testing.TB, st *store.Store, id int64) []*model.Finding {
	t.Helper()
	var out []*model.Finding
	if err := st.ForEachFinding(context.Background(), id, func(f *model.Finding) error {
		out = append(out, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t testing.TB, st *store.Store, q string) int64 {
	t.Helper()
	var n int64
	if err := st.DB().QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// sameStores checks that got holds the same snapshots as want: same times, counts and status,
// the same findings, and, with reports set, the same report (every section, the history-based
// ones included).
func sameStores(t *testing.T, want, got *store.Store, reports bool) {
	t.Helper()
	ctx := context.Background()
	ws, err := want.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := got.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != len(gs) {
		t.Fatalf("%d snapshots, want %d", len(gs), len(ws))
	}
	for i := range ws {
		w, g := ws[i], gs[i]
		w.CreatedAt, g.CreatedAt = time.Time{}, time.Time{}
		if w != g {
			t.Fatalf("snapshot %d:\n got %+v\nwant %+v", i, g, w)
		}
		if wf, gf := findingsOf(t, want, w.ID), findingsOf(t, got, g.ID); !reflect.DeepEqual(wf, gf) {
			t.Fatalf("snapshot %d: findings differ (%d vs %d)", w.ID, len(gf), len(wf))
		}
		if !reports {
			continue
		}
		opt := analyze.Options{Now: func() time.Time { return w.TakenAt.Add(time.Hour) }, TopControls: 1000}
		wr, err := analyze.Build(ctx, want, w, opt)
		if err != nil {
			t.Fatal(err)
		}
		gr, err := analyze.Build(ctx, got, g, opt)
		if err != nil {
			t.Fatal(err)
		}
		if wr.SummaryScore == nil || len(wr.Standards) == 0 {
			t.Fatalf("snapshot %d: the demo report has no score", w.ID)
		}
		if !reflect.DeepEqual(wr, gr) {
			wj, _ := json.Marshal(wr)
			gj, _ := json.Marshal(gr)
			t.Fatalf("snapshot %d: reports differ\n got %.2000s\nwant %.2000s", w.ID, gj, wj)
		}
	}
	// History compression: the same rows, not one state row per finding per snapshot.
	for _, q := range []string{`SELECT count(*) FROM findings`, `SELECT count(*) FROM finding_states`,
		`SELECT count(*) FROM snapshot_accounts`, `SELECT count(*) FROM coverage`, `SELECT count(*) FROM snapshot_controls`,
		`SELECT count(*) FROM snapshot_disabled_controls`,
		`SELECT count(*) FROM (SELECT DISTINCT s.taken_at, d.account_id, d.region, d.standard_id, d.control_id, d.source, d.reason
		   FROM snapshot_disabled_controls d JOIN snapshots s ON s.id = d.snapshot_id)`} {
		if w, g := count(t, want, q), count(t, got, q); w != g {
			t.Errorf("%s: %d, want %d", q, g, w)
		}
	}
}

func TestParquetRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	org, cat := demoOrg(t, 6, 4)
	start := time.Now()
	src := buildDemo(t, filepath.Join(dir, "src.duckdb"), org, cat, nil)
	t.Logf("build: %v", time.Since(start))
	out := filepath.Join(dir, "export")
	start = time.Now()
	if err := src.ExportParquet(ctx, out, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("export: %v", time.Since(start))

	// Layout, names and modes.
	var files []string
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		if d.IsDir() && fi.Mode().Perm()&^0o750 != 0 || !d.IsDir() && fi.Mode().Perm()&^0o640 != 0 {
			t.Errorf("%s: mode %v", p, fi.Mode().Perm())
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	last := org.SnapshotTimes()[3]
	acct := org.Accounts()[0].AccountID
	prefix := filepath.Join("findings", "snapshot_date="+last.Format(time.DateOnly), "account_id="+acct, last.Format("20060102T150405Z")+"-4-")
	if !slices.ContainsFunc(files, func(f string) bool { return strings.HasPrefix(f, prefix) && strings.HasSuffix(f, "-0.parquet") }) {
		t.Errorf("no file %s*-0.parquet among %d files, e.g. %q", prefix, len(files), files[:min(3, len(files))])
	}
	for _, tbl := range store.ParquetTables()[1:] {
		want := 4
		switch tbl {
		case "disabled_controls":
			want = 3 // the demo disables its first controls on day 1: day 0 has no rows to write
		case "warnings":
			want = 0 // the demo's collections meet nothing to warn of (TestWarningsParquetRoundTrip has)
		case "retired_findings":
			want = 0 // the demo's catalog has no retired control's findings (TestRetiredFindingsParquet has)
		}
		if n := len(slices.DeleteFunc(slices.Clone(files), func(f string) bool { return !strings.HasPrefix(f, tbl+string(filepath.Separator)) })); n != want {
			t.Errorf("%s: %d files, want one per snapshot with rows (%d)", tbl, n, want)
		}
	}
	// Exporting again replaces the files: same names, nothing added.
	if err := src.ExportParquet(ctx, out, nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if n != len(files) {
		t.Errorf("after a second export: %d files, want %d", n, len(files))
	}

	dst := storetest.Open(t, filepath.Join(dir, "dst.duckdb"), store.Options{})
	start = time.Now()
	imported, skipped, err := dst.ImportParquet(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("import: %v", time.Since(start))
	if len(imported) != 4 || len(skipped) != 0 {
		t.Fatalf("imported %d, skipped %d; want 4, 0", len(imported), len(skipped))
	}
	if n := count(t, src, `SELECT count(*) FROM snapshot_disabled_controls`); n == 0 {
		t.Fatal("the demo stored no disabled controls: the round trip of disabled_controls proves nothing")
	}
	start = time.Now()
	sameStores(t, src, dst, true)
	t.Logf("compare: %v", time.Since(start))

	// The same directory again stores nothing and says what it skipped.
	imported, skipped, err = dst.ImportParquet(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(imported) != 0 || len(skipped) != 4 || !skipped[3].Equal(last) {
		t.Fatalf("second import: imported %d, skipped %v", len(imported), skipped)
	}
	if n := count(t, dst, `SELECT count(*) FROM snapshots`); n != 4 {
		t.Fatalf("%d snapshots after importing twice, want 4", n)
	}
}

func TestParquetShardsMerge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	org, cat := demoOrg(t, 6, 2)
	full := buildDemo(t, filepath.Join(dir, "full.duckdb"), org, cat, nil)
	half := map[string]bool{}
	for i, a := range org.Accounts() {
		half[a.AccountID] = i%2 == 0
	}
	a := buildDemo(t, filepath.Join(dir, "a.duckdb"), org, cat, func(id string) bool { return half[id] })
	b := buildDemo(t, filepath.Join(dir, "b.duckdb"), org, cat, func(id string) bool { return !half[id] })

	// Each collector exports into a directory of its own, imported as one.
	shards := filepath.Join(dir, "shards")
	if err := a.ExportParquet(ctx, filepath.Join(shards, "a"), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.ExportParquet(ctx, filepath.Join(shards, "b"), nil); err != nil {
		t.Fatal(err)
	}
	merged := storetest.Open(t, filepath.Join(dir, "merged.duckdb"), store.Options{})
	imported, _, err := merged.ImportParquet(ctx, shards)
	if err != nil {
		t.Fatal(err)
	}
	if len(imported) != 2 {
		t.Fatalf("imported %d snapshots, want 2", len(imported))
	}
	sameStores(t, full, merged, true)

	// Both collectors export into one directory (one S3 prefix, as Athena reads it): nothing
	// overwrites anything, and the import is the same.
	one := filepath.Join(dir, "one")
	for _, st := range []*store.Store{a, b} {
		if err := st.ExportParquet(ctx, one, nil); err != nil {
			t.Fatal(err)
		}
	}
	merged2 := storetest.Open(t, filepath.Join(dir, "merged2.duckdb"), store.Options{})
	if _, _, err := merged2.ImportParquet(ctx, one); err != nil {
		t.Fatal(err)
	}
	sameStores(t, full, merged2, false)
}

func TestParquetImportErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	org, cat := demoOrg(t, 3, 2)
	src := buildDemo(t, filepath.Join(dir, "src.duckdb"), org, cat, nil)
	out := filepath.Join(dir, "export")
	if err := src.ExportParquet(ctx, out, nil); err != nil {
		t.Fatal(err)
	}
	if err := src.ExportParquet(ctx, filepath.Join(dir, "x"), []int64{99}); !errors.Is(err, store.ErrNoSnapshot) {
		t.Errorf("export of a missing snapshot: %v", err)
	}
	day2 := "snapshot_date=" + org.SnapshotTimes()[1].Format(time.DateOnly)
	dst := storetest.Open(t, filepath.Join(dir, "dst.duckdb"), store.Options{})

	// A findings partition missing (an incomplete copy): refused before anything is stored.
	acctDir := filepath.Join(out, "findings", day2, "account_id="+org.Accounts()[1].AccountID)
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(acctDir, moved); err != nil {
		t.Fatal(err)
	}
	_, _, err := dst.ImportParquet(ctx, out)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(out, "snapshots", day2)) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing partition: %v", err)
	}
	if n := count(t, dst, `SELECT count(*) FROM snapshots`); n != 0 {
		t.Errorf("%d snapshots stored by a refused import", n)
	}
	if err := os.Rename(moved, acctDir); err != nil {
		t.Fatal(err)
	}

	// A damaged findings file of day 2: day 1 is stored, day 2 is not, and the file is named.
	matches, _ := filepath.Glob(filepath.Join(acctDir, "*.parquet"))
	if len(matches) != 1 {
		t.Fatalf("%d files in %s", len(matches), acctDir)
	}
	bad := matches[0]
	good, _ := os.ReadFile(bad)
	if err := os.WriteFile(bad, []byte("PAR1 not parquet at all"), 0o640); err != nil {
		t.Fatal(err)
	}
	_, _, err = dst.ImportParquet(ctx, out)
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("damaged file: %v", err)
	}
	if n := count(t, dst, `SELECT count(*) FROM snapshots`); n > 1 {
		t.Errorf("%d snapshots stored; the damaged day must not be", n)
	}
	os.WriteFile(bad, good, 0o640)

	// A damaged snapshots file is named too.
	snapFiles, _ := filepath.Glob(filepath.Join(out, "snapshots", day2, "*.parquet"))
	if err := os.WriteFile(snapFiles[0], []byte("nope"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, _, err = storetest.Open(t, filepath.Join(dir, "dst2.duckdb"), store.Options{}).ImportParquet(ctx, out); err == nil || !strings.Contains(err.Error(), snapFiles[0]) {
		t.Errorf("damaged snapshots file: %v", err)
	}

	// Not an export at all.
	if _, _, err := dst.ImportParquet(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), "holds no export") {
		t.Errorf("no export: %v", err)
	}

	// A snapshot older than the newest stored one is refused: history is stored in time order.
	later := storetest.Open(t, filepath.Join(dir, "later.duckdb"), store.Options{})
	w, err := later.BeginSnapshot(ctx, model.SnapshotMeta{TakenAt: org.SnapshotTimes()[1].Add(24 * time.Hour), Source: "test"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(out, "snapshots", day2))
	if _, _, err := later.ImportParquet(ctx, out); err == nil || !strings.Contains(err.Error(), "time order") {
		t.Errorf("older snapshot: %v", err)
	}
}

// TestParquetImportWithoutDisabledControls: an export from before disabled controls were exported
// (no disabled_controls directory) still imports, with no disabled controls.
func TestParquetImportWithoutDisabledControls(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	org, cat := demoOrg(t, 3, 3)
	src := buildDemo(t, filepath.Join(dir, "src.duckdb"), org, cat, nil)
	out := filepath.Join(dir, "export")
	if err := src.ExportParquet(ctx, out, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "disabled_controls")); err != nil {
		t.Fatalf("the export has no disabled_controls: %v", err)
	}
	if err := os.RemoveAll(filepath.Join(out, "disabled_controls")); err != nil {
		t.Fatal(err)
	}
	dst := storetest.Open(t, filepath.Join(dir, "dst.duckdb"), store.Options{})
	imported, _, err := dst.ImportParquet(ctx, out)
	if err != nil {
		t.Fatalf("an export without disabled_controls: %v", err)
	}
	if len(imported) != 3 {
		t.Fatalf("imported %d snapshots, want 3", len(imported))
	}
	if n := count(t, dst, `SELECT count(*) FROM snapshot_disabled_controls`); n != 0 {
		t.Errorf("%d disabled controls imported from nowhere", n)
	}
}

// TestParquetAccountOwners: account owners are stored, exported and imported; an export from
// before owners (its accounts files without the column) still imports, with no owners.
func TestParquetAccountOwners(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	org, cat := demoOrg(t, 4, 2)
	src := buildDemo(t, filepath.Join(dir, "src.duckdb"), org, cat, nil)
	const owners = `SELECT count(*) FROM snapshot_accounts WHERE owner <> ''`
	if n := count(t, src, owners); n != 8 {
		t.Fatalf("%d accounts with an owner stored, want 8 (4 accounts, 2 snapshots)", n)
	}
	out := filepath.Join(dir, "export")
	if err := src.ExportParquet(ctx, out, nil); err != nil {
		t.Fatal(err)
	}
	dst := storetest.Open(t, filepath.Join(dir, "dst.duckdb"), store.Options{})
	if _, _, err := dst.ImportParquet(ctx, out); err != nil {
		t.Fatal(err)
	}
	const pairs = `SELECT count(*) FROM (SELECT account_id, owner FROM snapshot_accounts WHERE owner <> '' GROUP BY ALL)`
	if got, want := count(t, dst, pairs), count(t, src, pairs); got != want || got == 0 {
		t.Errorf("imported %d account/owner pairs, want %d", got, want)
	}

	// Rewrite every accounts file as an older export wrote it: no owner column.
	files, err := filepath.Glob(filepath.Join(out, "accounts", "*", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no accounts files (%v)", err)
	}
	for _, f := range files {
		tmp := f + ".old"
		if _, err := src.DB().ExecContext(ctx, `COPY (SELECT * EXCLUDE (owner) FROM read_parquet('`+f+`')) TO '`+tmp+`' (FORMAT parquet)`); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f); err != nil {
			t.Fatal(err)
		}
	}
	old := storetest.Open(t, filepath.Join(dir, "old.duckdb"), store.Options{})
	imported, _, err := old.ImportParquet(ctx, out)
	if err != nil {
		t.Fatalf("an export without owners: %v", err)
	}
	if len(imported) != 2 {
		t.Fatalf("imported %d snapshots, want 2", len(imported))
	}
	if n := count(t, old, owners); n != 0 {
		t.Errorf("%d owners imported from files without any", n)
	}
	if n := count(t, old, `SELECT count(*) FROM snapshot_accounts WHERE name <> ''`); n != 8 {
		t.Errorf("%d named accounts, want 8", n)
	}
}
