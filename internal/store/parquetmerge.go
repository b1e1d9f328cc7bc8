package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/hubreport/hubreport/internal/model"
)

// store writes one merged snapshot through the snapshot writer.
func (im *importer) store(ctx context.Context, g importGroup) (model.Snapshot, error) {
	stds, ctls, err := im.catalog(ctx, g)
	if err != nil {
		return model.Snapshot{}, err
	}
	w, err := im.st.BeginSnapshot(ctx, model.SnapshotMeta{TakenAt: g.takenAt, Source: g.source, Organization: g.organization,
		AdministratorAccount: g.administrator, AccountsExpected: g.expected}, stds, ctls)
	if err != nil {
		return model.Snapshot{}, err
	}
	if err := im.fill(ctx, g, w); err != nil {
		return model.Snapshot{}, errors.Join(err, w.Rollback())
	}
	return w.Commit(ctx)
}

// catalog is the union of the group's catalogs, each standard and control from the latest
// exported snapshot that has it.
func (im *importer) catalog(ctx context.Context, g importGroup) ([]model.Standard, []model.Control, error) {
	rows, err := im.conn.QueryContext(ctx, `SELECT standard_id, name, short_name FROM pq_standards
		WHERE snapshot_date = ? AND taken_at IN (SELECT taken_at FROM pq_keys WHERE snapshot_date = ? AND source = ?)
		QUALIFY row_number() OVER (PARTITION BY standard_id ORDER BY taken_at DESC, filename DESC) = 1
		ORDER BY standard_id`, g.date, g.date, g.source)
	if err != nil {
		return nil, nil, err
	}
	var stds []model.Standard
	for rows.Next() {
		var s model.Standard
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
	var ctls []model.Control
	for rows.Next() {
		var c model.Control
		if err := rows.Scan(&c.StandardID, &c.ControlID, &c.Title, &c.Severity, &c.Disabled, &c.RemediationURL); err != nil {
			return nil, nil, err
		}
		ctls = append(ctls, c)
	}
	return stds, ctls, rows.Err()
}

// fill adds the group's accounts, coverage and findings to w.
func (im *importer) fill(ctx context.Context, g importGroup, w *SnapshotWriter) error {
	rows, err := im.conn.QueryContext(ctx, `SELECT a.account_id, a.name, a.ou, a.email, a.owner FROM pq_accounts a
		JOIN pq_pick p USING (snapshot_date, taken_at, account_id) WHERE p.snapshot_date = ? AND p.source = ?
		QUALIFY row_number() OVER (PARTITION BY a.account_id ORDER BY a.name DESC, a.ou DESC, a.email DESC, a.owner DESC) = 1
		ORDER BY a.account_id`, g.date, g.source)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a model.Account
		if err := rows.Scan(&a.AccountID, &a.Name, &a.OU, &a.Email, &a.Owner); err != nil {
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
		var c model.Coverage
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
	if err := im.fillWarnings(ctx, g, w); err != nil {
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
		func(d *model.DisabledControl) []any {
			return []any{&d.AccountID, &d.Region, &d.StandardID, &d.ControlID, &d.Source, &d.Reason}
		},
		w.AddDisabledControl)
}

// fillRetired adds the retired controls' dropped findings of the accounts the group picked.
func (im *importer) fillRetired(ctx context.Context, g importGroup, w *SnapshotWriter) error {
	return fillPicked(ctx, im, g, "retired_findings", []string{"findings"},
		func(r *model.RetiredFindings) []any {
			return []any{&r.AccountID, &r.Region, &r.StandardID, &r.ControlID, &r.Findings}
		},
		w.AddRetiredFindings)
}

// fillWarnings adds the warnings of the exported snapshots the group picked any account from, each
// once: the shards of one collection each met the same unreadable OU tree.
func (im *importer) fillWarnings(ctx context.Context, g importGroup, w *SnapshotWriter) error {
	rows, err := im.conn.QueryContext(ctx, `SELECT x.kind, x.message FROM pq_warnings x
		WHERE (x.snapshot_date, x.taken_at) IN (SELECT (snapshot_date, taken_at) FROM pq_pick WHERE snapshot_date = ? AND source = ?)
		GROUP BY x.kind, x.message ORDER BY min(x.taken_at), min(x.seq), x.kind, x.message`, g.date, g.source)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var x model.Warning
		if err := rows.Scan(&x.Kind, &x.Message); err != nil {
			return err
		}
		if err := w.AddWarning(x); err != nil {
			return err
		}
	}
	return rows.Err()
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
func scanParquetFinding(rows *sql.Rows) (*model.Finding, string, error) {
	var f model.Finding
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
