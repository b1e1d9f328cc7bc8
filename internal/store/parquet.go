package store

// Parquet export and import: the way snapshots leave one machine. Export writes each snapshot as
// Parquet in hive layout (DIR/findings/snapshot_date=YYYY-MM-DD/account_id=ID/*.parquet, and the
// small per-snapshot tables under DIR/<table>/snapshot_date=YYYY-MM-DD/), which Amazon Athena (or
// any Trino, or DuckDB) queries where it lies. Import reads one or several such directories back
// (collectors that each read a slice of the organization's accounts) and stores each day's union
// as one snapshot through the normal snapshot writer, so history compression stays exact.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Parquet files and the directories holding them are readable by the owner and its group only,
// whatever the umask: they hold findings of the whole organization.
const (
	parquetFileMode = 0o640
	parquetDirMode  = 0o750
)

// parquetTable is one exported table: its directory under the export root and the query giving
// one snapshot's rows (%[1]d is the snapshot id, %[2]s its snapshot_date). Every query starts with
// snapshot_date, the partition column, which DuckDB writes into the path, not into the file.
type parquetTable struct {
	name  string
	query string
	// cols are the columns import reads, with the type it reads them as.
	cols string
}

const takenAtSQL = `(SELECT taken_at FROM snapshots WHERE id = %[1]d)`

// coverageMalformedCols read the malformed-findings columns of coverage exports. Exports from
// before schema 4 lack them: those files are read by name along with newer ones
// (union_by_name) and count no malformed findings, and when no file has them at all,
// oldCoverageMalformedCols stand in.
const (
	coverageMalformedCols    = `coalesce(malformed, 0)::BIGINT AS malformed, coalesce(malformed_error, '')::VARCHAR AS malformed_error`
	oldCoverageMalformedCols = `0::BIGINT AS malformed, ''::VARCHAR AS malformed_error`
)

var parquetFindings = parquetTable{"findings", `
SELECT '%[2]s' AS snapshot_date, %[1]d::BIGINT AS snapshot_id, ` + takenAtSQL + ` AS taken_at,
       finding_id, product_arn, product_name, company_name, generator_id, account_id, region, type,
       title, resource_type, resource_id, control_id, standards, first_observed_at, created_at,
       updated_at, severity_label, severity_normalized, compliance_status, workflow_status,
       record_state, note_text, note_updated_by, note_updated_at, user_defined_fields
FROM snapshot_findings(%[1]d)
ORDER BY account_id, product_arn, finding_id`,
	`snapshot_date::VARCHAR AS snapshot_date, account_id::VARCHAR AS account_id,
       snapshot_id::BIGINT AS snapshot_id, taken_at::TIMESTAMP AS taken_at,
       finding_id::VARCHAR AS finding_id, product_arn::VARCHAR AS product_arn,
       product_name::VARCHAR AS product_name, company_name::VARCHAR AS company_name,
       generator_id::VARCHAR AS generator_id, region::VARCHAR AS region, type::VARCHAR AS type,
       title::VARCHAR AS title, resource_type::VARCHAR AS resource_type,
       resource_id::VARCHAR AS resource_id, control_id::VARCHAR AS control_id,
       standards::VARCHAR[] AS standards, first_observed_at::TIMESTAMP AS first_observed_at,
       created_at::TIMESTAMP AS created_at, updated_at::TIMESTAMP AS updated_at,
       severity_label::VARCHAR AS severity_label, severity_normalized::SMALLINT AS severity_normalized,
       compliance_status::VARCHAR AS compliance_status, workflow_status::VARCHAR AS workflow_status,
       record_state::VARCHAR AS record_state, note_text::VARCHAR AS note_text,
       note_updated_by::VARCHAR AS note_updated_by, note_updated_at::TIMESTAMP AS note_updated_at,
       user_defined_fields::VARCHAR AS user_defined_fields`}

