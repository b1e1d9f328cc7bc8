package analyze

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

// severityOrderSQL sorts most severe first.
const severityOrderSQL = `CASE severity_label WHEN 'CRITICAL' THEN 0 WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2
  WHEN 'LOW' THEN 3 ELSE 4 END`

func nullableTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// failedFindings lists the active FAILED control findings of the snapshot (the same definition of
// active as the finding summary), most severe first. Both lists end their order with the
// finding's identity, so that equal contents list equally however the store holds them (a
// control checked on one resource in several regions, or by two products, ties otherwise).
func (a *analyzer) failedFindings(ctx context.Context, r *report.Report) error {
	rows, err := a.db().QueryContext(ctx, `
SELECT f.account_id, coalesce(acc.name, ''), f.region, f.control_id, f.title, f.severity_label,
       f.resource_type, f.resource_id, coalesce(f.first_observed_at, f.created_at),
       f.workflow_status
FROM snapshot_findings($1) f
LEFT JOIN snapshot_accounts acc ON acc.snapshot_id = $1 AND acc.account_id = f.account_id
`+disabledJoin+`
WHERE f.control_id <> '' AND f.compliance_status = 'FAILED' AND f.record_state = 'ACTIVE' AND `+notDisabled+`
  AND f.workflow_status IN ('NEW', 'NOTIFIED')
ORDER BY `+severityOrderSQL+`, f.control_id, f.account_id, f.region, f.resource_id, f.product_arn, f.finding_id`, a.snap.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	r.FailedFindings = []report.FailedFinding{}
	for rows.Next() {
		var x report.FailedFinding
		var first sql.NullTime
		if err := rows.Scan(&x.AccountID, &x.AccountName, &x.Region, &x.ControlID, &x.Title, &x.Severity,
			&x.ResourceType, &x.ResourceID, &first, &x.WorkflowStatus); err != nil {
			return err
		}
		x.FirstObserved = nullableTime(first)
		if !x.FirstObserved.IsZero() {
			x.DaysOpen = max(0, int(a.snap.TakenAt.Sub(x.FirstObserved).Hours()/24))
		}
		r.FailedFindings = append(r.FailedFindings, x)
	}
	return rows.Err()
}

// suppressed lists the ACTIVE, SUPPRESSED findings with who suppressed them, why and until when.
func (a *analyzer) suppressed(ctx context.Context, r *report.Report) error {
	rows, err := a.db().QueryContext(ctx, `
SELECT f.account_id, coalesce(acc.name, ''), f.region, f.control_id, f.title, f.severity_label,
       f.resource_id, f.compliance_status, f.note_text, f.note_updated_by, f.note_updated_at, f.product_name,
       f.updated_at, f.user_defined_fields
FROM snapshot_findings($1) f
LEFT JOIN snapshot_accounts acc ON acc.snapshot_id = $1 AND acc.account_id = f.account_id
WHERE f.record_state = 'ACTIVE' AND f.workflow_status = 'SUPPRESSED'
ORDER BY `+severityOrderSQL+`, f.account_id, f.control_id, f.resource_id, f.region, f.product_arn, f.finding_id`, a.snap.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	r.Suppressed = []report.SuppressedFinding{}
	for rows.Next() {
		var x report.SuppressedFinding
		var at, updated sql.NullTime
		var udf string
		if err := rows.Scan(&x.AccountID, &x.AccountName, &x.Region, &x.ControlID, &x.Title, &x.Severity,
			&x.ResourceID, &x.Compliance, &x.Note, &x.NoteBy, &at, &x.ProductName, &updated, &udf); err != nil {
			return err
		}
		x.NoteAt = nullableTime(at)
		if err := a.judgeException(&x, nullableTime(updated), udf); err != nil {
			return fmt.Errorf("finding of %s %s %s: %w", x.AccountID, x.ControlID, x.ResourceID, err)
		}
		r.Suppressed = append(r.Suppressed, x)
	}
	return rows.Err()
}
