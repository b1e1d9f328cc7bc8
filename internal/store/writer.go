package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/hubreport/hubreport/internal/model"
)

// SnapshotWriter writes one snapshot. Findings are appended to a TEMP staging table as they come
// (memory does not grow with the input), and Commit merges them into the history tables in a single
// transaction: until Commit returns, nothing of the snapshot is visible, and a crash or Rollback
// leaves the database exactly as it was.
type SnapshotWriter struct {
	store    *Store
	conn     *sql.Conn
	appender *duckdb.Appender // stage_rows
	strs     *interner        // stage_strings
	sets     *interner        // stage_standard_sets
	row      []driver.Value   // reused by AddFinding
	// prev is the previous finding's staged strings and their ids: consecutive findings mostly
	// share their account, region, product and statuses, and comparing with the previous value
	// costs less than hashing it for the interner. Ids stay valid when the interner forgets.
	prev [len(stagedStrings)]struct {
		s  string
		id driver.Value // an int32, boxed once rather than for every row
	}
	meta     model.SnapshotMeta
	stds     []model.Standard
	ctls     []model.Control
	accounts []model.Account
	coverage []model.Coverage
	disabled []model.DisabledControl
	retired  map[retiredKey]int64
	warnings []model.Warning
	n        int64
	done     bool
	threads  int64 // DuckDB's threads setting before BeginSnapshot, restored when the writer ends
	// giveBackThreads restores threads (see capThreads); nil until BeginSnapshot has set them.
	giveBackThreads func() error
	// stepStart is when the step being timed began: BeginSnapshot, then each step of Commit.
	stepStart time.Time
}

// The columns of a finding version and of a finding state, as the merge hashes and stores them.
var (
	attrColumns = []string{"product_name", "company_name", "generator_id", "account_id", "region", "type",
		"title", "resource_type", "resource_id", "control_id", "standards", "first_observed_at", "created_at"}
	stateColumns = []string{"severity_label", "severity_normalized", "compliance_status", "workflow_status",
		"record_state", "note_text", "note_updated_by", "note_updated_at", "user_defined_fields"}
)

// BeginSnapshot starts a snapshot with its catalog: the enabled standards and their controls.
func (s *Store) BeginSnapshot(ctx context.Context, meta model.SnapshotMeta, stds []model.Standard, ctls []model.Control) (*SnapshotWriter, error) {
	if s.ro {
		return nil, fmt.Errorf("database %s is open read-only", s.path)
	}
	if meta.TakenAt.IsZero() {
		return nil, errors.New("snapshot: taken_at is required")
	}
	if meta.Source == "" {
		return nil, errors.New("snapshot: source is required")
	}
	// Every way a snapshot enters the store (collect, import, import-parquet, the merge of
	// shards, the demo) passes here, so none can date one in the future.
	if err := CheckTakenAt(meta.TakenAt, s.now()); err != nil {
		return nil, err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &SnapshotWriter{store: s, conn: conn, meta: meta, stds: stds, ctls: ctls, stepStart: time.Now()}
	if err := w.oneThread(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("snapshot: threads: %w", err), conn.Close())
	}
	if _, err := conn.ExecContext(ctx, stagingDDL()); err != nil {
		return nil, errors.Join(fmt.Errorf("snapshot: staging tables: %w", err), w.restoreThreads(), conn.Close())
	}
	err = conn.Raw(func(dc any) error {
		var errs [3]error
		w.appender, errs[0] = duckdb.NewAppender(dc.(driver.Conn), "temp", "main", "stage_rows")
		w.strs, errs[1] = newInterner(dc.(driver.Conn), "stage_strings")
		w.sets, errs[2] = newInterner(dc.(driver.Conn), "stage_standard_sets")
		return errors.Join(errs[:]...)
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("snapshot: appender: %w", err), w.closeAppenders(), w.restoreThreads(), conn.Close())
	}
	return w, nil
}

// oneThread runs DuckDB on one thread while the snapshot is written (capThreads), and
// parallelStep gives a statement of the merge the threads it had. An INSERT that keeps its rows
// in order (ours must, for the same snapshot to give the same bytes) builds row groups on each
// thread and then merges them, and the thread running it busy-waits on the others. On one thread
// the merge of 200,000 findings took 2.1 s of CPU instead of 3.5 s, and its wall time did not
// grow (one run each on a loaded machine): the merge is mostly these inserts. Only the keying, a
// scan that hashes every row, gains from a second core (see parallelStep). The appender's staging
// is single-threaded either way. DuckDB's threads setting is the instance's, so it is restored
// when the writer ends.
func (w *SnapshotWriter) oneThread(ctx context.Context) error {
	var err error
	w.threads, w.giveBackThreads, err = capThreads(ctx, w.conn)
	return err
}

