// Package store keeps snapshots of findings in one DuckDB file: the schema and its migrations, the
// transactional write of a snapshot, and the SQL that reads a snapshot back. It is the only package
// that imports the DuckDB driver, and it imports no other package of ours.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrInUse is returned by Open when another process holds the database file.
var ErrInUse = errors.New("in use by another process")

// InUseError names the database file another process holds.
type InUseError struct {
	Path   string
	Detail string // DuckDB's message, which names the holding process
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("database %s is in use by another process (%s)", e.Path, e.Detail)
}

func (e *InUseError) Unwrap() error { return ErrInUse }

// Options tune Open.
type Options struct {
	// ReadOnly opens the file without taking the write lock, so several readers (reports) can
	// share it; it fails if the file does not exist.
	ReadOnly bool
	// MemoryLimit caps DuckDB's buffer pool, e.g. "1GB"; empty keeps DuckDB's default (80% of RAM).
	MemoryLimit string
	// OnCommit runs inside every snapshot's commit transaction, after the snapshot's rows are
	// written and before COMMIT, on the writer's connection: the analysis stores its per-snapshot
	// summaries with it (analyze.Summarize). An error rolls the snapshot back.
	OnCommit func(ctx context.Context, conn *sql.Conn, snapshotID int64) error
	// Now is the clock that snapshot dates are checked against and retention counts from; nil
	// is the wall clock. Tests set it to be a host whose clock is off.
	Now func() time.Time
	// StepDone, when set, is told how long each step of writing a snapshot took (see
	// SnapshotWriter.Commit for the steps), for debug logs: where an import's time goes.
	StepDone func(step string, d time.Duration)
}

// Store is an open database.
type Store struct {
	db       *sql.DB
	path     string
	ro       bool
	onCommit func(ctx context.Context, conn *sql.Conn, snapshotID int64) error
	opt      Options // to reopen after a compaction
	closed   bool    // Close has run: a deferred second Close is a no-op
}

// rowGroupRows is the row group size of everything a writable store writes: half DuckDB's
// 122,880. DuckDB builds a row group uncompressed and compresses it on one thread when it is full,
// or at COMMIT when it is not, so an import's findings and states were compressed a whole row
// group at a time, mostly at the end. In halves, more of it runs on both cores and less waits for
// COMMIT: a 200,000-finding import took 1.99-2.50 s (median 2.17 s) against 2.35-2.56 s (median
// 2.43 s) at the default size, four interleaved runs each; the file is 5% larger (30.9 MB against
// 29.4 MB).
const rowGroupRows = 61440

// attachedName is the name a writable store's file is attached under.
const attachedName = "hubreport"

// macros are created on every connection as TEMP objects: they are derived SQL, not schema, so a
// fix to them needs no migration, and they work on read-only connections.
const macros = `
CREATE OR REPLACE TEMP MACRO snapshot_findings(sid) AS TABLE
SELECT f.fkey, f.finding_id, f.product_arn, f.product_name, f.company_name, f.generator_id,
       f.account_id, f.region, f.type, f.title, f.resource_type, f.resource_id, f.control_id,
       f.standards, f.first_observed_at, f.created_at,
       s.valid_from, s.updated_at, s.severity_label, s.severity_normalized, s.compliance_status,
       s.workflow_status, s.record_state, s.note_text, s.note_updated_by, s.note_updated_at,
       s.user_defined_fields
FROM finding_states s JOIN findings f ON f.fkey = s.fkey
WHERE s.valid_from <= sid AND (s.valid_to IS NULL OR s.valid_to > sid);
CREATE OR REPLACE TEMP MACRO snapshot_states(sid) AS TABLE
` + snapshotStatesSQL + `;
`