var parquetSmallTables = []parquetTable{
	{"snapshots", `
SELECT '%[2]s' AS snapshot_date, id AS snapshot_id, taken_at, source, organization,
       administrator_account, status, findings, accounts_collected, accounts_expected, created_at
FROM snapshots WHERE id = %[1]d`,
		`snapshot_date::VARCHAR AS snapshot_date, snapshot_id::BIGINT AS snapshot_id,
       taken_at::TIMESTAMP AS taken_at, source::VARCHAR AS source, organization::VARCHAR AS organization,
       administrator_account::VARCHAR AS administrator_account, status::VARCHAR AS status,
       findings::BIGINT AS findings, accounts_collected::INTEGER AS accounts_collected,
       accounts_expected::INTEGER AS accounts_expected, created_at::TIMESTAMP AS created_at`},
	{"accounts", `
SELECT '%[2]s' AS snapshot_date, snapshot_id, ` + takenAtSQL + ` AS taken_at, account_id, name, ou, email
FROM snapshot_accounts WHERE snapshot_id = %[1]d ORDER BY account_id`,
		`snapshot_date::VARCHAR AS snapshot_date, snapshot_id::BIGINT AS snapshot_id,
       taken_at::TIMESTAMP AS taken_at, account_id::VARCHAR AS account_id, name::VARCHAR AS name,
       ou::VARCHAR AS ou, email::VARCHAR AS email`},
	{"coverage", `
SELECT '%[2]s' AS snapshot_date, snapshot_id, ` + takenAtSQL + ` AS taken_at, account_id, region,
       status, reason, findings, malformed, malformed_error
FROM coverage WHERE snapshot_id = %[1]d ORDER BY account_id, region`,
		`snapshot_date::VARCHAR AS snapshot_date, snapshot_id::BIGINT AS snapshot_id,
       taken_at::TIMESTAMP AS taken_at, account_id::VARCHAR AS account_id, region::VARCHAR AS region,
       status::VARCHAR AS status, reason::VARCHAR AS reason, findings::BIGINT AS findings,
       ` + coverageMalformedCols},
	{"standards", `
SELECT '%[2]s' AS snapshot_date, snapshot_id, ` + takenAtSQL + ` AS taken_at, standard_id, name, short_name
FROM snapshot_standards WHERE snapshot_id = %[1]d ORDER BY standard_id`,
		`snapshot_date::VARCHAR AS snapshot_date, snapshot_id::BIGINT AS snapshot_id,
       taken_at::TIMESTAMP AS taken_at, standard_id::VARCHAR AS standard_id, name::VARCHAR AS name,
       short_name::VARCHAR AS short_name`},
	{"controls", `
SELECT '%[2]s' AS snapshot_date, snapshot_id, ` + takenAtSQL + ` AS taken_at, standard_id, control_id,
       title, severity, disabled, remediation_url
FROM snapshot_controls WHERE snapshot_id = %[1]d ORDER BY standard_id, control_id`,
		`snapshot_date::VARCHAR AS snapshot_date, snapshot_id::BIGINT AS snapshot_id,
       taken_at::TIMESTAMP AS taken_at, standard_id::VARCHAR AS standard_id,
       control_id::VARCHAR AS control_id, title::VARCHAR AS title, severity::VARCHAR AS severity,
       disabled::BOOLEAN AS disabled, remediation_url::VARCHAR AS remediation_url`},
	// Controls disabled per account, region and standard. Exports from before schema 5 have no
	// such directory: they import with no disabled controls (load's empty table).
	{"disabled_controls", `
SELECT '%[2]s' AS snapshot_date, snapshot_id, ` + takenAtSQL + ` AS taken_at, account_id, region,
       standard_id, control_id, source, reason
FROM snapshot_disabled_controls WHERE snapshot_id = %[1]d ORDER BY account_id, region, standard_id, control_id`,
		`snapshot_date::VARCHAR AS snapshot_date, snapshot_id::BIGINT AS snapshot_id,
       taken_at::TIMESTAMP AS taken_at, account_id::VARCHAR AS account_id, region::VARCHAR AS region,
       standard_id::VARCHAR AS standard_id, control_id::VARCHAR AS control_id,
       source::VARCHAR AS source, reason::VARCHAR AS reason`},
	// Findings of retired controls the collector dropped, counted per account, region, standard
	// and control. Exports from before schema 6 have no such directory: they import with none.
	{"retired_findings", `
SELECT '%[2]s' AS snapshot_date, snapshot_id, ` + takenAtSQL + ` AS taken_at, account_id, region,
       standard_id, control_id, findings
FROM snapshot_retired_findings WHERE snapshot_id = %[1]d ORDER BY account_id, region, standard_id, control_id`,
		`snapshot_date::VARCHAR AS snapshot_date, snapshot_id::BIGINT AS snapshot_id,
       taken_at::TIMESTAMP AS taken_at, account_id::VARCHAR AS account_id, region::VARCHAR AS region,
       standard_id::VARCHAR AS standard_id, control_id::VARCHAR AS control_id, findings::BIGINT AS findings`},
}