// parallelStep runs query, on DuckDB's threads if parallel, else on one.
func (w *SnapshotWriter) parallelStep(ctx context.Context, parallel bool, query string) error {
	if parallel && w.threads > 1 {
		if err := w.restoreThreads(); err != nil {
			return err
		}
		// Failing to go back to one thread would change the time taken, not any result.
		defer func() { _, _ = w.conn.ExecContext(context.Background(), `SET threads = 1`) }()
	}
	_, err := w.conn.ExecContext(ctx, query)
	return err
}

// restoreThreads gives DuckDB back the threads it had before BeginSnapshot.
func (w *SnapshotWriter) restoreThreads() error {
	if w.giveBackThreads == nil {
		return nil
	}
	return w.giveBackThreads()
}

// closeAppenders flushes what the appenders hold into the staging tables and closes them.
func (w *SnapshotWriter) closeAppenders() error {
	var errs []error
	for _, a := range []*duckdb.Appender{w.appender, w.strs.appOrNil(), w.sets.appOrNil()} {
		if a != nil {
			errs = append(errs, a.Close())
		}
	}
	w.appender, w.strs, w.sets = nil, nil, nil
	return errors.Join(errs...)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// AddFinding stages one finding. A finding seen twice in a snapshot (same Id and ProductArn) is
// kept once: the copy with the latest UpdatedAt, then the last one added.
func (w *SnapshotWriter) AddFinding(f *model.Finding) error {
	if f.ID == "" || f.AccountID == "" {
		return fmt.Errorf("snapshot: finding %q: Id and AwsAccountId are required", f.ID)
	}
	udf := ""
	if len(f.UserDefinedFields) > 0 {
		// encoding/json sorts map keys, so equal fields hash equal.
		b, err := json.Marshal(f.UserDefinedFields)
		if err != nil {
			return err
		}
		udf = string(b)
	}
	stds, err := w.sets.set(f.Standards)
	if err != nil {
		return fmt.Errorf("snapshot: finding %q: stage standards: %w", f.ID, err)
	}
	w.n++
	row := append(w.row[:0], w.n, f.ID, f.ResourceID, f.NoteText, udf, stds, nullTime(f.FirstObservedAt),
		nullTime(f.CreatedAt), nullTime(f.UpdatedAt), nullTime(f.NoteUpdatedAt), int16(f.SeverityNormalized))
	for i, v := range stagedStringValues(f) {
		if p := &w.prev[i]; p.id == nil || p.s != v {
			id, err := w.strs.str(v)
			if err != nil {
				return fmt.Errorf("snapshot: finding %q: stage %s: %w", f.ID, stagedStrings[i], err)
			}
			p.s, p.id = v, id
		}
		row = append(row, w.prev[i].id)
	}
	w.row = row
	if err := w.appender.AppendRow(row...); err != nil {
		return err
	}
	if w.n%stageFlushRows == 0 {
		return w.appender.Flush()
	}
	return nil
}

// stageFlushRows is how many findings AddFinding stages between flushes of the appender. Left to
// itself, DuckDB's appender gathers 204,800 rows before it moves them into the table, in memory
// that memory_limit does not count: flushed every 16,384, a 1,000,000-finding import held 227-233
// MB of anonymous memory while decoding instead of 273-292 MB (one run each, sampled every 0.5 s).
// A variable so that a test can flush often.
var stageFlushRows int64 = 1 << 14

// AddAccount records an account in scope. Accounts that only appear in findings or coverage are
// added at Commit with the name they had in the previous snapshot.
func (w *SnapshotWriter) AddAccount(a model.Account) error {
	w.accounts = append(w.accounts, a)
	return nil
}

// AddDisabledControl records a control disabled for a standard in an account and region. The same
// control given twice (from two sources) is stored once, with the first source given.
func (w *SnapshotWriter) AddDisabledControl(d model.DisabledControl) error {
	if d.AccountID == "" || d.Region == "" || d.StandardID == "" || d.ControlID == "" {
		return fmt.Errorf("snapshot: disabled control %+v: account, region, standard and control are all required", d)
	}
	switch d.Source {
	case model.DisabledByAssociation, model.DisabledByCentralConfiguration, model.DisabledByConfig:
	default:
		return fmt.Errorf("snapshot: disabled control %s in %s/%s: unknown source %q", d.ControlID, d.AccountID, d.Region, d.Source)
	}
	w.disabled = append(w.disabled, d)
	return nil
}

// AddCoverage records what happened to one account/region pair. Without any coverage (file
// imports), Commit records every pair present in the findings as collected.
func (w *SnapshotWriter) AddCoverage(c model.Coverage) error {
	switch c.Status {
	case model.CoverageCollected, model.CoverageDenied, model.CoverageNotEnabled, model.CoverageThrottled, model.CoverageError, model.CoverageMissing:
	default:
		return fmt.Errorf("snapshot: coverage %s/%s: unknown status %q", c.AccountID, c.Region, c.Status)
	}
	w.coverage = append(w.coverage, c)
	return nil
}

// Rollback abandons the snapshot. It is safe to call after Commit (it does nothing then).
func (w *SnapshotWriter) Rollback() error {
	if w.done {
		return nil
	}
	w.done = true
	errs := []error{w.closeAppenders()}
	_, err := w.conn.ExecContext(context.Background(), dropStaging)
	errs = append(errs, err, w.restoreThreads(), w.conn.Close())
	return errors.Join(errs...)
}

// stepDone tells Options.StepDone that step has ended, and starts timing the next one.
func (w *SnapshotWriter) stepDone(step string) {
	now := time.Now()
	if f := w.store.opt.StepDone; f != nil {
		f(step, now.Sub(w.stepStart))
	}
	w.stepStart = now
}

// Commit merges the staged findings into the history and records the snapshot, all in one
// transaction, and returns the new snapshot's id. Options.StepDone hears of "stage" (from
// BeginSnapshot: the source's own work and the staging of its findings), each step of the merge
// (keys, dedupe, close states, open states, new versions), "scope and catalog", "summaries" and
// "commit".
func (w *SnapshotWriter) Commit(ctx context.Context) (model.Snapshot, error) {
	if w.done {
		return model.Snapshot{}, errors.New("snapshot: already committed or rolled back")
	}
	if err := w.closeAppenders(); err != nil {
		return model.Snapshot{}, errors.Join(fmt.Errorf("snapshot: flush findings: %w", err), w.Rollback())
	}
	w.stepDone("stage")
	snap, err := w.merge(ctx)
	if err != nil {
		return model.Snapshot{}, errors.Join(err, w.Rollback())
	}
	w.done = true
	// The snapshot is committed: from here on nothing may report failure (a caller would say
	// "nothing stored" about a stored snapshot), and a cancellation arriving now changes nothing.
	// The staging table is temporary and goes with the connection anyway.
	_, _ = w.conn.ExecContext(context.WithoutCancel(ctx), dropStaging)
	_ = w.restoreThreads()
	_ = w.conn.Close()
	return snap, nil
}

func (w *SnapshotWriter) merge(ctx context.Context) (snap model.Snapshot, err error) {
	c := w.conn
	if _, err := c.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return snap, err
	}
	defer func() {
		if err != nil {
			_, rbErr := c.ExecContext(context.Background(), `ROLLBACK`)
			err = errors.Join(err, rbErr)
		}
	}()
	var id int64
	if err := c.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM snapshots`).Scan(&id); err != nil {
		return snap, err
	}
	// The interned strings and standards lists as two lists indexed by id, for staged().
	if _, err := c.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stage_dict AS SELECT
		(SELECT list(s ORDER BY id) FROM temp.stage_strings) AS strs,
		(SELECT list(standards ORDER BY id) FROM temp.stage_standard_sets) AS sets`); err != nil {
		return snap, err
	}
	var maxFkey int64
	if err := c.QueryRowContext(ctx, `SELECT coalesce(max(fkey), 0) FROM findings`).Scan(&maxFkey); err != nil {
		return snap, err
	}
	steps := []struct {
		name, sql string
		parallel  bool // run on DuckDB's threads rather than one (see oneThread)
	}{
		// One narrow row per staged finding: ord to reach the staged columns, its identity key,
		// the hashes that tell a new version or a new state, and its version's key: the stored
		// version with that identity and those attributes, or a new one keyed maxFkey + ord
		// (unique, in input order, with gaps where a staged finding made no new version; keys
		// only join findings to their states, so gaps cost nothing and no sort numbers the rows).
		// One join with the stored versions keys both the states and the new versions.
		{"keys", fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE k AS
			SELECT h.*, coalesce(f.fkey, %d + h.ord) AS fkey, f.fkey IS NULL AS new
			FROM (SELECT ord, updated_at, md5_number(product_arn || '|' || finding_id) AS id_key,
			        hash(`+strings.Join(attrColumns, ", ")+`) AS attrs_hash,
			        hash(`+strings.Join(stateColumns, ", ")+`) AS state_hash
			      FROM `+staged(slices.Concat([]string{"product_arn", "finding_id", "updated_at"}, attrColumns, stateColumns)...)+`) h
			LEFT JOIN findings f ON f.id_key = h.id_key AND f.attrs_hash = h.attrs_hash`, maxFkey), true},
		// A finding given twice keeps one copy. Duplicates are rare, so only their rows are ranked:
		// ranking every row, and numbering the new versions with a window, held all the rows at
		// once; a 1,000,000-finding import peaked at 430 MB of RSS that way, at 388 MB this way.
		{"dedupe", `DELETE FROM k WHERE ord IN (
			SELECT ord FROM k WHERE id_key IN (SELECT id_key FROM k GROUP BY id_key HAVING count(*) > 1)
			QUALIFY row_number() OVER (PARTITION BY id_key ORDER BY updated_at DESC NULLS LAST, ord DESC) > 1)`, false},
		// Close every current state the new snapshot does not repeat: the finding changed state,
		// became another version, or was not seen.
		{"close states", fmt.Sprintf(`UPDATE finding_states s SET valid_to = %d
			WHERE s.valid_to IS NULL
			  AND NOT EXISTS (SELECT 1 FROM k WHERE k.fkey = s.fkey AND k.state_hash = s.state_hash)`, id), false},
		{"open states", fmt.Sprintf(`INSERT INTO finding_states
			SELECT k.fkey, %d, NULL, k.state_hash, s.updated_at, s.severity_label, s.severity_normalized,
			       s.compliance_status, s.workflow_status, s.record_state, s.note_text,
			       s.note_updated_by, s.note_updated_at, s.user_defined_fields
			FROM k JOIN `+staged(slices.Concat([]string{"updated_at"}, stateColumns)...)+` s USING (ord)
			ANTI JOIN (SELECT fkey FROM finding_states WHERE valid_to IS NULL) o ON o.fkey = k.fkey`, id), false},
		{"new versions", `INSERT INTO findings
			SELECT k.fkey, k.id_key, s.finding_id, s.product_arn, k.attrs_hash, s.product_name, s.company_name,
			       s.generator_id, s.account_id, s.region, s.type, s.title, s.resource_type,
			       s.resource_id, s.control_id, s.standards, s.first_observed_at, s.created_at
			FROM k JOIN ` + staged(slices.Concat([]string{"finding_id", "product_arn"}, attrColumns)...) + ` s USING (ord)
			WHERE k.new`, false},
	}
	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return snap, err
		}
		if err := w.parallelStep(ctx, st.parallel, st.sql); err != nil {
			return snap, fmt.Errorf("snapshot: %s: %w", st.name, err)
		}
		w.stepDone(st.name)
	}
	if err := w.writeScope(ctx, id); err != nil {
		return snap, err
	}
	if err := w.writeCatalog(ctx, id); err != nil {
		return snap, err
	}
	if err := w.writeRetired(id); err != nil {
		return snap, err
	}
	if err := w.writeWarnings(ctx, id); err != nil {
		return snap, err
	}
	snap, err = w.writeSnapshotRow(ctx, id)
	if err != nil {
		return snap, err
	}
	w.stepDone("scope and catalog")
	if h := w.store.onCommit; h != nil {
		if err := h(ctx, c, id); err != nil {
			return snap, fmt.Errorf("snapshot: summaries: %w", err)
		}
		w.stepDone("summaries")
	}
	if _, err := c.ExecContext(ctx, `DROP TABLE temp.k`); err != nil {
		return snap, err
	}
	if err := ctx.Err(); err != nil {
		return snap, err
	}
	// Past the last cancellation point the commit runs to its end: interrupting COMMIT itself
	// could leave the caller unsure whether the snapshot was stored.
	if _, err := c.ExecContext(context.WithoutCancel(ctx), `COMMIT`); err != nil {
		return snap, fmt.Errorf("snapshot: commit: %w", err)
	}
	w.stepDone("commit")
	return snap, nil
}

// appendRows appends one row per item to temp table table with DuckDB's appender.
func appendRows[T any](conn driver.Conn, table string, items []T, row func(T) []driver.Value) error {
	a, err := duckdb.NewAppender(conn, "temp", "main", table)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := a.AppendRow(row(it)...); err != nil {
			return errors.Join(fmt.Errorf("%s: %w", table, err), a.Close())
		}
	}
	return a.Close()
}

// writeScope records the snapshot's accounts, coverage and disabled controls.
func (w *SnapshotWriter) writeScope(ctx context.Context, id int64) error {
	c := w.conn
	if _, err := c.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE given_accounts (account_id VARCHAR, name VARCHAR, ou VARCHAR, email VARCHAR, owner VARCHAR)`); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE given_coverage (account_id VARCHAR, region VARCHAR, status VARCHAR, reason VARCHAR, findings BIGINT, malformed BIGINT, malformed_error VARCHAR)`); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE given_disabled (account_id VARCHAR, region VARCHAR, standard_id VARCHAR, control_id VARCHAR, source VARCHAR, reason VARCHAR)`); err != nil {
		return err
	}
	err := c.Raw(func(dc any) error {
		conn := dc.(driver.Conn)
		return errors.Join(
			appendRows(conn, "given_accounts", w.accounts, func(acc model.Account) []driver.Value {
				return []driver.Value{acc.AccountID, acc.Name, acc.OU, acc.Email, acc.Owner}
			}),
			appendRows(conn, "given_coverage", w.coverage, func(cv model.Coverage) []driver.Value {
				return []driver.Value{cv.AccountID, cv.Region, cv.Status, cv.Reason, cv.Findings, cv.Malformed, cv.MalformedError}
			}),
			appendRows(conn, "given_disabled", w.disabled, func(d model.DisabledControl) []driver.Value {
				return []driver.Value{d.AccountID, d.Region, d.StandardID, d.ControlID, d.Source, d.Reason}
			}))
	})
	if err != nil {
		return fmt.Errorf("snapshot: scope: %w", err)
	}
	stmts := []string{
		// Coverage: what the source reported, with counts filled from the findings; without any
		// report (file imports), every pair present in the findings counts as collected. A pair
		// reported twice (read through the aggregator and again from the member) is collected if
		// either read succeeded; its malformed findings are those of all its reports.
		fmt.Sprintf(`INSERT INTO coverage (snapshot_id, account_id, region, status, reason, findings, malformed, malformed_error)
			WITH counts AS (SELECT account_id, region, count(*) AS n FROM k JOIN %[2]s USING (ord) GROUP BY ALL),
			bad AS (SELECT account_id, region, sum(malformed) AS malformed,
			               coalesce(first(nullif(malformed_error, '') ORDER BY malformed_error), '') AS malformed_error
			        FROM given_coverage WHERE malformed > 0 GROUP BY ALL)
			SELECT %[1]d, g.account_id, g.region, g.status, g.reason,
			       CASE WHEN g.findings = 0 THEN coalesce(n.n, 0) ELSE g.findings END,
			       coalesce(b.malformed, 0), coalesce(b.malformed_error, '')
			FROM (SELECT * FROM given_coverage QUALIFY row_number() OVER (PARTITION BY account_id, region ORDER BY status = 'collected' DESC, status, reason) = 1) g
			LEFT JOIN counts n USING (account_id, region)
			LEFT JOIN bad b USING (account_id, region)
			UNION ALL
			SELECT %[1]d, n.account_id, n.region, 'collected', '', n.n, 0, ''
			FROM counts n WHERE NOT EXISTS (SELECT 1 FROM given_coverage)`, id, staged("account_id", "region")),
		// Accounts: those given, plus any seen only in findings or coverage, named as in the most
		// recent earlier snapshot that knew them.
		fmt.Sprintf(`INSERT INTO snapshot_accounts (snapshot_id, account_id, name, ou, email, owner)
			WITH ids AS (
			  SELECT account_id FROM given_accounts
			  UNION SELECT account_id FROM coverage WHERE snapshot_id = %[1]d
			  UNION SELECT DISTINCT account_id FROM k JOIN %[2]s USING (ord)),
			known AS (
			  SELECT account_id, name, ou, email, coalesce(owner, '') AS owner FROM snapshot_accounts WHERE snapshot_id < %[1]d AND name <> ''
			  QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY snapshot_id DESC) = 1),
			given AS (SELECT * FROM given_accounts QUALIFY row_number() OVER (PARTITION BY account_id) = 1)
			SELECT %[1]d, ids.account_id,
			       coalesce(nullif(g.name, ''), k.name, ''), coalesce(nullif(g.ou, ''), k.ou, ''),
			       coalesce(nullif(g.email, ''), k.email, ''), coalesce(nullif(g.owner, ''), k.owner, '')
			FROM ids LEFT JOIN given g USING (account_id) LEFT JOIN known k USING (account_id)`, id, staged("account_id")),
		// Disabled controls: once per account, region, standard and control, the first given wins.
		fmt.Sprintf(`INSERT INTO snapshot_disabled_controls
			SELECT %[1]d, account_id, region, standard_id, control_id, source, reason FROM given_disabled
			QUALIFY row_number() OVER (PARTITION BY account_id, region, standard_id, control_id ORDER BY rowid) = 1`, id),
		`DROP TABLE temp.given_accounts`,
		`DROP TABLE temp.given_coverage`,
		`DROP TABLE temp.given_disabled`,
	}
	for _, q := range stmts {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("snapshot: scope: %w", err)
		}
	}
	return nil
}

