package store

// Parquet export and import: the way snapshots leave one machine. Export writes each snapshot as
// Parquet in hive layout (DIR/findings/snapshot_date=YYYY-MM-DD/account_id=ID/*.parquet, and the
// small per-snapshot tables under DIR/<table>/snapshot_date=YYYY-MM-DD/), which Amazon Athena (or
// any Trino, or DuckDB) queries where it lies. Import reads one or several such directories back
// (collectors that each read a slice of the organization's accounts) and stores each day's union
// as one snapshot through the normal snapshot writer, so history compression stays exact.
//
// This file holds what both directions share, the exported tables and their columns, and
// QueryParquet, which runs SQL over an export.
// parquetexport.go writes them, parquetimport.go finds, reads and checks them and groups the
// exported snapshots by day, and parquetmerge.go stores each group's union as one snapshot.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

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

// accountOwnerCols read the owner column of account exports, which exports from before schema 8
// lack: read the same way as coverageMalformedCols, with no owner (”).
const (
	accountOwnerCols    = `coalesce(owner, '')::VARCHAR AS owner`
	oldAccountOwnerCols = `''::VARCHAR AS owner`
)

// laterColumns are, per small table, a column that older exports lack, the expression that
// reads it and the one that stands in when no file has it.
var laterColumns = map[string]struct{ probe, cols, old string }{
	"coverage": {"malformed", coverageMalformedCols, oldCoverageMalformedCols},
	"accounts": {"owner", accountOwnerCols, oldAccountOwnerCols},
}

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
SELECT '%[2]s' AS snapshot_date, snapshot_id, ` + takenAtSQL + ` AS taken_at, account_id, name, ou, email,
       coalesce(owner, '') AS owner
FROM snapshot_accounts WHERE snapshot_id = %[1]d ORDER BY account_id`,
		`snapshot_date::VARCHAR AS snapshot_date, snapshot_id::BIGINT AS snapshot_id,
       taken_at::TIMESTAMP AS taken_at, account_id::VARCHAR AS account_id, name::VARCHAR AS name,
       ou::VARCHAR AS ou, email::VARCHAR AS email, ` + accountOwnerCols},
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
	// The snapshot's warnings (an unreadable OU tree, skipped records), in the order given: the
	// shards of a collection each give theirs, and the merged snapshot keeps them. Exports from
	// before schema 10 have no such directory: they import with none.
	{"warnings", `
SELECT '%[2]s' AS snapshot_date, snapshot_id, ` + takenAtSQL + ` AS taken_at, seq, kind, message
FROM snapshot_warnings WHERE snapshot_id = %[1]d ORDER BY seq`,
		`snapshot_date::VARCHAR AS snapshot_date, snapshot_id::BIGINT AS snapshot_id,
       taken_at::TIMESTAMP AS taken_at, seq::INTEGER AS seq, kind::VARCHAR AS kind, message::VARCHAR AS message`},
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
