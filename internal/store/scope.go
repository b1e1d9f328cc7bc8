package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Scoping: a routed report (deliver.email.routes) is the organization's report computed as if the
// organization were a few of its accounts. Rather than teach every query of the analysis a filter
// (and rely on none being forgotten), ScopedConn hands out a connection on which the tables
// themselves show only those accounts: DuckDB resolves an unqualified name in the connection's
// temp catalog before the database's, so temp views named like the tables shadow them for every
// query run on that connection, including the snapshot_findings macro, which is redefined there
// after the views so that it binds to them.

// scopedTables hold one row per account (or per account and something else): on a scoped
// connection each shows the rows of the scope's accounts only.
var scopedTables = []string{"snapshot_accounts", "coverage", "findings", "snapshot_disabled_controls", "snapshot_retired_findings", "snapshot_account_controls"}

// summaryTables hold organization-wide figures derived at commit (analyze.Summarize): they are
// empty on a scoped connection, so the analysis computes the scope's figures from the findings,
// as it does for a snapshot stored before there were summaries.
var summaryTables = []string{"snapshot_standard_tallies", "snapshot_risk", "snapshot_summarized", "snapshot_summary_tallies"}

// unscopedTables hold no per-account rows, or reach accounts only through a scoped table:
// finding_states is a finding's state, keyed by fkey, and every read of it joins findings;
// snapshot_account_controls_stored marks the snapshots whose account statuses are stored, which
// is as true of a few accounts as of all; snapshot_warnings are the collection's or import's as a
// whole (an unreadable OU tree, skipped records), which a routed report shows too.
var unscopedTables = []string{"schema_migrations", "snapshots", "snapshot_standards", "snapshot_controls", "finding_states", "snapshot_account_controls_stored", "snapshot_warnings"}

// ScopedConn is a connection of the pool scoped to some accounts (Store.ScopedConn). Run every
// read of the scoped analysis on it, and Close it.
type ScopedConn struct {
	*sql.Conn
}

// ScopedConn returns a connection of the pool on which every table holding per-account rows shows
// only the given accounts and the stored organization-wide summaries show nothing. accounts must
// not be empty.
func (s *Store) ScopedConn(ctx context.Context, accounts []string) (*ScopedConn, error) {
	if len(accounts) == 0 {
		return nil, errors.New("scope the analysis: no accounts")
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	c := &ScopedConn{conn}
	if err := c.scope(ctx, accounts); err != nil {
		return nil, errors.Join(fmt.Errorf("scope the analysis to %d accounts: %w", len(accounts), err), c.Close())
	}
	return c, nil
}

func (c *ScopedConn) scope(ctx context.Context, accounts []string) error {
	var db, schema string
	if err := c.QueryRowContext(ctx, `SELECT current_database(), current_schema()`).Scan(&db, &schema); err != nil {
		return err
	}
	qualified := func(table string) string { return sqlIdent(db) + "." + sqlIdent(schema) + "." + table }
	if _, err := c.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE scope_accounts (account_id VARCHAR PRIMARY KEY)`); err != nil {
		return err
	}
	vals := make([]string, len(accounts))
	args := make([]any, len(accounts))
	for i, a := range accounts {
		vals[i], args[i] = "(?)", a
	}
	if _, err := c.ExecContext(ctx, `INSERT OR IGNORE INTO scope_accounts VALUES `+strings.Join(vals, ", "), args...); err != nil {
		return err
	}
	var stmts []string
	for _, t := range scopedTables {
		stmts = append(stmts, fmt.Sprintf(`CREATE OR REPLACE TEMP VIEW %s AS SELECT * FROM %s SEMI JOIN scope_accounts USING (account_id)`, t, qualified(t)))
	}
	for _, t := range summaryTables {
		stmts = append(stmts, fmt.Sprintf(`CREATE OR REPLACE TEMP VIEW %s AS SELECT * FROM %s WHERE false`, t, qualified(t)))
	}
	for _, q := range append(stmts, macros) {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// Close drops the scope and hands the connection back to the pool. Should dropping fail, the
// connection is discarded instead: given back with its views it would show a scoped database to
// whoever gets it next.
func (c *ScopedConn) Close() error {
	ctx := context.Background()
	var err error
	for _, t := range append(slices.Clone(scopedTables), summaryTables...) {
		if _, e := c.ExecContext(ctx, `DROP VIEW IF EXISTS temp.`+t); e != nil {
			err = errors.Join(err, e)
		}
	}
	if err == nil {
		_, err = c.ExecContext(ctx, `DROP TABLE IF EXISTS temp.scope_accounts; `+macros)
	}
	if err != nil {
		// ErrBadConn from Raw makes database/sql close the connection rather than pool it.
		_ = c.Raw(func(any) error { return driver.ErrBadConn })
		return errors.Join(fmt.Errorf("drop the analysis scope: %w", err), c.Conn.Close())
	}
	return c.Conn.Close()
}

// sqlIdent quotes an identifier.
func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