func (w *SnapshotWriter) writeCatalog(ctx context.Context, id int64) error {
	// Sorted and deduplicated so the same catalog always writes the same rows.
	stds := append([]model.Standard(nil), w.stds...)
	sort.SliceStable(stds, func(i, j int) bool { return stds[i].ID < stds[j].ID })
	ctls := append([]model.Control(nil), w.ctls...)
	sort.SliceStable(ctls, func(i, j int) bool {
		if ctls[i].StandardID != ctls[j].StandardID {
			return ctls[i].StandardID < ctls[j].StandardID
		}
		return ctls[i].ControlID < ctls[j].ControlID
	})
	return w.conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppender(dc.(driver.Conn), "", "main", "snapshot_standards")
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, s := range stds {
			if seen[s.ID] {
				continue
			}
			seen[s.ID] = true
			if err := a.AppendRow(id, s.ID, s.Name, s.ShortName); err != nil {
				return errors.Join(err, a.Close())
			}
		}
		if err := a.Close(); err != nil {
			return err
		}
		a, err = duckdb.NewAppender(dc.(driver.Conn), "", "main", "snapshot_controls")
		if err != nil {
			return err
		}
		seen = map[string]bool{}
		for _, ct := range ctls {
			if k := ct.StandardID + "\x00" + ct.ControlID; seen[k] {
				continue
			} else {
				seen[k] = true
			}
			if err := a.AppendRow(id, ct.StandardID, ct.ControlID, ct.Title, ct.Severity, ct.Disabled, ct.RemediationURL); err != nil {
				return errors.Join(err, a.Close())
			}
		}
		return a.Close()
	})
}

