package analyze

import "context"

// Reconciliation lets a reader recompute every standard's score by hand and put it beside the
// Security Hub console: per standard, the controls by status and the control findings that
// entered the status computation (used) or did not (ignored, by reason).
type Reconciliation struct {
	Standards []StandardReconciliation `json:"standards"`
}

// StandardReconciliation is one standard's figures. Score = Controls.Passed / (Controls.Passed +
// Controls.Failed + Controls.Unknown); a finding associated with several standards counts in each.
type StandardReconciliation struct {
	ID        string             `json:"id"`
	ShortName string             `json:"short_name"`
	Score     *float64           `json:"score"`
	Controls  ReconciledControls `json:"controls"`
	Findings  ReconciledFindings `json:"findings"`
}

// ReconciledControls counts the standard's controls by organization status (as standards[]).
type ReconciledControls struct {
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	Unknown  int `json:"unknown"`
	NoData   int `json:"no_data"`
	Disabled int `json:"disabled"`
}

// ReconciledFindings counts the standard's control findings in the snapshot: Total = Used + the
// sum of Ignored.
type ReconciledFindings struct {
	Total   int64           `json:"total"`
	Used    int64           `json:"used"`
	Ignored IgnoredFindings `json:"ignored"`
}

// IgnoredFindings are control findings left out of the status computation, each counted under
// the first reason that applies, in this order. Findings of retired controls never reach the
// snapshot (the collector drops them, whatever their other attributes) and are counted from
// snapshot_retired_findings.
type IgnoredFindings struct {
	Archived                int64 `json:"archived"`                  // RecordState ARCHIVED
	Disabled                int64 `json:"disabled"`                  // control disabled for the standard there
	RetiredControl          int64 `json:"retired_control"`           // control AWS has retired (Catalog.Retired): dropped at collection
	Suppressed              int64 `json:"suppressed"`                // Workflow.Status SUPPRESSED (counted in score_without_suppressions)
	WithoutComplianceStatus int64 `json:"without_compliance_status"` // no Compliance.Status
}

// reconciliationSQL classifies the control findings of snapshot $1 per standard, with the findings
// of retired controls dropped at collection.
const reconciliationSQL = `
WITH cf AS (
  SELECT f.account_id, f.region, f.control_id, unnest(f.standards) AS standard_id, f.record_state,
         f.workflow_status, f.compliance_status
  FROM snapshot_findings($1) f WHERE f.control_id <> ''),
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
func (a *analyzer) reconciliation(ctx context.Context, r *Report) error {
	rows, err := a.st.DB().QueryContext(ctx, reconciliationSQL, a.snap.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	byStd := map[string]*ReconciledFindings{}
	for rows.Next() {
		var std, k string
		var n int64
		if err := rows.Scan(&std, &k, &n); err != nil {
			return err
		}
		f := byStd[std]
		if f == nil {
			f = &ReconciledFindings{}
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
	r.Reconciliation.Standards = make([]StandardReconciliation, 0, len(r.Standards))
	for _, s := range r.Standards {
		sr := StandardReconciliation{ID: s.ID, ShortName: s.ShortName, Score: s.Score,
			Controls: ReconciledControls{Passed: s.Passed, Failed: s.Failed, Unknown: s.Unknown, NoData: s.NoData, Disabled: s.Disabled}}
		if f := byStd[s.ID]; f != nil {
			sr.Findings = *f
		}
		r.Reconciliation.Standards = append(r.Reconciliation.Standards, sr)
	}
	return nil
}
