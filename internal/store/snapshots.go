package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/model"
)

// ErrNoSnapshot is returned when no snapshot matches.
var ErrNoSnapshot = errors.New("no such snapshot")

const snapshotCols = `id, taken_at, source, organization, administrator_account, status, findings,
	accounts_collected, accounts_expected, created_at, coalesce(empty, false)`

func scanSnapshot(row interface{ Scan(...any) error }) (model.Snapshot, error) {
	var s model.Snapshot
	err := row.Scan(&s.ID, &s.TakenAt, &s.Source, &s.Organization, &s.AdministratorAccount, &s.Status,
		&s.Findings, &s.AccountsCollected, &s.AccountsExpected, &s.CreatedAt, &s.Empty)
	return s, err
}

// Snapshots lists every stored snapshot, oldest first.
func (s *Store) Snapshots(ctx context.Context) ([]model.Snapshot, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+snapshotCols+` FROM snapshots ORDER BY taken_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	defer rows.Close()
	var out []model.Snapshot
	for rows.Next() {
		snap, err := scanSnapshot(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, snap)
	}
	return out, rows.Err()
}

// Snapshot returns snapshot id.
func (s *Store) Snapshot(ctx context.Context, id int64) (model.Snapshot, error) {
	snap, err := scanSnapshot(s.db.QueryRowContext(ctx, `SELECT `+snapshotCols+` FROM snapshots WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return snap, fmt.Errorf("snapshot %d: %w", id, ErrNoSnapshot)
	}
	return snap, err
}

// SnapshotAt returns the latest snapshot taken at or before t (the latest of all when t is zero).
func (s *Store) SnapshotAt(ctx context.Context, t time.Time) (model.Snapshot, error) {
	q := `SELECT ` + snapshotCols + ` FROM snapshots ORDER BY taken_at DESC, id DESC LIMIT 1`
	var args []any
	if !t.IsZero() {
		q = `SELECT ` + snapshotCols + ` FROM snapshots WHERE taken_at <= ? ORDER BY taken_at DESC, id DESC LIMIT 1`
		args = append(args, t.UTC())
	}
	snap, err := scanSnapshot(s.db.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		if t.IsZero() {
			return snap, fmt.Errorf("the database holds no snapshot yet: %w", ErrNoSnapshot)
		}
		return snap, fmt.Errorf("no snapshot taken at or before %s: %w", t.UTC().Format(time.RFC3339), ErrNoSnapshot)
	}
	return snap, err
}

// ForEachFinding calls fn for every finding of snapshot id, in a fixed order (product ARN, then
// finding id), so two reads of one snapshot give the same sequence. The *Finding is new for each
// call.
//
// The driver holds a query's whole result in memory before it returns the first row, so the
// snapshot's findings are put in order once, in a temporary table DuckDB can spill, and read
// forEachBatch at a time. The evidence package of a 978,832-finding snapshot, which reads them
// all, peaked at 1.9 GB of RSS with one query and at 1.4-1.6 GB so, taking 41-49 s against 37.
// Reading a batch (DuckDB's query, then scanning its rows) costs about as much CPU as what the
// evidence package does with it (ASFF encoding, gzip), so the next batch is read on another
// goroutine while fn works through the current one: the two run on two cores.
//
// Ordering the wide rows is most of the cost (a million findings: about 6.5 s of CPU on one
// thread, against 2-3 s to copy them unordered), and it is the rows it moves, not the key: by
// fkey, an integer, it took as long. Ordering only the keys (2 s) and fetching each batch by
// them was slower still, since a batch's findings lie all over the tables and every batch
// scanned the whole snapshot (0.5 s each, 40 batches; measured under load).
func (s *Store) ForEachFinding(ctx context.Context, id int64, fn func(*model.Finding) error) error {
	conn, err := s.db.Conn(ctx) // the temporary table belongs to one connection
	if err != nil {
		return err
	}
	defer conn.Close()
	restore, err := capMemory(ctx, conn, forEachMemoryLimit)
	if err != nil {
		return fmt.Errorf("snapshot %d findings: %w", id, err)
	}
	defer restore()
	// Ordering a million findings took 6.5-6.8 s of CPU and 9-10.5 s on one thread against
	// 9.2-12.3 s of CPU and 14.5-16.3 s on two (two runs each, interleaved, under load): the sort
	// of wide rows gains nothing from the second core, which runs the caller's work on the
	// batches already read instead.
	_, restoreThreads, err := capThreads(ctx, conn)
	if err != nil {
		return fmt.Errorf("snapshot %d findings: %w", id, err)
	}
	defer func() { _ = restoreThreads() }() // failing to would change the time taken, not any result
	// Inserted in order, so a row's rowid (0, 1, 2, ...) is its place, and a batch is a range of
	// rowids, which DuckDB reads without scanning the rest.
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE each_finding AS
SELECT finding_id, product_arn, product_name, company_name, generator_id, account_id, region, type,
       title, resource_type, resource_id, control_id, array_to_string(standards, chr(31)) AS standards,
       first_observed_at, created_at, updated_at, severity_label, severity_normalized,
       compliance_status, workflow_status, record_state, note_text, note_updated_by,
       note_updated_at, user_defined_fields
FROM snapshot_findings(?) ORDER BY product_arn, finding_id`, id); err != nil {
		return fmt.Errorf("snapshot %d findings: %w", id, err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.each_finding`) }()
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// One batch waits in the channel while fn works on another and the reader builds a third.
	batches := make(chan []model.Finding, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches) // after readErr is sent: the reader is done with conn once batches closes
		for from := int64(0); ; from += forEachBatch {
			b, err := eachFindingBatch(readCtx, conn, id, from)
			if err == nil && len(b) > 0 {
				select {
				case batches <- b:
				case <-readCtx.Done():
					err = readCtx.Err()
				}
			}
			if err != nil || int64(len(b)) < forEachBatch {
				readErr <- err
				return
			}
		}
	}()
	var fnErr error
	for b := range batches {
		for i := 0; fnErr == nil && i < len(b); i++ {
			if fnErr = fn(&b[i]); fnErr != nil {
				cancel() // stop the reader; the loop drains what it sent
			}
		}
	}
	if err := <-readErr; fnErr == nil {
		return err
	}
	return fnErr
}