func (w *SnapshotWriter) writeSnapshotRow(ctx context.Context, id int64) (model.Snapshot, error) {
	c := w.conn
	snap := model.Snapshot{ID: id, TakenAt: w.meta.TakenAt.UTC().Truncate(time.Microsecond), Source: w.meta.Source,
		Organization: w.meta.Organization, AdministratorAccount: w.meta.AdministratorAccount,
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	var gaps int
	err := c.QueryRowContext(ctx, fmt.Sprintf(`SELECT
		  (SELECT count(*) FROM k),
		  (SELECT count(DISTINCT account_id) FROM coverage WHERE snapshot_id = %[1]d AND status = 'collected'),
		  (SELECT count(DISTINCT account_id) FROM snapshot_accounts WHERE snapshot_id = %[1]d),
		  (SELECT count(*) FROM coverage WHERE snapshot_id = %[1]d AND (status <> 'collected' OR malformed > 0))`, id)).
		Scan(&snap.Findings, &snap.AccountsCollected, &snap.AccountsExpected, &gaps)
	if err != nil {
		return snap, err
	}
	snap.AccountsExpected = max(snap.AccountsExpected, w.meta.AccountsExpected)
	snap.Status = model.StatusComplete
	if gaps > 0 || snap.AccountsCollected < snap.AccountsExpected {
		snap.Status = model.StatusPartial
	}
	snap.Empty = snap.Findings == 0
	// Columns named: later migrations add columns to snapshots.
	_, err = c.ExecContext(ctx, `INSERT INTO snapshots (id, taken_at, source, organization,
		administrator_account, status, findings, accounts_collected, accounts_expected, created_at, empty)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		snap.ID, snap.TakenAt, snap.Source, snap.Organization, snap.AdministratorAccount, snap.Status,
		snap.Findings, snap.AccountsCollected, snap.AccountsExpected, snap.CreatedAt, snap.Empty)
	return snap, err
}