// ParquetTables are the directories an export writes under its root, findings first.
func ParquetTables() []string {
	out := []string{parquetFindings.name}
	for _, t := range parquetSmallTables {
		out = append(out, t.name)
	}
	return out
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sqlStringList is a DuckDB list literal of strings.
func sqlStringList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = sqlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// ExportParquet writes snapshots (every stored one when snapshotIDs is empty) as zstd-compressed
// Parquet under dir, in hive layout:
//
//	dir/findings/snapshot_date=YYYY-MM-DD/account_id=ID/*.parquet   one row per finding
//	dir/{snapshots,accounts,coverage,standards,controls}/snapshot_date=YYYY-MM-DD/*.parquet
//
// snapshot_date is the UTC date of the snapshot's taken_at. File names are deterministic,
// <taken_at>-<snapshot id>-<shard>-<n>.parquet, where shard is a hash of the snapshot's account
// list: exporting a snapshot again replaces its files, and collectors that each read a slice of
// the organization's accounts can export into one directory (or S3 prefix) without overwriting
// each other. Files of other snapshots already in dir are left alone. Files are 0640 and
// directories 0750 at most. A failed export may leave some files of the snapshot written.
func (s *Store) ExportParquet(ctx context.Context, dir string, snapshotIDs []int64) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	snaps, err := s.exportList(ctx, conn, snapshotIDs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, parquetDirMode); err != nil {
		return fmt.Errorf("export parquet: %w", err)
	}
	for _, snap := range snaps {
		if err := s.exportSnapshot(ctx, conn, dir, snap); err != nil {
			return fmt.Errorf("export snapshot %d to %s: %w", snap.ID, dir, err)
		}
	}
	// DuckDB creates files and directories as the umask allows; tighten what is looser than ours.
	for _, t := range ParquetTables() {
		root := filepath.Join(dir, t)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && p == root {
					return nil
				}
				return err
			}
			want := fs.FileMode(parquetFileMode)
			if d.IsDir() {
				want = parquetDirMode
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if perm := fi.Mode().Perm(); perm&^want != 0 {
				return os.Chmod(p, perm&want)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("export parquet: %w", err)
		}
	}
	return nil
}