// forEachMemoryLimit caps DuckDB while ForEachFinding orders and reads a snapshot's findings.
// After a report's analysis DuckDB holds up to report.memory_limit (1GB by default) of cached
// data, and the ordered copy of a million findings, about 700 MB, came on top: the evidence
// package peaked at 1.3-1.6 GB of RSS. Under this cap DuckDB drops the cache and spills the copy
// to its temporary directory instead.
const forEachMemoryLimit = 256 << 20

// capMemory lowers DuckDB's memory_limit (a setting of the whole database, not of conn) to at
// most limit bytes, and returns what puts the setting back.
func capMemory(ctx context.Context, conn *sql.Conn, limit int64) (func(), error) {
	var was string
	if err := conn.QueryRowContext(ctx, `SELECT current_setting('memory_limit')`).Scan(&was); err != nil {
		return nil, err
	}
	if n, ok := parseDuckDBSize(was); ok && n <= limit {
		return func() {}, nil
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`SET memory_limit = '%dB'`, limit)); err != nil {
		return nil, err
	}
	return func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `SET memory_limit = `+sqlString(was)) }, nil
}

// capThreads runs DuckDB on one thread (threads is a setting of the whole database, not of
// conn) and returns the threads it had and what puts them back. With more than one, the thread
// that runs a statement busy-waits whenever the other threads hold all of its tasks
// (duckdb/duckdb#22178): it does no work and burns a core doing it. The snapshot writer and
// ForEachFinding both run on one thread for that reason (see SnapshotWriter.parallelStep and
// ForEachFinding's comment for the figures).
func capThreads(ctx context.Context, conn *sql.Conn) (was int64, restore func() error, err error) {
	if err := conn.QueryRowContext(ctx, `SELECT current_setting('threads')`).Scan(&was); err != nil {
		return 0, nil, err
	}
	restore = func() error { return nil }
	if was <= 1 {
		return was, restore, nil
	}
	if _, err := conn.ExecContext(ctx, `SET threads = 1`); err != nil {
		return 0, nil, err
	}
	restore = func() error {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`SET threads = %d`, was))
		return err
	}
	return was, restore, nil
}

// parseDuckDBSize reads a size as DuckDB prints a setting ("953.6 MiB", "1.0 GiB", "512 bytes").
func parseDuckDBSize(s string) (int64, bool) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), " ")
	x, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	mult := map[string]float64{"bytes": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
		"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[unit]
	if mult == 0 {
		return 0, false
	}
	return int64(x * mult), true
}

// forEachBatch is how many findings ForEachFinding reads a query (about 33 MB in the driver, and
// as much again once scanned); a variable so that a test can make batches small.
var forEachBatch int64 = 25000

// eachFindingBatch reads the findings of each_finding whose rowid is from ..
// from+forEachBatch-1.
//
// A scan of one table gives its rows in the order they were inserted (DuckDB's
// preserve_insertion_order, on by default), so the query has no ORDER BY rowid: sorting each
// batch again cost 2.5 s of the 9.1 s the 40 batches of a million findings took (under load).
// Each row's rowid is checked instead, so a setting that broke the order would be an error, not a
// package in another order.
func eachFindingBatch(ctx context.Context, conn *sql.Conn, id, from int64) ([]model.Finding, error) {
	rows, err := conn.QueryContext(ctx, `SELECT rowid, * FROM temp.each_finding WHERE rowid >= ? AND rowid < ?`,
		from, from+forEachBatch)
	if err != nil {
		return nil, fmt.Errorf("snapshot %d findings: %w", id, err)
	}
	defer rows.Close()
	out := make([]model.Finding, 0, forEachBatch)
	for rows.Next() {
		out = append(out, model.Finding{})
		f := &out[len(out)-1]
		var stds, udf string
		var first, created, updated, noteAt sql.NullTime
		var rowid int64
		if err := rows.Scan(&rowid, &f.ID, &f.ProductARN, &f.ProductName, &f.CompanyName, &f.GeneratorID, &f.AccountID,
			&f.Region, &f.Type, &f.Title, &f.ResourceType, &f.ResourceID, &f.ControlID, &stds,
			&first, &created, &updated, &f.SeverityLabel, &f.SeverityNormalized,
			&f.ComplianceStatus, &f.WorkflowStatus, &f.RecordState, &f.NoteText, &f.NoteUpdatedBy,
			&noteAt, &udf); err != nil {
			return nil, fmt.Errorf("snapshot %d findings: %w", id, err)
		}
		if want := from + int64(len(out)) - 1; rowid != want {
			return nil, fmt.Errorf("snapshot %d findings: row %d came where row %d was due", id, rowid, want)
		}
		if stds != "" {
			f.Standards = strings.Split(stds, "\x1f")
		}
		f.FirstObservedAt, f.CreatedAt, f.UpdatedAt, f.NoteUpdatedAt = utcTime(first), utcTime(created), utcTime(updated), utcTime(noteAt)
		if udf != "" {
			if err := json.Unmarshal([]byte(udf), &f.UserDefinedFields); err != nil {
				return nil, fmt.Errorf("snapshot %d finding %s: user defined fields: %w", id, f.ID, err)
			}
		}
	}
	return out, rows.Err()
}

func utcTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}
