package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// ReadJSONBaseline exists for the import benchmark (cmd/reporter/bench_import_test.go) and nothing
// else: it is the yardstick `reporter import` is held to. It has DuckDB's own JSON reader parse
// jsonPath, a JSON array of ASFF findings, and flatten the attributes the import uses (those
// collect's rawFinding decodes) into a findings table of a fresh database at dbPath, and returns
// the number of rows. memoryLimit is DuckDB's memory_limit ("" keeps DuckDB's default), so that
// both sides can run under the same cap.
//
// It lives here because only this package may import the DuckDB driver. It is not the import:
// it validates nothing, maps no legacy control ids and keeps no history.
func ReadJSONBaseline(ctx context.Context, dbPath, jsonPath, memoryLimit string) (int64, error) {
	dsn := dbPath
	if memoryLimit != "" {
		dsn += "?memory_limit=" + memoryLimit
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return 0, fmt.Errorf("json baseline: open %s: %w", dbPath, err)
	}
	db := sql.OpenDB(connector)
	// The columns are given, as the import's struct gives them, rather than sampled: DuckDB then
	// parses only these and skips the rest (Resources[].Details, Remediation, ...) as we do.
	q := fmt.Sprintf(`CREATE TABLE findings AS
SELECT Id AS finding_id, ProductArn AS product_arn,
       coalesce(ProductName, ProductFields."aws/securityhub/ProductName") AS product_name,
       coalesce(CompanyName, ProductFields."aws/securityhub/CompanyName") AS company_name,
       GeneratorId AS generator_id, AwsAccountId AS account_id, Region AS region, Types[1] AS type,
       Title AS title, Resources[1].Type AS resource_type, Resources[1].Id AS resource_id,
       coalesce(Compliance.SecurityControlId, ProductFields.ControlId, ProductFields.RuleId) AS control_id,
       list_sort(list_distinct(list_transform(Compliance.AssociatedStandards, s -> s.StandardsId))) AS standards,
       coalesce(ProductFields.StandardsArn, ProductFields.StandardsGuideArn,
                ProductFields.StandardsSubscriptionArn, ProductFields.StandardsGuideSubscriptionArn) AS legacy_standard,
       FirstObservedAt::TIMESTAMP AS first_observed_at, CreatedAt::TIMESTAMP AS created_at,
       UpdatedAt::TIMESTAMP AS updated_at, upper(Severity.Label) AS severity_label,
       round(Severity.Normalized)::SMALLINT AS severity_normalized,
       upper(Compliance.Status) AS compliance_status,
       upper(coalesce(Workflow.Status, WorkflowState)) AS workflow_status,
       upper(RecordState) AS record_state, Note.Text AS note_text, Note.UpdatedBy AS note_updated_by,
       Note.UpdatedAt::TIMESTAMP AS note_updated_at, UserDefinedFields::VARCHAR AS user_defined_fields
FROM read_json('%s', format = 'array', columns = {
  Id: 'VARCHAR', ProductArn: 'VARCHAR', ProductName: 'VARCHAR', CompanyName: 'VARCHAR',
  GeneratorId: 'VARCHAR', AwsAccountId: 'VARCHAR', Region: 'VARCHAR', Types: 'VARCHAR[]',
  Title: 'VARCHAR', FirstObservedAt: 'VARCHAR', CreatedAt: 'VARCHAR', UpdatedAt: 'VARCHAR',
  Severity: 'STRUCT(Label VARCHAR, Normalized DOUBLE)',
  Compliance: 'STRUCT(Status VARCHAR, SecurityControlId VARCHAR, AssociatedStandards STRUCT(StandardsId VARCHAR)[])',
  ProductFields: 'STRUCT(StandardsArn VARCHAR, StandardsSubscriptionArn VARCHAR, StandardsGuideArn VARCHAR,
    StandardsGuideSubscriptionArn VARCHAR, ControlId VARCHAR, RuleId VARCHAR,
    "aws/securityhub/ProductName" VARCHAR, "aws/securityhub/CompanyName" VARCHAR)',
  Resources: 'STRUCT(Type VARCHAR, Id VARCHAR)[]', Workflow: 'STRUCT(Status VARCHAR)',
  WorkflowState: 'VARCHAR', RecordState: 'VARCHAR',
  Note: 'STRUCT(Text VARCHAR, UpdatedBy VARCHAR, UpdatedAt VARCHAR)',
  UserDefinedFields: 'MAP(VARCHAR, VARCHAR)'})`, strings.ReplaceAll(jsonPath, "'", "''"))
	var n int64
	_, err = db.ExecContext(ctx, q)
	if err == nil {
		err = db.QueryRowContext(ctx, `SELECT count(*) FROM findings`).Scan(&n)
	}
	if err != nil {
		err = fmt.Errorf("json baseline: %w", err)
	}
	return n, errors.Join(err, db.Close())
}
