package analyze

import (
	"context"

	"github.com/hubreport/hubreport/internal/report"
)

// reconciliationSQL classifies the control findings of snapshot $1 per standard, with the findings
// of retired controls dropped at collection.
const reconciliationSQL = `
WITH cf AS (
  SELECT f.account_id, f.region, f.control_id, unnest(f.standards) AS standard_id, f.record_state,
         f.workflow_status, f.compliance_status
  FROM snapshot_states($1) f WHERE f.control_id <> ''),
k AS (
  SELECT cf.standard_id,
         CASE WHEN cf.record_state <> 'ACTIVE' THEN 'archived'
              WHEN c.control_id IS NOT NULL OR x.control_id IS NOT NULL THEN 'disabled'
              WHEN cf.workflow_status = 'SUPPRESSED' THEN 'suppressed'
              WHEN cf.compliance_status = '' THEN 'no_status'
              ELSE 'used' END AS k
  FROM cf
  LEFT JOIN (SELECT standard_id, control_id FROM snapshot_controls WHERE snapshot_id = $1 AND disabled) c
    ON c.standard_id = cf.standard_id AND c.control_id = cf.control_id
  LEFT JOIN (SELECT * FROM snapshot_disabled_controls WHERE snapshot_id = $1) x
    ON x.account_id = cf.account_id AND x.region = cf.region AND x.standard_id = cf.standard_id AND x.control_id = cf.control_id)
SELECT standard_id, k, count(*) FROM k GROUP BY ALL
UNION ALL
SELECT standard_id, 'retired', sum(findings)::BIGINT FROM snapshot_retired_findings WHERE snapshot_id = $1 GROUP BY ALL`

// reconciliation fills Report.Reconciliation from the standards already computed.
func (a *analyzer) reconciliation(ctx context.Context, r *report.Report) error {
	rows, err := a.db().QueryContext(ctx, reconciliationSQL, a.snap.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	byStd := map[string]*report.ReconciledFindings{}
	for rows.Next() {
		var std, k string
		var n int64
		if err := rows.Scan(&std, &k, &n); err != nil {
			return err
		}
		f := byStd[std]
		if f == nil {
			f = &report.ReconciledFindings{}
			byStd[std] = f
		}
		f.Total += n
		switch k {
		case "archived":
			f.Ignored.Archived += n
		case "disabled":
			f.Ignored.Disabled += n
		case "retired":
			f.Ignored.RetiredControl += n
		case "suppressed":
			f.Ignored.Suppressed += n
		case "no_status":
			f.Ignored.WithoutComplianceStatus += n
		default:
			f.Used += n
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	r.Reconciliation.Standards = make([]report.StandardReconciliation, 0, len(r.Standards))
	for _, s := range r.Standards {
		sr := report.StandardReconciliation{ID: s.ID, ShortName: s.ShortName, Score: s.Score,
			Controls: report.ReconciledControls{Passed: s.Passed, Failed: s.Failed, Unknown: s.Unknown, NoData: s.NoData, Disabled: s.Disabled}}
		if f := byStd[s.ID]; f != nil {
			sr.Findings = *f
		}
		r.Reconciliation.Standards = append(r.Reconciliation.Standards, sr)
	}
	return nil
}
