package store

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/hubreport/hubreport/internal/model"
)

// TestScopedConnShowsOnlyTheScope: on a scoped connection every per-account table and the
// snapshot_findings macro show the scope's accounts only and the summaries show nothing; once it
// is closed, the same pooled connection (the pool holds one) shows everything again.
func TestScopedConnShowsOnlyTheScope(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	w, err := s.BeginSnapshot(ctx, model.SnapshotMeta{TakenAt: t0, Source: "test", Organization: "org"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, acc := range []string{"111111111111", "222222222222", "333333333333"} {
		w.AddAccount(model.Account{AccountID: acc, Name: "n" + acc, OU: "X"})
		if err := w.AddFinding(finding("f"+acc, acc, "FAILED")); err != nil {
			t.Fatal(err)
		}
		w.AddCoverage(model.Coverage{AccountID: acc, Region: "us-east-1", Status: model.CoverageCollected})
	}
	if _, err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO snapshot_summarized (snapshot_id) VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	s.db.SetMaxOpenConns(1)
	c, err := s.ScopedConn(ctx, []string{"222222222222", "333333333333"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`SELECT DISTINCT account_id FROM snapshot_accounts`, `SELECT DISTINCT account_id FROM coverage`,
		`SELECT DISTINCT account_id FROM findings`, `SELECT DISTINCT account_id FROM snapshot_findings(1)`,
		`SELECT DISTINCT f.account_id FROM finding_states s JOIN findings f ON f.fkey = s.fkey`} {
		got := accountsOf(t, c.QueryContext, q+` ORDER BY 1`)
		if want := []string{"222222222222", "333333333333"}; !slices.Equal(got, want) {
			t.Errorf("scoped %s: %v, want %v", q, got, want)
		}
	}
	for _, tb := range summaryTables {
		var n int
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM `+tb).Scan(&n); err != nil || n != 0 {
			t.Errorf("scoped %s: %d rows (%v), want none", tb, n, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got := accountsOf(t, s.DB().QueryContext, `SELECT DISTINCT account_id FROM snapshot_findings(1) ORDER BY 1`); len(got) != 3 {
		t.Errorf("after Close the pool shows %v, want all three accounts", got)
	}
	if n := count(t, s, `SELECT count(*) FROM snapshot_summarized`); n != 1 {
		t.Errorf("after Close snapshot_summarized has %d rows, want 1", n)
	}
}

// TestEveryTableIsClassifiedForScoping: a table added by a migration must be put in one of the
// scoping lists (per-account rows, organization-wide summaries, or neither), or a routed report
// would read another OU's rows from it.
func TestEveryTableIsClassifiedForScoping(t *testing.T) {
	s, _ := openTemp(t)
	known := slices.Concat(scopedTables, summaryTables, unscopedTables)
	tables := accountsOf(t, s.DB().QueryContext, `SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1`)
	if len(tables) < len(known) {
		t.Fatalf("the schema lists %d tables (%v), fewer than the %d classified", len(tables), tables, len(known))
	}
	for _, tb := range tables {
		if !slices.Contains(known, tb) {
			t.Errorf("table %s is in no list of scope.go: classify it (scopedTables if it has an account_id column)", tb)
		}
	}
	for _, tb := range scopedTables {
		if n := count(t, s, `SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = 'account_id'`, tb); n != 1 {
			t.Errorf("scoped table %s has no account_id column", tb)
		}
	}
}

func accountsOf(t *testing.T, query func(context.Context, string, ...any) (*sql.Rows, error), q string) []string {
	t.Helper()
	rows, err := query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