func (s *Store) exportList(ctx context.Context, conn *sql.Conn, ids []int64) ([]Snapshot, error) {
	rows, err := conn.QueryContext(ctx, `SELECT `+snapshotCols+` FROM snapshots ORDER BY taken_at, id`)
	if err != nil {
		return nil, fmt.Errorf("export parquet: %w", err)
	}
	defer rows.Close()
	var all []Snapshot
	for rows.Next() {
		snap, err := scanSnapshot(rows)
		if err != nil {
			return nil, err
		}
		all = append(all, snap)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return all, nil
	}
	var out []Snapshot
	for _, id := range ids {
		i := slices.IndexFunc(all, func(s Snapshot) bool { return s.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("export parquet: snapshot %d: %w", id, ErrNoSnapshot)
		}
		out = append(out, all[i])
	}
	return out, nil
}

func (s *Store) exportSnapshot(ctx context.Context, conn *sql.Conn, dir string, snap Snapshot) error {
	var shard string
	if err := conn.QueryRowContext(ctx, `SELECT left(md5(coalesce(string_agg(account_id, ',' ORDER BY account_id), '')), 8)
		FROM snapshot_accounts WHERE snapshot_id = ?`, snap.ID).Scan(&shard); err != nil {
		return err
	}
	date := snap.TakenAt.UTC().Format(time.DateOnly)
	pattern := fmt.Sprintf("%s-%d-%s-{i}", snap.TakenAt.UTC().Format("20060102T150405Z"), snap.ID, shard)
	tables := append([]parquetTable{parquetFindings}, parquetSmallTables...)
	// A partitioned COPY buffers up to this many rows per thread before it writes them out, by
	// default 524,288: at about 1 KB a finding row that is more than report.memory_limit (1GB),
	// and a snapshot of 978,832 findings in 1,000 accounts failed out of memory. At 16,384 it
	// exports in 8 s, one file and row group per account.
	if _, err := conn.ExecContext(ctx, `SET partitioned_write_flush_threshold = 16384`); err != nil {
		return err
	}
	for _, t := range tables {
		if err := ctx.Err(); err != nil {
			return err
		}
		partition := "snapshot_date"
		if t.name == parquetFindings.name {
			partition = "snapshot_date, account_id"
		}
		q := fmt.Sprintf(`COPY (%s) TO %s (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (%s),
			OVERWRITE_OR_IGNORE, FILENAME_PATTERN %s)`,
			fmt.Sprintf(t.query, snap.ID, date), sqlString(filepath.Join(dir, t.name)), partition, sqlString(pattern))
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	return nil
}

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
func (s *Store) ImportParquet(ctx context.Context, dir string) (imported []Snapshot, skipped []time.Time, err error) {
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
		if t.name == "coverage" {
			if q, from, err = im.coverageQuery(ctx, t, files); err != nil {
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

// coverageQuery is load's query and FROM clause for coverage files, which may come from before
// and after the malformed columns (see coverageMalformedCols).
func (im *importer) coverageQuery(ctx context.Context, t parquetTable, files []string) (q, from string, err error) {
	from = strings.TrimSuffix(readParquet(t.name, files), ")") + ", union_by_name = true)"
	var n int
	if err := im.conn.QueryRowContext(ctx, `SELECT count(*) FROM (DESCRIBE SELECT * FROM `+from+`) WHERE column_name = 'malformed'`).Scan(&n); err != nil {
		return "", "", im.fileError(ctx, t.name, files, `DESCRIBE SELECT * FROM %s`, err)
	}
	q = `SELECT ` + t.cols + `, filename FROM %s`
	if n == 0 {
		q = `SELECT ` + strings.Replace(t.cols, coverageMalformedCols, oldCoverageMalformedCols, 1) + `, filename FROM %s`
	}
	return q, from, nil
}

// emptyRow is a one-row relation with the columns of a small table, all NULL, for tables an
// export wrote no file of.
func emptyRow(table string) string {
	cols := map[string][]string{
		"accounts":          {"account_id", "name", "ou", "email"},
		"coverage":          {"account_id", "region", "status", "reason", "findings", "malformed", "malformed_error"},
		"standards":         {"standard_id", "name", "short_name"},
		"controls":          {"standard_id", "control_id", "title", "severity", "disabled", "remediation_url"},
		"disabled_controls": {"account_id", "region", "standard_id", "control_id", "source", "reason"},
		"retired_findings":  {"account_id", "region", "standard_id", "control_id", "findings"},
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

// store writes one merged snapshot through the snapshot writer.
func (im *importer) store(ctx context.Context, g importGroup) (Snapshot, error) {
	stds, ctls, err := im.catalog(ctx, g)
	if err != nil {
		return Snapshot{}, err
	}
	w, err := im.st.BeginSnapshot(ctx, SnapshotMeta{TakenAt: g.takenAt, Source: g.source, Organization: g.organization,
		AdministratorAccount: g.administrator, AccountsExpected: g.expected}, stds, ctls)
	if err != nil {
		return Snapshot{}, err
	}
	if err := im.fill(ctx, g, w); err != nil {
		return Snapshot{}, errors.Join(err, w.Rollback())
	}
	return w.Commit(ctx)
}

// catalog is the union of the group's catalogs, each standard and control from the latest
// exported snapshot that has it.
func (im *importer) catalog(ctx context.Context, g importGroup) ([]Standard, []Control, error) {
	rows, err := im.conn.QueryContext(ctx, `SELECT standard_id, name, short_name FROM pq_standards
		WHERE snapshot_date = ? AND taken_at IN (SELECT taken_at FROM pq_keys WHERE snapshot_date = ? AND source = ?)
		QUALIFY row_number() OVER (PARTITION BY standard_id ORDER BY taken_at DESC, filename DESC) = 1
		ORDER BY standard_id`, g.date, g.date, g.source)
	if err != nil {
		return nil, nil, err
	}
	var stds []Standard
	for rows.Next() {
		var s Standard
		if err := rows.Scan(&s.ID, &s.Name, &s.ShortName); err != nil {
			rows.Close()
			return nil, nil, err
		}
		stds = append(stds, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = im.conn.QueryContext(ctx, `SELECT standard_id, control_id, title, severity, disabled, remediation_url FROM pq_controls
		WHERE snapshot_date = ? AND taken_at IN (SELECT taken_at FROM pq_keys WHERE snapshot_date = ? AND source = ?)
		QUALIFY row_number() OVER (PARTITION BY standard_id, control_id ORDER BY taken_at DESC, filename DESC) = 1
		ORDER BY standard_id, control_id`, g.date, g.date, g.source)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ctls []Control
	for rows.Next() {
		var c Control
		if err := rows.Scan(&c.StandardID, &c.ControlID, &c.Title, &c.Severity, &c.Disabled, &c.RemediationURL); err != nil {
			return nil, nil, err
		}
		ctls = append(ctls, c)
	}
	return stds, ctls, rows.Err()
}

// fill adds the group's accounts, coverage and findings to w.
func (im *importer) fill(ctx context.Context, g importGroup, w *SnapshotWriter) error {
	rows, err := im.conn.QueryContext(ctx, `SELECT a.account_id, a.name, a.ou, a.email FROM pq_accounts a
		JOIN pq_pick p USING (snapshot_date, taken_at, account_id) WHERE p.snapshot_date = ? AND p.source = ?
		QUALIFY row_number() OVER (PARTITION BY a.account_id ORDER BY a.name DESC, a.ou DESC, a.email DESC) = 1
		ORDER BY a.account_id`, g.date, g.source)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a Account
		if err := rows.Scan(&a.AccountID, &a.Name, &a.OU, &a.Email); err != nil {
			rows.Close()
			return err
		}
		if err := w.AddAccount(a); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = im.conn.QueryContext(ctx, `SELECT c.account_id, c.region, c.status, c.reason, c.findings, c.malformed, c.malformed_error, c.filename FROM pq_coverage c
		JOIN pq_pick p USING (snapshot_date, taken_at, account_id) WHERE p.snapshot_date = ? AND p.source = ?
		ORDER BY c.account_id, c.region, c.filename`, g.date, g.source)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c Coverage
		var file string
		if err := rows.Scan(&c.AccountID, &c.Region, &c.Status, &c.Reason, &c.Findings, &c.Malformed, &c.MalformedError, &file); err != nil {
			rows.Close()
			return err
		}
		if err := w.AddCoverage(c); err != nil {
			rows.Close()
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := im.fillDisabled(ctx, g, w); err != nil {
		return err
	}
	if err := im.fillRetired(ctx, g, w); err != nil {
		return err
	}
	files, err := im.pickedFiles(ctx, g)
	if err != nil {
		return err
	}
	// The picked files in name order, each as written: an export writes an account's findings
	// sorted, so this is the order a sort would give, without sorting a million wide rows (which
	// at 978,832 findings ran out of memory under store.memory_limit and took 1.9 GB at 512MB).
	// The driver holds a query's whole result in memory before the first row, so the files are
	// read a few megabytes of Parquet at a time: read at once, 978,832 findings held 1.3 GB.
	for len(files) > 0 {
		n, size := 0, int64(0)
		for n < len(files) && (n == 0 || size < maxParquetBatchBytes) {
			if fi, err := os.Stat(files[n]); err == nil {
				size += fi.Size()
			}
			n++
		}
		if err := im.addFindings(ctx, files[:n], w); err != nil {
			return err
		}
		files = files[n:]
	}
	return nil
}

// fillDisabled adds the disabled controls of the accounts the group picked.
func (im *importer) fillDisabled(ctx context.Context, g importGroup, w *SnapshotWriter) error {
	return fillPicked(ctx, im, g, "disabled_controls", []string{"source", "reason"},
		func(d *DisabledControl) []any {
			return []any{&d.AccountID, &d.Region, &d.StandardID, &d.ControlID, &d.Source, &d.Reason}
		},
		w.AddDisabledControl)
}

// fillRetired adds the retired controls' dropped findings of the accounts the group picked.
func (im *importer) fillRetired(ctx context.Context, g importGroup, w *SnapshotWriter) error {
	return fillPicked(ctx, im, g, "retired_findings", []string{"findings"},
		func(r *RetiredFindings) []any {
			return []any{&r.AccountID, &r.Region, &r.StandardID, &r.ControlID, &r.Findings}
		},
		w.AddRetiredFindings)
}

// fillPicked adds the rows of pq_<table>, a table keyed by account, region, standard and control
// with the columns more after those, for the accounts the group picked, each from the snapshot its
// account was picked from (as coverage). dest gives scan targets for the key columns, then more.
func fillPicked[T any](ctx context.Context, im *importer, g importGroup, table string, more []string,
	dest func(*T) []any, add func(T) error) error {
	key := "t.account_id, t.region, t.standard_id, t.control_id"
	rows, err := im.conn.QueryContext(ctx, `SELECT `+key+`, t.`+strings.Join(more, ", t.")+`, t.filename
		FROM pq_`+table+` t
		JOIN pq_pick p USING (snapshot_date, taken_at, account_id) WHERE p.snapshot_date = ? AND p.source = ?
		ORDER BY `+key+`, t.filename`, g.date, g.source)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v T
		var file string
		if err := rows.Scan(append(dest(&v), &file)...); err != nil {
			return err
		}
		if err := add(v); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	return rows.Err()
}

// maxParquetBatchBytes bounds the Parquet read by one query of fill: about 60,000 findings, 80 MB
// once the driver has them.
const maxParquetBatchBytes = 4 << 20

// addFindings adds the findings of files, in order, to w.
func (im *importer) addFindings(ctx context.Context, files []string, w *SnapshotWriter) error {
	q := `SELECT filename, ` + parquetFindings.cols + ` FROM %s`
	frows, err := im.conn.QueryContext(ctx, fmt.Sprintf(q, readParquet(parquetFindings.name, files)))
	if err != nil {
		return im.fileError(ctx, parquetFindings.name, files, `SELECT count(*) FROM (`+q+`)`, err)
	}
	defer frows.Close()
	for frows.Next() {
		f, file, err := scanParquetFinding(frows)
		if err != nil {
			if file != "" {
				return fmt.Errorf("%s: %w", file, err)
			}
			return err
		}
		if err := w.AddFinding(f); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	if err := frows.Err(); err != nil {
		return im.fileError(ctx, parquetFindings.name, files, `SELECT count(*) FROM (`+q+`)`, err)
	}
	return nil
}

// pickedFiles lists, in name order, the findings files of the group's day that hold the accounts
// pq_pick takes from each exported snapshot. An export writes one snapshot's findings of one
// account to files of its own (the account's partition, the snapshot's time in the name), so a
// file is picked whole or not at all; only the key columns are read to tell.
func (im *importer) pickedFiles(ctx context.Context, g importGroup) ([]string, error) {
	files, err := im.files(parquetFindings.name, []string{g.date})
	if err != nil || len(files) == 0 {
		return nil, err
	}
	q := `SELECT DISTINCT f.filename FROM (SELECT filename, snapshot_date::VARCHAR AS snapshot_date,
		  taken_at::TIMESTAMP AS taken_at, account_id::VARCHAR AS account_id FROM %s) f
		JOIN pq_pick p USING (snapshot_date, taken_at, account_id) WHERE p.source = ` + sqlString(g.source) + `
		ORDER BY f.filename`
	rows, err := im.conn.QueryContext(ctx, fmt.Sprintf(q, readParquet(parquetFindings.name, files)))
	if err != nil {
		return nil, im.fileError(ctx, parquetFindings.name, files, `SELECT count(*) FROM (`+q+`)`, err)
	}
	defer rows.Close()
	var picked []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, err
		}
		picked = append(picked, f)
	}
	return picked, rows.Err()
}

// scanParquetFinding reads a row of the file name, then parquetFindings.cols. The file name comes
// first so that it is known when a later column fails to scan.
func scanParquetFinding(rows *sql.Rows) (*Finding, string, error) {
	var f Finding
	var date, file string
	var sid int64
	var takenAt time.Time
	var stds duckdb.Composite[[]string]
	var udf string
	var first, created, updated, noteAt sql.NullTime
	var sev int16
	if err := rows.Scan(&file, &date, &f.AccountID, &sid, &takenAt, &f.ID, &f.ProductARN, &f.ProductName, &f.CompanyName,
		&f.GeneratorID, &f.Region, &f.Type, &f.Title, &f.ResourceType, &f.ResourceID, &f.ControlID, &stds,
		&first, &created, &updated, &f.SeverityLabel, &sev, &f.ComplianceStatus, &f.WorkflowStatus,
		&f.RecordState, &f.NoteText, &f.NoteUpdatedBy, &noteAt, &udf); err != nil {
		return nil, file, err
	}
	f.Standards = stds.Get()
	f.SeverityNormalized = int(sev)
	f.FirstObservedAt, f.CreatedAt, f.UpdatedAt, f.NoteUpdatedAt = utcTime(first), utcTime(created), utcTime(updated), utcTime(noteAt)
	if udf != "" {
		if err := json.Unmarshal([]byte(udf), &f.UserDefinedFields); err != nil {
			return nil, file, fmt.Errorf("finding %s: user_defined_fields: %w", f.ID, err)
		}
	}
	return &f, file, nil
}

// QueryParquet runs query on a scratch in-memory DuckDB, after the setup statements (typically
// views over exported Parquet files, read_parquet(...)), and returns its rows, each a map from
// column name to value as the driver gives it (string, int64, float64, bool, time.Time, []any,
// nil). It exists so that SQL written for other engines over an export (deploy/athena) can be
// checked against the reporter's numbers without a second package importing the DuckDB driver.
// It is a function, not a method on a Store, on purpose: the scratch database holds no store's
// tables, so the SQL under test can only see the files it is given, as Athena would, and nothing
// it does can touch a store.
func QueryParquet(ctx context.Context, setup []string, query string) ([]map[string]any, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	defer func() { _ = db.Close() }() // an in-memory database that only reads
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	for _, q := range setup {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("setup %.200s: %w", q, err)
		}
	}
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			row[c] = vals[i]
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
