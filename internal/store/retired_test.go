package store_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/store"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

// buildRetired stores the demo's history for the accounts keep accepts (nil: all), each day with
// counts of dropped findings of retired controls for every such account: under the first
// standard, the day's number plus the account's position, and one finding without a standard.
func buildRetired(t *testing.T, path string, org *demo.Org, cat *catalog.Catalog, keep func(string) bool) *store.Store {
	t.Helper()
	st := storetest.Open(t, path, store.Options{})
	stds, ctls := cat.ForSnapshot(org.Standards())
	for d, at := range org.SnapshotTimes() {
		meta := model.SnapshotMeta{TakenAt: at, Source: "demo", Organization: org.Organization(), AdministratorAccount: org.AdministratorAccount()}
		_, err := st.WriteSnapshot(context.Background(), meta, stds, ctls, collect.Fill[*store.SnapshotWriter](collect.SourceFunc(func(ctx context.Context, sink collect.Sink) error {
			var buf collect.Buffer
			if err := org.Snapshot(ctx, d, &buf); err != nil {
				return err
			}
			for i, a := range org.Accounts() {
				if keep != nil && !keep(a.AccountID) {
					continue
				}
				buf.Retired = append(buf.Retired,
					model.RetiredFindings{AccountID: a.AccountID, Region: "us-east-1", StandardID: stds[0].ID, ControlID: "AppSync.1", Findings: int64(d + i + 1)},
					model.RetiredFindings{AccountID: a.AccountID, Region: "eu-west-1", ControlID: "ECS.1", Findings: 1})
			}
			for _, f := range buf.Findings {
				if keep == nil || keep(f.AccountID) {
					if err := sink.AddFinding(f); err != nil {
						return err
					}
				}
			}
			for _, r := range buf.Retired {
				if err := collect.AddRetired(sink, r); err != nil {
					return err
				}
			}
			return nil
		})))
		if err != nil {
			t.Fatalf("day %d: %v", d, err)
		}
	}
	return st
}

func retiredOf(t *testing.T, st *store.Store) [][]model.RetiredFindings {
	t.Helper()
	snaps, err := st.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out [][]model.RetiredFindings
	for _, s := range snaps {
		r, err := st.RetiredFindingsOf(context.Background(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestRetiredFindingsParquet: the retired controls' counts are stored with their snapshot, survive
// a Parquet export and import (whole, and merged from two collectors' shards, each account's from
// its shard), and an export from before they were exported still imports, with none.
func TestRetiredFindingsParquet(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	org, cat := demoOrg(t, 4, 2)
	src := buildRetired(t, filepath.Join(dir, "src.duckdb"), org, cat, nil)
	want := retiredOf(t, src)
	// Day 1: AppSync.1 2+3+4+5 in the four accounts, ECS.1 once in each.
	var day1 int64
	for _, r := range want[len(want)-1] {
		day1 += r.Findings
	}
	if len(want) != 2 || len(want[1]) != 8 || day1 != 18 {
		t.Fatalf("stored %+v, want 2 snapshots, the second of 8 rows and 18 findings", want)
	}
	out := filepath.Join(dir, "export")
	if err := src.ExportParquet(ctx, out, nil); err != nil {
		t.Fatal(err)
	}
	dst := storetest.Open(t, filepath.Join(dir, "dst.duckdb"), store.Options{})
	if _, _, err := dst.ImportParquet(ctx, out); err != nil {
		t.Fatal(err)
	}
	if got := retiredOf(t, dst); !reflect.DeepEqual(got, want) {
		t.Errorf("after the round trip %+v\nwant %+v", got, want)
	}
	sameStores(t, src, dst, true)

	half := map[string]bool{}
	for i, a := range org.Accounts() {
		half[a.AccountID] = i%2 == 0
	}
	shards := filepath.Join(dir, "shards")
	for name, keep := range map[string]func(string) bool{"a": func(id string) bool { return half[id] }, "b": func(id string) bool { return !half[id] }} {
		st := buildRetired(t, filepath.Join(dir, name+".duckdb"), org, cat, keep)
		if err := st.ExportParquet(ctx, filepath.Join(shards, name), nil); err != nil {
			t.Fatal(err)
		}
	}
	merged := storetest.Open(t, filepath.Join(dir, "merged.duckdb"), store.Options{})
	if _, _, err := merged.ImportParquet(ctx, shards); err != nil {
		t.Fatal(err)
	}
	if got := retiredOf(t, merged); !reflect.DeepEqual(got, want) {
		t.Errorf("merged from shards %+v\nwant %+v", got, want)
	}

	if err := os.RemoveAll(filepath.Join(out, "retired_findings")); err != nil {
		t.Fatal(err)
	}
	old := storetest.Open(t, filepath.Join(dir, "old.duckdb"), store.Options{})
	if _, _, err := old.ImportParquet(ctx, out); err != nil {
		t.Fatalf("an export without retired_findings: %v", err)
	}
	if n := count(t, old, `SELECT count(*) FROM snapshot_retired_findings`); n != 0 {
		t.Errorf("%d retired counts imported from nowhere", n)
	}
}