// Open opens (creating when needed, unless read-only) the database at path and brings its schema
// up to date. It needs a file: an in-memory database would not outlive the migration connection.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if path == "" || path == ":memory:" {
		return nil, errors.New("open database: a file path is required")
	}
	dsn := path
	if opt.ReadOnly {
		if _, err := os.Stat(dsn); err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
	} else if dir := filepath.Dir(dsn); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
	}
	var params []string
	if opt.ReadOnly {
		params = append(params, "access_mode=READ_ONLY")
		// DuckDB spills to <path>.tmp by default, and two processes reading one database (a
		// scheduled report and one run by hand) then wrote and read the same spill files: one
		// failed reading another's ("Could not read enough bytes from file ...tmp") or crashed.
		// Each process spills to a directory of its own (one per process, not per store, since
		// DuckDB refuses a second connection to a file with other settings in one process);
		// DuckDB creates it when it first spills and removes it when it closes.
		params = append(params, "temp_directory="+url.QueryEscape(fmt.Sprintf("%s.tmp-%d", dsn, os.Getpid())))
	}
	if opt.MemoryLimit != "" {
		// Escaped, so that the value is one setting's value whatever it holds: spliced in as it
		// came, "1GB&access_mode=..." would be two settings. DuckDB refuses a value that is not
		// a memory size; config.CheckMemoryLimit refuses one before it gets here.
		params = append(params, "memory_limit="+url.QueryEscape(opt.MemoryLimit))
	}
	// DuckDB's allocator keeps freed memory for reuse until a task has allocated 128 MB (512 MB
	// for bulk frees), outside memory_limit; across an import's statements that kept the process
	// about 100 MB bigger at 1,000,000 findings (633 and 551 MB peak RSS in two runs, against 477
	// and 514 MB with these), at no measurable cost in time. A report's analysis runs a few dozen
	// statements over the snapshot's findings, so the same holds there.
	params = append(params, "allocator_flush_threshold=16MB", "allocator_bulk_deallocation_flush_threshold=16MB")
	if len(params) > 0 {
		dsn += "?" + strings.Join(params, "&")
	}
	if !opt.ReadOnly {
		// Macros bind to their tables when created, so the schema must exist first: migrate on a
		// connection of its own, then open the pool whose connections define the macros.
		if err := migrateFile(ctx, path, dsn); err != nil {
			return nil, err
		}
	}
	init := macros
	if !opt.ReadOnly {
		// A writable store attaches the file to an in-memory instance instead of opening it,
		// because only ATTACH takes a row group size and DuckDB does not keep it in the file.
		// Spills go where they would for the file itself; that is set for the instance, since
		// DuckDB refuses to move its temporary directory once it has spilled.
		dsn = ":memory:?" + strings.Join(append(params, "temp_directory="+url.QueryEscape(path+".tmp")), "&")
		init = fmt.Sprintf(`ATTACH IF NOT EXISTS %s AS %s (ROW_GROUP_SIZE %d); USE %[2]s;`,
			sqlString(path), attachedName, rowGroupRows) + macros
	}
	connector, err := duckdb.NewConnector(dsn, func(ex driver.ExecerContext) error {
		_, err := ex.ExecContext(ctx, init, nil)
		return err
	})
	if err != nil {
		return nil, classifyOpenError(path, err)
	}
	s := &Store{db: sql.OpenDB(connector), path: path, ro: opt.ReadOnly, onCommit: opt.OnCommit, opt: opt}
	if err := s.checkVersion(ctx); err != nil {
		return nil, errors.Join(err, s.db.Close())
	}
	return s, nil
}

// classifyOpenError turns DuckDB's lock conflict into InUseError. DuckDB reports it only as an IO
// error whose text says "Conflicting lock"; there is no code to test, so the text is what we have.
func classifyOpenError(path string, err error) error {
	var de *duckdb.Error
	if errors.As(err, &de) && de.Type == duckdb.ErrorTypeIO && strings.Contains(de.Msg, "Conflicting lock") {
		return &InUseError{Path: path, Detail: lockHolder(de.Msg)}
	}
	if strings.Contains(err.Error(), "Conflicting lock") {
		return &InUseError{Path: path, Detail: lockHolder(err.Error())}
	}
	return fmt.Errorf("open database %s: %w", path, err)
}

func lockHolder(msg string) string {
	if i := strings.Index(msg, "(PID "); i >= 0 {
		if j := strings.Index(msg[i:], ")"); j > 0 {
			return "held by " + msg[i+1:i+j]
		}
	}
	return "locked"
}

func migrateFile(ctx context.Context, path, dsn string) error {
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return classifyOpenError(path, err)
	}
	db := sql.OpenDB(connector)
	m := &Store{db: db, path: path}
	return errors.Join(m.migrate(ctx), db.Close())
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// DB exposes the connection pool for read queries of internal/analyze. The temp macro
// snapshot_findings(id) is defined on every connection.
func (s *Store) DB() *sql.DB { return s.db }

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration file %s: name must start with a version number", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// SchemaVersion is the newest schema this build knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return fmt.Errorf("migrate %s: %w", s.path, err)
	}
	current, err := s.version(ctx)
	if err != nil {
		return err
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	if last := ms[len(ms)-1].version; current > last {
		return fmt.Errorf("database %s has schema version %d, newer than this build's %d: upgrade reporter", s.path, current, last)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		// Each migration and its bookkeeping row commit together or not at all.
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return errors.Join(fmt.Errorf("migrate %s to %s: %w", s.path, m.name, err), tx.Rollback())
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UTC()); err != nil {
			return errors.Join(err, tx.Rollback())
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %s to %s: %w", s.path, m.name, err)
		}
	}
	return nil
}

func (s *Store) version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version of %s: %w", s.path, err)
	}
	return int(v.Int64), nil
}

// checkVersion refuses a read-only database that needs migrating: reading it would give wrong answers.
func (s *Store) checkVersion(ctx context.Context) error {
	v, err := s.version(ctx)
	if err != nil {
		return fmt.Errorf("database %s has no hubreport schema: %w", s.path, err)
	}
	if want := SchemaVersion(); v != want {
		return fmt.Errorf("database %s has schema version %d, this build needs %d: open it read-write once (e.g. reporter snapshots) to migrate", s.path, v, want)
	}
	return nil
}
