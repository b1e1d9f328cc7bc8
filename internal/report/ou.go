package report

// OrganizationalUnit is one OU's scorecard: the organization's math (a control failing in any
// account of the OU fails it) over the accounts in the OU and below it. Accounts with no OU (the
// management account at the root, or an OU not known) are in no entry.
type OrganizationalUnit struct {
	Name string `json:"name"` // the path's last segment, e.g. "Prod"
	Path string `json:"path"` // below the root, e.g. "Workloads/Prod"
	// Accounts counts the snapshot's accounts in this OU and every OU below it.
	Accounts int `json:"accounts"`
	// SummaryScore is the OU's summary score: unique PASSED controls / unique controls with data
	// across all standards, each control once, failing in any of its accounts failing it. Score
	// carries the same figure, as for accounts.
	SummaryScore                    *float64        `json:"summary_score"`
	SummaryScoreWithoutSuppressions *float64        `json:"summary_score_without_suppressions"`
	Score                           *float64        `json:"score"`
	SummaryControls                 SummaryControls `json:"summary_controls"`
	// Change is SummaryScore minus the first trend point's with a score, in percentage points;
	// nil without one.
	Change            *float64          `json:"change"`
	Standards         []OUStandardScore `json:"standards"`
	TopFailedControls []OUFailedControl `json:"top_failed_controls"`
	WeakestAccounts   []OUAccount       `json:"weakest_accounts"`
	Trend             []OUTrendPoint    `json:"trend"`
}

// Baseline is the summary score that Change is measured from: the first trend point before the
// report's snapshot that has a score; nil when there is none.
func (o OrganizationalUnit) Baseline() *float64 {
	for i, p := range o.Trend {
		if i < len(o.Trend)-1 && p.SummaryScore != nil {
			return p.SummaryScore
		}
	}
	return nil
}

// OUStandardScore is an OU's score for one standard (the OU's control statuses by AWS's rule).
type OUStandardScore struct {
	ID        string   `json:"id"`
	ShortName string   `json:"short_name"`
	Score     *float64 `json:"score"`
	Passed    int      `json:"passed"`
	Failed    int      `json:"failed"`
	Unknown   int      `json:"unknown"`
}

// OUFailedControl is a control failing in some of an OU's accounts.
type OUFailedControl struct {
	ControlID      string `json:"control_id"`
	Title          string `json:"title"`
	Severity       string `json:"severity"`
	FailedAccounts int    `json:"failed_accounts"` // accounts of the OU where it is FAILED
}

// OUAccount is one of an OU's accounts with the lowest summary scores.
type OUAccount struct {
	AccountID      string   `json:"account_id"`
	Name           string   `json:"name"`
	OU             string   `json:"ou"`
	SummaryScore   *float64 `json:"summary_score"`
	FailedControls int      `json:"failed_controls"`
}

// OUTrendPoint is the OU's summary score at one snapshot of the progress window; Partial as in
// ScorePoint.
type OUTrendPoint struct {
	Date         string   `json:"date"`
	SummaryScore *float64 `json:"summary_score"`
	Partial      bool     `json:"partial"`
}
