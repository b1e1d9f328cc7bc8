package analyze

import (
	"context"
	"sort"
	"strings"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/report"
)

// planAccountsSQL lists, per control FAILED in snapshot $1, the accounts it fails in (the same
// findings as the top failed controls), with the account's name and OU as the snapshot has them.
const planAccountsSQL = `
WITH pairs AS (SELECT DISTINCT f.control_id, f.account_id ` + failingControlFindingsSQL + `)
SELECT p.control_id, p.account_id, coalesce(acc.name, ''), coalesce(acc.ou, '')
FROM pairs p LEFT JOIN snapshot_accounts acc ON acc.snapshot_id = $1 AND acc.account_id = p.account_id
ORDER BY p.control_id, p.account_id`

// remediationPlan fills Report.RemediationPlan: every control FAILED somewhere, most severe
// first, then the most failed accounts, then the control id, each with its accounts and AWS's
// remediation page. Unlike the top failed controls it is not cut: it is the work list.
func (a *analyzer) remediationPlan(ctx context.Context, r *report.Report) error {
	failures, err := a.controlFailures(ctx, a.snap.ID)
	if err != nil {
		return err
	}
	infos, err := a.controlInfos(ctx, a.snap.ID)
	if err != nil {
		return err
	}
	urls, err := a.remediationURLs(ctx)
	if err != nil {
		return err
	}
	accounts := map[string][]report.PlanAccount{}
	rows, err := a.db().QueryContext(ctx, planAccountsSQL, a.snap.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var acc report.PlanAccount
		if err := rows.Scan(&id, &acc.AccountID, &acc.Name, &acc.OU); err != nil {
			return err
		}
		accounts[id] = append(accounts[id], acc)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	r.RemediationPlan = make([]report.PlanItem, 0, len(failures))
	for id, c := range failures {
		info := infos[id]
		url := urls[id]
		if url == "" {
			// Not in the snapshot's catalog (or without an https link there): the control's page
			// by the user guide's documented pattern, as the built-in catalog derives it.
			url = catalog.Control{ID: id}.RemediationURL()
		}
		r.RemediationPlan = append(r.RemediationPlan, report.PlanItem{ControlID: id, Title: info.title,
			Severity: info.severity, FailedAccounts: c.accounts, FailedResources: c.resources,
			Accounts: accounts[id], RemediationURL: url})
	}
	sortPlan(r.RemediationPlan)
	return nil
}

// sortPlan orders a remediation plan: severity (CRITICAL first), failed accounts (most first),
// control id.
func sortPlan(plan []report.PlanItem) {
	sort.Slice(plan, func(i, j int) bool {
		x, y := plan[i], plan[j]
		if sx, sy := severityRank[x.Severity], severityRank[y.Severity]; sx != sy {
			return sx > sy
		}
		if x.FailedAccounts != y.FailedAccounts {
			return x.FailedAccounts > y.FailedAccounts
		}
		return x.ControlID < y.ControlID
	})
}

// remediationURLs are the https remediation links of the snapshot's catalog, by control (the
// same for every standard; the greatest wins should two differ).
func (a *analyzer) remediationURLs(ctx context.Context) (map[string]string, error) {
	rows, err := a.db().QueryContext(ctx, `SELECT control_id, max(remediation_url)
		FROM snapshot_controls WHERE snapshot_id = $1 AND starts_with(remediation_url, 'https://') GROUP BY control_id`, a.snap.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, url string
		if err := rows.Scan(&id, &url); err != nil {
			return nil, err
		}
		out[id] = strings.TrimSpace(url)
	}
	return out, rows.Err()
}
