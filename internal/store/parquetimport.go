package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/model"
)

// ImportParquet stores the snapshots exported (by ExportParquet) under dir: dir is one export
// root (it holds snapshots/), or a directory whose subdirectories are export roots, such as the
// exports of collectors that each read a slice of the organization's accounts.
//
// Snapshots are merged per UTC day and source: all exported snapshots with the same snapshot_date
// and source become one snapshot, taken at the latest of their times, whose accounts, coverage
// and findings are the union of theirs. An account found in several of them (a collection run
// again the same day, or overlapping shards) is taken from the latest one that lists it, as a
// whole (its coverage and findings). The catalog is the union too, a standard or control taken
// from the latest snapshot that has it. Accounts expected are the union of the accounts listed,
// plus those each snapshot expected beyond the accounts it listed.
//
// Merged snapshots are stored in taken_at order, each through the snapshot writer in its own
// transaction (a failure stores nothing of the snapshot being imported; the ones before it stay).
// One whose taken_at is already stored is skipped and returned in skipped, so importing a
// directory twice stores nothing new. One older than the newest stored snapshot, or dated more
// than MaxAhead ahead of the clock, is refused before anything is stored: snapshots are history
// and must be stored in time order. Errors name the file at fault.
func (s *Store) ImportParquet(ctx context.Context, dir string) (imported []model.Snapshot, skipped []time.Time, err error) {
	if s.ro {
		return nil, nil, fmt.Errorf("database %s is open read-only", s.path)
	}
	roots, err := exportRoots(dir)
	if err != nil {
		return nil, nil, err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	im := &importer{st: s, conn: conn, roots: roots}
	defer im.cleanup()
	if err := im.load(ctx); err != nil {
		return nil, nil, err
	}
	groups, err := im.groups(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Decide what to skip and check the order before storing anything.
	stored := map[time.Time]bool{}
	var latest time.Time
	existing, err := s.Snapshots(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, snap := range existing {
		stored[snap.TakenAt.UTC()] = true
		if snap.TakenAt.After(latest) {
			latest = snap.TakenAt.UTC()
		}
	}
	var todo []importGroup
	for _, g := range groups {
		switch {
		case stored[g.takenAt]:
			skipped = append(skipped, g.takenAt)
		case g.takenAt.Before(latest):
			return nil, skipped, fmt.Errorf("import %s: the snapshot of %s (source %s, taken at %s, from %s) is older than the newest stored snapshot (%s): snapshots are stored in time order; import into a new database",
				dir, g.date, g.source, g.takenAt.Format(time.RFC3339), g.file, latest.Format(time.RFC3339))
		default:
			// BeginSnapshot would refuse it too, but only after the snapshots before it were
			// stored: refused here, the import stores nothing.
			if err := CheckTakenAt(g.takenAt, s.now()); err != nil {
				return nil, skipped, fmt.Errorf("import %s: the snapshot of %s (source %s, from %s): %w", dir, g.date, g.source, g.file, err)
			}
			todo = append(todo, g)
		}
	}
	if err := im.checkCounts(ctx, todo); err != nil {
		return nil, skipped, err
	}
	for _, g := range todo {
		snap, err := im.store(ctx, g)
		if err != nil {
			return imported, skipped, fmt.Errorf("import %s: snapshot of %s (source %s): %w", dir, g.date, g.source, err)
		}
		imported = append(imported, snap)
	}
	return imported, skipped, nil
}

// exportRoots finds the export roots in dir: dir itself when it holds snapshots/, else its
// subdirectories that do.
func exportRoots(dir string) ([]string, error) {
	isRoot := func(d string) bool {
		fi, err := os.Stat(filepath.Join(d, "snapshots"))
		return err == nil && fi.IsDir()
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("import parquet: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("import parquet: %s is not a directory", dir)
	}
	if isRoot(dir) {
		return []string{dir}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("import parquet: %w", err)
	}
	var roots []string
	for _, e := range entries {
		if d := filepath.Join(dir, e.Name()); e.IsDir() && isRoot(d) {
			roots = append(roots, d)
		}
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("import parquet: %s holds no export: expected %s or %s", dir,
			filepath.Join(dir, "snapshots"), filepath.Join(dir, "*", "snapshots"))
	}
	return roots, nil
}

type importer struct {
	st    *Store
	conn  *sql.Conn
	roots []string
	temps []string
}

// importGroup is one snapshot to store: the exported snapshots of a day and source.
type importGroup struct {
	date, source                string
	takenAt                     time.Time
	organization, administrator string
	expected                    int
	file                        string // a snapshots file of the group, to name in messages
}

func (im *importer) cleanup() {
	for _, t := range im.temps {
		_, _ = im.conn.ExecContext(context.Background(), `DROP TABLE IF EXISTS temp.`+t)
	}
}

func hiveTypes(table string) string {
	if table == parquetFindings.name {
		return `{'snapshot_date': VARCHAR, 'account_id': VARCHAR}`
	}
	return `{'snapshot_date': VARCHAR}`
}

// readParquet is the FROM clause reading files of table.
func readParquet(table string, files []string) string {
	return fmt.Sprintf(`read_parquet(%s, hive_partitioning = true, hive_types = %s, filename = true)`,
		sqlStringList(files), hiveTypes(table))
}

// files lists a table's Parquet files under every root (for findings, of the dates given, or
// all when dates is nil).
func (im *importer) files(table string, dates []string) ([]string, error) {
	var globs []string
	for _, r := range im.roots {
		switch {
		case table != parquetFindings.name:
			globs = append(globs, filepath.Join(r, table, "snapshot_date=*", "*.parquet"))
		case dates == nil:
			globs = append(globs, filepath.Join(r, table, "snapshot_date=*", "account_id=*", "*.parquet"))
		default:
			for _, d := range dates {
				globs = append(globs, filepath.Join(r, table, "snapshot_date="+d, "account_id=*", "*.parquet"))
			}
		}
	}
	var out []string
	for _, g := range globs {
		m, err := filepath.Glob(g)
		if err != nil {
			return nil, err
		}
		out = append(out, m...)
	}
	sort.Strings(out)
	return out, nil
}

// fileError runs query (which reads files through %s, the FROM clause) on each file alone, to name
// the first one that fails; it returns err itself, with the table named, when none fails alone.
func (im *importer) fileError(ctx context.Context, table string, files []string, query string, err error) error {
	for _, f := range files {
		if _, ferr := im.conn.ExecContext(ctx, fmt.Sprintf(query, readParquet(table, []string{f}))); ferr != nil {
			return fmt.Errorf("import parquet: %s: %w", f, ferr)
		}
	}
	return fmt.Errorf("import parquet: %s tables under %s: %w", table, strings.Join(im.roots, ", "), err)
}

// load reads the small tables into temp tables pq_<table>.
func (im *importer) load(ctx context.Context) error {
	for _, t := range parquetSmallTables {
		files, err := im.files(t.name, nil)
		if err != nil {
			return err
		}
		if len(files) == 0 && t.name == "snapshots" {
			return fmt.Errorf("import parquet: no snapshots/snapshot_date=*/*.parquet under %s", strings.Join(im.roots, ", "))
		}
		name := "pq_" + t.name
		im.temps = append(im.temps, name)
		if len(files) == 0 {
			// An empty table of the right shape: a snapshot without accounts or catalog is possible.
			if _, err := im.conn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %s AS
				SELECT * FROM (SELECT %s, ''::VARCHAR AS filename FROM (%s) WHERE false)`,
				name, t.cols, emptyRow(t.name))); err != nil {
				return err
			}
			continue
		}
		q, from := `SELECT `+t.cols+`, filename FROM %s`, readParquet(t.name, files)
		if _, ok := laterColumns[t.name]; ok {
			if q, from, err = im.laterColumnsQuery(ctx, t, files); err != nil {
				return err
			}
		}
		if _, err := im.conn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %s AS `, name)+
			fmt.Sprintf(q, from)); err != nil {
			return im.fileError(ctx, t.name, files, `SELECT count(*) FROM (`+q+`)`, err)
		}
	}
	// A day's file must hold that day's snapshots: a moved file would merge the wrong snapshots.
	for _, t := range parquetSmallTables {
		var file string
		err := im.conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT filename FROM pq_%s
			WHERE snapshot_date IS DISTINCT FROM strftime(taken_at, '%%Y-%%m-%%d') ORDER BY filename LIMIT 1`, t.name)).Scan(&file)
		if err == nil {
			return fmt.Errorf("import parquet: %s: taken_at is not on the file's snapshot_date (or either is missing)", file)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

// laterColumnsQuery is load's query and FROM clause for the files of a table that may come from
// before and after a column was added (see laterColumns).
func (im *importer) laterColumnsQuery(ctx context.Context, t parquetTable, files []string) (q, from string, err error) {
	later := laterColumns[t.name]
	from = strings.TrimSuffix(readParquet(t.name, files), ")") + ", union_by_name = true)"
	var n int
	if err := im.conn.QueryRowContext(ctx, `SELECT count(*) FROM (DESCRIBE SELECT * FROM `+from+`) WHERE column_name = '`+later.probe+`'`).Scan(&n); err != nil {
		return "", "", im.fileError(ctx, t.name, files, `DESCRIBE SELECT * FROM %s`, err)
	}
	q = `SELECT ` + t.cols + `, filename FROM %s`
	if n == 0 {
		q = `SELECT ` + strings.Replace(t.cols, later.cols, later.old, 1) + `, filename FROM %s`
	}
	return q, from, nil
}

// emptyRow is a one-row relation with the columns of a small table, all NULL, for tables an
// export wrote no file of.
func emptyRow(table string) string {
	cols := map[string][]string{
		"accounts":          {"account_id", "name", "ou", "email", "owner"},
		"coverage":          {"account_id", "region", "status", "reason", "findings", "malformed", "malformed_error"},
		"standards":         {"standard_id", "name", "short_name"},
		"controls":          {"standard_id", "control_id", "title", "severity", "disabled", "remediation_url"},
		"disabled_controls": {"account_id", "region", "standard_id", "control_id", "source", "reason"},
		"retired_findings":  {"account_id", "region", "standard_id", "control_id", "findings"},
		"warnings":          {"seq", "kind", "message"},
	}[table]
	sel := []string{"NULL AS snapshot_date", "NULL AS snapshot_id", "NULL AS taken_at"}
	for _, c := range cols {
		sel = append(sel, "NULL AS "+c)
	}
	return "SELECT " + strings.Join(sel, ", ")
}

// groups computes what to store: pq_pick, the exported snapshot (taken_at) each account of a day
// and source is taken from, and the merged snapshots in taken_at order.
func (im *importer) groups(ctx context.Context) ([]importGroup, error) {
	var file string
	err := im.conn.QueryRowContext(ctx, `SELECT min(filename) FROM pq_snapshots
		WHERE snapshot_id IS NULL OR taken_at IS NULL OR source IS NULL OR source = '' OR organization IS NULL
		   OR administrator_account IS NULL OR findings IS NULL OR accounts_expected IS NULL
		HAVING count(*) > 0`).Scan(&file)
	if err == nil {
		return nil, fmt.Errorf("import parquet: %s: a snapshot row lacks snapshot_id, taken_at, source, organization, administrator_account, findings or accounts_expected", file)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	// The merge keys an exported snapshot by its day and taken_at; one such key must be one source.
	err = im.conn.QueryRowContext(ctx, `SELECT min(filename) FROM pq_snapshots
		WHERE (snapshot_date, taken_at) IN (SELECT (snapshot_date, taken_at) FROM pq_snapshots
		                                   GROUP BY ALL HAVING count(DISTINCT source) > 1)
		HAVING count(*) > 0`).Scan(&file)
	if err == nil {
		return nil, fmt.Errorf("import parquet: %s: snapshots taken at the same time have different sources", file)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	im.temps = append(im.temps, "pq_keys", "pq_pick")
	stmts := []string{
		// One row per exported snapshot (day, taken_at), with its group (day, source).
		`CREATE OR REPLACE TEMP TABLE pq_keys AS
		 SELECT snapshot_date, taken_at, any_value(source) AS source,
		        max_by(organization, snapshot_id) AS organization,
		        max_by(administrator_account, snapshot_id) AS administrator_account,
		        sum(accounts_expected) AS expected, min(filename) AS filename
		 FROM pq_snapshots GROUP BY snapshot_date, taken_at`,
		// Each account of a group comes from the latest exported snapshot that lists it.
		`CREATE OR REPLACE TEMP TABLE pq_pick AS
		 SELECT k.snapshot_date, k.source, a.account_id, k.taken_at
		 FROM (SELECT DISTINCT snapshot_date, taken_at, account_id FROM pq_accounts) a
		 JOIN pq_keys k USING (snapshot_date, taken_at)
		 QUALIFY row_number() OVER (PARTITION BY k.snapshot_date, k.source, a.account_id ORDER BY k.taken_at DESC) = 1`,
	}
	for _, q := range stmts {
		if _, err := im.conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("import parquet: %w", err)
		}
	}
	rows, err := im.conn.QueryContext(ctx, `
WITH listed AS (SELECT snapshot_date, taken_at, count(*) AS n FROM pq_accounts GROUP BY ALL),
contributing AS (SELECT DISTINCT snapshot_date, source, taken_at FROM pq_pick),
extra AS (
  SELECT c.snapshot_date, c.source, sum(greatest(k.expected - coalesce(l.n, 0), 0)) AS n
  FROM contributing c JOIN pq_keys k USING (snapshot_date, taken_at) LEFT JOIN listed l USING (snapshot_date, taken_at)
  GROUP BY ALL),
accounts AS (SELECT snapshot_date, source, count(*) AS n FROM pq_pick GROUP BY ALL)
SELECT k.snapshot_date, k.source, max(k.taken_at), max_by(k.organization, k.taken_at),
       max_by(k.administrator_account, k.taken_at), any_value(coalesce(a.n, 0) + coalesce(e.n, 0)),
       min(k.filename)
FROM pq_keys k LEFT JOIN accounts a USING (snapshot_date, source) LEFT JOIN extra e USING (snapshot_date, source)
GROUP BY k.snapshot_date, k.source
ORDER BY max(k.taken_at), k.source`)
	if err != nil {
		return nil, fmt.Errorf("import parquet: %w", err)
	}
	defer rows.Close()
	var out []importGroup
	for rows.Next() {
		var g importGroup
		if err := rows.Scan(&g.date, &g.source, &g.takenAt, &g.organization, &g.administrator, &g.expected, &g.file); err != nil {
			return nil, err
		}
		g.takenAt = g.takenAt.UTC()
		out = append(out, g)
	}
	return out, rows.Err()
}

// checkCounts compares, for every exported snapshot of the groups to store, the findings its
// snapshots row counts with the rows its findings files hold: a partition missing (an incomplete
// copy from S3) would otherwise store a snapshot with accounts silently empty.
func (im *importer) checkCounts(ctx context.Context, groups []importGroup) error {
	if len(groups) == 0 {
		return nil
	}
	var dates []string
	for _, g := range groups {
		if !slices.Contains(dates, g.date) {
			dates = append(dates, g.date)
		}
	}
	files, err := im.files(parquetFindings.name, dates)
	if err != nil {
		return err
	}
	counted := `SELECT snapshot_date, taken_at, count(*) AS n FROM %s GROUP BY ALL`
	from := `(SELECT NULL::VARCHAR AS snapshot_date, NULL::TIMESTAMP AS taken_at WHERE false)`
	if len(files) > 0 {
		from = `(SELECT snapshot_date, taken_at::TIMESTAMP AS taken_at FROM ` + readParquet(parquetFindings.name, files) + `)`
	}
	rows, err := im.conn.QueryContext(ctx, `
WITH found AS (`+fmt.Sprintf(counted, from)+`),
want AS (SELECT snapshot_date, taken_at, sum(findings) AS n, min(filename) AS filename FROM pq_snapshots
         WHERE snapshot_date IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL)
SELECT w.filename, w.n, coalesce(f.n, 0) FROM want w LEFT JOIN found f USING (snapshot_date, taken_at)
WHERE w.n <> coalesce(f.n, 0) ORDER BY w.snapshot_date, w.taken_at LIMIT 1`, dates)
	if err != nil {
		if len(files) > 0 {
			return im.fileError(ctx, parquetFindings.name, files, `SELECT count(*) FROM (SELECT `+parquetFindings.cols+` FROM %s)`, err)
		}
		return fmt.Errorf("import parquet: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var file string
		var want, found int64
		if err := rows.Scan(&file, &want, &found); err != nil {
			return err
		}
		return fmt.Errorf("import parquet: %s: the snapshot counts %d findings but its findings files hold %d (a findings partition is missing or was not copied whole)", file, want, found)
	}
	return rows.Err()
}
