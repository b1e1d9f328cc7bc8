// Package athena holds the Athena (Trino) tables and queries over what `reporter export --format
// parquet` writes. Its test exports a demo history, runs the queries through DuckDB over the
// Parquet files, and checks them against the reporter's own analysis of the same store; it also
// checks that tables.sql declares exactly the columns the export writes.
package athena

import (
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
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

// views makes the Athena tables DuckDB views over the export in dir, named as in tables.sql.
func views(dir string) []string {
	q := []string{`CREATE SCHEMA hubreport`}
	for _, t := range store.ParquetTables() {
		glob, types := filepath.Join(dir, t, "*", "*.parquet"), `{'snapshot_date': VARCHAR}`
		if t == "findings" {
			glob, types = filepath.Join(dir, t, "*", "*", "*.parquet"), `{'snapshot_date': VARCHAR, 'account_id': VARCHAR}`
		}
		q = append(q, fmt.Sprintf(`CREATE VIEW hubreport.%s AS SELECT * FROM read_parquet('%s', hive_partitioning = true, hive_types = %s)`,
			t, glob, types))
	}
	return q
}

func buildExport(t *testing.T) (*store.Store, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	org, err := demo.New(demo.Config{Accounts: 6, Days: 3, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, filepath.Join(dir, "r.duckdb"), store.Options{})
	stds, ctls := cat.ForSnapshot(org.Standards())
	times := org.SnapshotTimes()
	for d, at := range times {
		meta := model.SnapshotMeta{TakenAt: at, Source: "demo", Organization: org.Organization(),
			AdministratorAccount: org.AdministratorAccount(), AccountsExpected: len(org.Accounts())}
		var buf replay
		if err := org.Snapshot(ctx, d, &buf); err != nil {
			t.Fatal(err)
		}
		dayCtls := ctls
		if d == len(times)-1 {
			dayCtls = buf.exercise(ctls)
		}
		if _, err := st.WriteSnapshot(ctx, meta, stds, dayCtls, collect.Fill[*store.SnapshotWriter](&buf)); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "export")
	if err := st.ExportParquet(ctx, out, nil); err != nil {
		t.Fatal(err)
	}
	return st, out
}

// replay keeps a demo snapshot to store it after changing it.
type replay struct{ collect.Buffer }

// exercise makes the snapshot exercise the rules the demo's few days leave untested: the most
// failing control's failures all suppressed (its status then comes from the rest), the next one
// disabled in one of its standards, the next one in all of them, and the next one disabled (every
// standard) in the account/regions where it fails in the first account that fails it, as control
// associations report it, with findings of a retired control dropped there. It returns the changed
// catalog.
func (r *replay) exercise(ctls []model.Control) []model.Control {
	failing := map[string]int{}
	for _, f := range r.Findings {
		if f.ControlID != "" && f.RecordState == "ACTIVE" && f.ComplianceStatus == "FAILED" && len(f.Standards) > 1 {
			failing[f.ControlID]++
		}
	}
	ids := slices.Collect(maps.Keys(failing))
	slices.SortFunc(ids, func(a, b string) int {
		if failing[a] != failing[b] {
			return failing[b] - failing[a]
		}
		return strings.Compare(a, b)
	})
	for _, f := range r.Findings {
		if f.ControlID == ids[0] && f.ComplianceStatus == "FAILED" {
			f.WorkflowStatus = "SUPPRESSED"
		}
	}
	var first *model.Finding
	for _, f := range r.Findings {
		if f.ControlID == ids[3] && f.RecordState == "ACTIVE" && f.ComplianceStatus == "FAILED" && f.WorkflowStatus != "SUPPRESSED" &&
			(first == nil || f.AccountID < first.AccountID) {
			first = f
		}
	}
	for _, f := range r.Findings {
		if f.ControlID == ids[3] && f.AccountID == first.AccountID {
			for _, std := range f.Standards {
				r.Disabled = append(r.Disabled, model.DisabledControl{AccountID: f.AccountID, Region: f.Region, StandardID: std,
					ControlID: f.ControlID, Source: model.DisabledByAssociation, Reason: "exercised"})
			}
		}
	}
	// Findings of a retired control dropped in that account, so retired_findings is exported.
	r.Retired = append(r.Retired, model.RetiredFindings{AccountID: first.AccountID, Region: first.Region,
		StandardID: first.Standards[0], ControlID: "AppSync.1", Findings: 2})
	// A warning, so that warnings is exported.
	r.Warnings = append(r.Warnings, model.Warning{Kind: "ou_tree_unreadable", Message: "exercised"})
	out := slices.Clone(ctls)
	oneDone := false
	for i, c := range out {
		switch {
		case c.ControlID == ids[1] && !oneDone:
			out[i].Disabled, oneDone = true, true
		case c.ControlID == ids[2]:
			out[i].Disabled = true
		}
	}
	return out
}

func readQuery(t *testing.T, name, date string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	q := string(b)
	if !strings.Contains(q, "${snapshot_date}") {
		t.Fatalf("%s has no ${snapshot_date} placeholder", name)
	}
	// Constructs DuckDB accepts and Trino does not: the queries must stay in the common subset.
	body := regexp.MustCompile(`(?m)--.*$`).ReplaceAllString(q, "")
	for _, bad := range []string{`::`, `GROUP BY ALL`, `QUALIFY`, `EXCLUDE`, `list_`, `arg_max`, `arg_min`, `"`, `strftime`, `epoch(`} {
		if strings.Contains(strings.ToUpper(body), strings.ToUpper(bad)) {
			t.Errorf("%s uses %q, which Athena (Trino) does not know", name, bad)
		}
	}
	return strings.ReplaceAll(q, "${snapshot_date}", date)
}

func num(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

// TestAthena builds one demo history and its export, which both checks share.
func TestAthena(t *testing.T) {
	start := time.Now()
	st, dir := buildExport(t)
	t.Logf("demo and export: %v", time.Since(start))
	// The data must exercise every rule of the queries, or their test proves little.
	rows, err := store.QueryParquet(context.Background(), views(dir), `
SELECT (SELECT count(*) FROM hubreport.findings WHERE control_id <> '' AND record_state = 'ACTIVE' AND compliance_status = 'FAILED' AND workflow_status = 'SUPPRESSED') AS suppressed_failed,
       (SELECT count(*) FROM hubreport.findings WHERE control_id <> '' AND record_state = 'ACTIVE' AND compliance_status IN ('WARNING', 'NOT_AVAILABLE')) AS unknown,
       (SELECT count(*) FROM hubreport.findings WHERE control_id <> '' AND record_state = 'ARCHIVED' AND compliance_status = 'FAILED') AS archived_failed,
       (SELECT count(*) FROM hubreport.controls WHERE disabled) AS disabled,
       (SELECT count(*) FROM (SELECT control_id FROM hubreport.controls GROUP BY snapshot_date, control_id HAVING count(*) FILTER (WHERE NOT disabled) = 0)) AS disabled_everywhere`)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range rows[0] {
		t.Logf("%s: %v", k, v)
		if num(v) == 0 {
			t.Errorf("the demo export has no %s control findings: the test would not see that rule broken", k)
		}
	}
	t.Run("queries match the reporter", func(t *testing.T) { queriesMatchTheReporter(t, st, dir) })
	t.Run("tables match the export", func(t *testing.T) { tablesMatchTheExport(t, dir) })
}

func queriesMatchTheReporter(t *testing.T, st *store.Store, dir string) {
	ctx := context.Background()
	snaps, err := st.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, snap := range snaps {
		date := snap.TakenAt.UTC().Format(time.DateOnly)
		r, err := analyze.Build(ctx, st, snap, analyze.Options{Now: func() time.Time { return snap.TakenAt }, TopControls: 1000})
		if err != nil {
			t.Fatal(err)
		}

		rows, err := store.QueryParquet(ctx, views(dir), readQuery(t, "scores.sql", date))
		if err != nil {
			t.Fatalf("scores.sql: %v", err)
		}
		got := map[string]map[string]any{}
		for _, row := range rows {
			got[row["standard_id"].(string)] = row
		}
		scored := 0
		for _, s := range r.Standards {
			row := got[s.ID]
			if s.Score == nil {
				if row != nil && row["score"] != nil {
					t.Errorf("%s %s: score %v, the reporter has none", date, s.ID, row["score"])
				}
				continue
			}
			scored++
			if row == nil {
				t.Errorf("%s %s: no row; the reporter scores %.6f", date, s.ID, *s.Score)
				continue
			}
			if d := math.Abs(num(row["score"]) - *s.Score); !(d <= 1e-9) {
				t.Errorf("%s %s: score %v, the reporter %.12f", date, s.ID, row["score"], *s.Score)
			}
			if num(row["passed"]) != float64(s.Passed) || num(row["failed"]) != float64(s.Failed) || num(row["unknown"]) != float64(s.Unknown) {
				t.Errorf("%s %s: passed/failed/unknown %v/%v/%v, the reporter %d/%d/%d", date, s.ID,
					row["passed"], row["failed"], row["unknown"], s.Passed, s.Failed, s.Unknown)
			}
			if row["name"] != s.Name {
				t.Errorf("%s %s: name %v, the reporter %q", date, s.ID, row["name"], s.Name)
			}
		}
		if scored == 0 || r.SummaryScore == nil {
			t.Fatalf("%s: the demo report has no score", date)
		}
		nonNull := 0
		for _, row := range rows {
			if row["score"] != nil {
				nonNull++
			}
			if d := math.Abs(num(row["summary_score"]) - *r.SummaryScore); !(d <= 1e-9) {
				t.Errorf("%s: summary score %v, the reporter %.12f", date, row["summary_score"], *r.SummaryScore)
			}
			if d := math.Abs(num(row["summary_score_mean_of_standards"]) - *r.SummaryScoreMeanOfStandards); !(d <= 1e-9) {
				t.Errorf("%s: mean of standard scores %v, the reporter %.12f", date, row["summary_score_mean_of_standards"], *r.SummaryScoreMeanOfStandards)
			}
		}
		if nonNull != scored {
			t.Errorf("%s: %d standards scored, the reporter scores %d", date, nonNull, scored)
		}

		rows, err = store.QueryParquet(ctx, views(dir), readQuery(t, "top_failed_controls.sql", date))
		if err != nil {
			t.Fatalf("top_failed_controls.sql: %v", err)
		}
		if len(rows) != len(r.TopFailedControls) || len(rows) == 0 {
			t.Fatalf("%s: %d failed controls, the reporter %d", date, len(rows), len(r.TopFailedControls))
		}
		for i, want := range r.TopFailedControls {
			row := rows[i]
			if row["control_id"] != want.ControlID || num(row["failed_accounts"]) != float64(want.FailedAccounts) ||
				num(row["failed_resources"]) != float64(want.FailedResources) || num(row["total_accounts"]) != float64(want.TotalAccounts) ||
				row["severity"] != want.Severity || row["title"] != want.Title {
				t.Errorf("%s: rank %d: %v, the reporter %+v", date, i+1, row, want)
			}
		}
	}
}

// tablesMatchTheExport checks that tables.sql declares, for every table, exactly the columns (in
// order, with Athena's names for their types) the export writes, then its partition columns.
func tablesMatchTheExport(t *testing.T, dir string) {
	b, err := os.ReadFile("tables.sql")
	if err != nil {
		t.Fatal(err)
	}
	ddl := regexp.MustCompile(`(?s)CREATE EXTERNAL TABLE IF NOT EXISTS hubreport\.(\w+) \((.*?)\)\s*PARTITIONED BY \((.*?)\)\s*STORED AS PARQUET\s*LOCATION 's3://BUCKET/PREFIX/(\w+)/'`).
		FindAllStringSubmatch(string(b), -1)
	athenaType := map[string]string{"bigint": "BIGINT", "int": "INTEGER", "smallint": "SMALLINT", "string": "VARCHAR",
		"timestamp": "TIMESTAMP", "boolean": "BOOLEAN", "array<string>": "VARCHAR[]"}
	declared := map[string][]string{}
	for _, m := range ddl {
		if m[1] != m[4] {
			t.Errorf("table %s is located at %s/", m[1], m[4])
		}
		var cols, parts []string
		for i, list := range []string{m[2], m[3]} {
			for _, c := range strings.Split(list, ",") {
				f := strings.Fields(c)
				if len(f) != 2 || athenaType[f[1]] == "" {
					t.Fatalf("table %s: cannot read column %q", m[1], c)
				}
				if i == 0 {
					cols = append(cols, f[0]+" "+athenaType[f[1]])
				} else {
					parts = append(parts, f[0]+" "+athenaType[f[1]])
				}
			}
		}
		// DuckDB lists hive partition columns last, in its own order.
		slices.Sort(parts)
		declared[m[1]] = append(cols, parts...)
	}
	for _, tbl := range store.ParquetTables() {
		rows, err := store.QueryParquet(context.Background(), views(dir), `DESCRIBE hubreport.`+tbl)
		if err != nil {
			t.Fatal(err)
		}
		var written []string
		for _, r := range rows {
			written = append(written, fmt.Sprint(r["column_name"], " ", r["column_type"]))
		}
		// findings has two partition columns (snapshot_date, account_id), the others one.
		n := 1
		if tbl == "findings" {
			n = 2
		}
		if len(written) >= n {
			slices.Sort(written[len(written)-n:])
		}
		if strings.Join(declared[tbl], ", ") != strings.Join(written, ", ") {
			t.Errorf("%s:\ntables.sql declares %v\nthe export writes  %v", tbl, declared[tbl], written)
		}
	}
	if len(declared) != len(store.ParquetTables()) {
		t.Errorf("tables.sql declares %d tables, the export writes %d", len(declared), len(store.ParquetTables()))
	}
}
