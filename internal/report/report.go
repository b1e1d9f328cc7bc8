// Package report is the Report value: everything a renderer needs, as plain data with its
// documented JSON (docs/formats.md). internal/analyze builds it from the store; the renderers
// read it and never query the store. It imports nothing of ours and no driver.
package report

import (
	"math"
	"time"
)

// Report is everything a renderer needs, as plain data. Build fills it from the store; renderers
// never query the store. Scores are percentages 0-100, unrounded; a nil *float64 means "no score"
// (no control of the standard had data in that scope), which is not the same as 0%.
// The JSON tags are the documented report.json format (docs/formats.md, "report.json").
type Report struct {
	// GeneratedAt is the snapshot's time (Snapshot.TakenAt to the second), not the clock's: the
	// report is a function of the snapshot and the configuration. When a run happened is logged.
	GeneratedAt          time.Time `json:"generated_at"`
	Organization         string    `json:"organization"`
	AdministratorAccount string    `json:"administrator_account"`
	// ReportDate is the date of the snapshot reported on, in UTC.
	ReportDate string       `json:"report_date"`
	Snapshot   SnapshotInfo `json:"snapshot"`
	// Stale is set when the snapshot was older than report.max_snapshot_age when the report was
	// built; nil otherwise.
	Stale *Staleness `json:"stale"`
	// Scope is set on a routed report (deliver.email.routes): the report is computed over these
	// accounts only, as if they were the organization. Absent from the organization's report.
	Scope *Scope `json:"scope,omitempty"`

	// SummaryScore is AWS's summary score: unique PASSED controls over unique PASSED + FAILED +
	// UNKNOWN controls across all reported standards, each control once with one status for the
	// organization (failing in any account or standard fails it). SummaryControls are its counts.
	SummaryScore                    *float64        `json:"summary_score"`
	SummaryScoreWithoutSuppressions *float64        `json:"summary_score_without_suppressions"`
	SummaryControls                 SummaryControls `json:"summary_controls"`
	// SummaryScoreMeanOfStandards is the mean of the standard scores (what the opening sentence of
	// AWS's page says, and what this report showed before): never the headline, always labelled.
	SummaryScoreMeanOfStandards *float64 `json:"summary_score_mean_of_standards"`

	Standards         []StandardScore `json:"standards"`
	TopFailedControls []FailedControl `json:"top_failed_controls"`
	Findings          FindingSummary  `json:"findings"`
	Accounts          []AccountScores `json:"accounts"`
	// OrganizationalUnits are per-OU scorecards, by path (see OrganizationalUnit).
	OrganizationalUnits []OrganizationalUnit `json:"organizational_units"`
	Progress            Progress             `json:"progress"`
	Coverage            Coverage             `json:"coverage"`
	// Reconciliation gives, per standard, the figures to recompute the score by hand.
	Reconciliation Reconciliation `json:"reconciliation"`
	// Exceptions counts the suppressed findings as governed exceptions: justification, expiry.
	Exceptions Exceptions `json:"exceptions"`
	// RemediationPlan is every control failing somewhere, most severe first, then the most
	// accounts, with the accounts and AWS's remediation page.
	RemediationPlan []PlanItem `json:"remediation_plan"`
	// SinceLastWeek is what changed since the snapshot nearest a week before this one (within a
	// day, the one TopFailedControls' Change7d compares with), each list cut to its first
	// SinceLastWeekItems items (Counts has them all); nil without such a snapshot.
	SinceLastWeek *Diff `json:"since_last_week"`

	// FailedFindings lists every active FAILED control finding, most severe first, and Suppressed
	// every suppressed finding with its justification. They can run to a million rows, so
	// report.json leaves them out; the workbook and the evidence package carry them.
	FailedFindings []FailedFinding     `json:"-"`
	Suppressed     []SuppressedFinding `json:"-"`
	// Controls is every control of every reported standard with its organization status, in
	// report order of the standards and control id order within one (the evidence package's
	// control-status files).
	Controls []ControlStatus `json:"-"`
}

// ControlStatus is one control of one standard across the organization.
type ControlStatus struct {
	StandardID string
	ControlID  string
	Title      string
	Severity   string
	// Status is the organization's status by AWS's rule (any account FAILED: FAILED; else any
	// UNKNOWN; else PASSED), NO_DATA when no active, unsuppressed finding evaluates it, and
	// DISABLED when the control is disabled for the standard.
	Status                                          string
	AccountsPassed, AccountsFailed, AccountsUnknown int
	// LastEvaluated is the newest UpdatedAt stored for the control's findings: the store keeps a
	// finding's UpdatedAt as of its last state change, so this is the latest change observed.
	// Zero when no finding evaluates the control.
	LastEvaluated time.Time
}

// FailedFinding is an active control finding that is FAILED in the snapshot.
type FailedFinding struct {
	AccountID      string
	AccountName    string
	Region         string
	ControlID      string
	Title          string
	Severity       string
	ResourceType   string
	ResourceID     string
	FirstObserved  time.Time // zero when the finding does not say
	DaysOpen       int       // whole days from FirstObserved (else CreatedAt) to the snapshot
	WorkflowStatus string
}

// SuppressedFinding is an ACTIVE finding whose workflow is SUPPRESSED: an accepted exception.
type SuppressedFinding struct {
	AccountID   string
	AccountName string
	Region      string
	ControlID   string // empty for findings of other products (GuardDuty, ...)
	Title       string
	Severity    string
	ResourceID  string
	Compliance  string
	Note        string // the justification
	NoteBy      string
	NoteAt      time.Time // zero when there is no note
	ProductName string
	// The exception's governance (see Exceptions). Since is when the suppression was last set or
	// reviewed: NoteAt, or the finding's UpdatedAt when it has no note (the store keeps UpdatedAt
	// as of the finding's last state change, such as the one to SUPPRESSED).
	Since time.Time
	// Expiry is when the exception lapses: the expiry field's date (at 00:00 UTC) or time, else
	// Since plus exceptions.max_age_days; zero when there is neither or the field is invalid.
	Expiry time.Time
	// ExpiryValue is the expiry field's value as written ("" when the field is absent).
	ExpiryValue string
	// ExceptionStatus is one of the Exception* constants.
	ExceptionStatus string
}

// SnapshotInfo identifies the snapshot a report was built from.
type SnapshotInfo struct {
	ID                int64     `json:"id"`
	TakenAt           time.Time `json:"taken_at"`
	Source            string    `json:"source"`
	Status            string    `json:"status"` // complete or partial
	Findings          int64     `json:"findings"`
	AccountsCollected int       `json:"accounts_collected"`
	AccountsExpected  int       `json:"accounts_expected"`
	// Empty: the snapshot holds no findings (an import told to store one with --allow-empty, or
	// a collection whose accounts had none).
	Empty bool `json:"empty,omitempty"`
}

// StandardScore is one standard's organization-wide result. Counts are controls.
type StandardScore struct {
	ID                       string   `json:"id"` // resource id, e.g. standards/pci-dss/v/3.2.1
	Name                     string   `json:"name"`
	ShortName                string   `json:"short_name"`
	Score                    *float64 `json:"score"`
	ScoreWithoutSuppressions *float64 `json:"score_without_suppressions"`
	Passed                   int      `json:"passed"`
	Failed                   int      `json:"failed"`
	Unknown                  int      `json:"unknown"`
	NoData                   int      `json:"no_data"`
	// Disabled counts controls disabled in every collected account and region (out of the score).
	Disabled int `json:"disabled"`
}

// SummaryControls counts unique controls by their status in the scope, behind the summary score.
type SummaryControls struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Unknown int `json:"unknown"`
}

// Scored is how many unique controls the summary score is over (PASSED + FAILED + UNKNOWN).
func (c SummaryControls) Scored() int { return c.Passed + c.Failed + c.Unknown }

// FailedControl is one row of the top failed controls.
type FailedControl struct {
	ControlID       string   `json:"control_id"`
	Title           string   `json:"title"`
	Severity        string   `json:"severity"`
	FailedAccounts  int      `json:"failed_accounts"`
	TotalAccounts   int      `json:"total_accounts"`
	FailedResources int      `json:"failed_resources"`
	Change7d        *int     `json:"change_7d"` // failed accounts now minus 7 days earlier; nil without such a snapshot
	Standards       []string `json:"standards"`
}

// FindingSummary counts findings of the snapshot.
type FindingSummary struct {
	Active                  int64 `json:"active"`
	Critical                int64 `json:"critical"`
	High                    int64 `json:"high"`
	Medium                  int64 `json:"medium"`
	Low                     int64 `json:"low"`
	Informational           int64 `json:"informational"`
	Suppressed              int64 `json:"suppressed"`
	RemediatedThisMonth     int64 `json:"remediated_this_month"`
	AutoRemediatedThisMonth int64 `json:"auto_remediated_this_month"`
}

// AccountScores is one account's score per standard.
type AccountScores struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
	OU        string `json:"ou"`    // path below the root, "" when none
	Owner     string `json:"owner"` // owner tag value (collect.aws.owner_tag) or configured owner
	// SummaryScore is the account's summary score, each control once (as Report.SummaryScore);
	// nil when no control has data in the account.
	SummaryScore                    *float64 `json:"summary_score"`
	SummaryScoreWithoutSuppressions *float64 `json:"summary_score_without_suppressions"`
	SummaryScoreMeanOfStandards     *float64 `json:"summary_score_mean_of_standards"`
	// Score is SummaryScore again, under the field name earlier versions wrote (then the mean of
	// the standard scores, now SummaryScoreMeanOfStandards).
	Score     *float64               `json:"score"`
	Failed    int                    `json:"failed_controls"` // distinct controls FAILED in the account
	Standards []AccountStandardScore `json:"standards"`
}

// AccountStandardScore is one account's result for one standard.
type AccountStandardScore struct {
	ID      string   `json:"id"`
	Score   *float64 `json:"score"`
	Passed  int      `json:"passed"`
	Failed  int      `json:"failed"`
	Unknown int      `json:"unknown"`
	// Disabled counts controls disabled in every collected region of the account.
	Disabled int `json:"disabled"`
}

// Progress is the trend over the window (default 90 days) ending at the report's snapshot.
type Progress struct {
	WindowDays  int                `json:"window_days"`
	TargetScore float64            `json:"target_score"`
	From        string             `json:"from"` // date of the window's first snapshot
	To          string             `json:"to"`
	Snapshots   int                `json:"snapshots"`
	Standards   []StandardProgress `json:"standards"`
	Series      []ProgressPoint    `json:"series"`

	// TargetHorizonDays: a standard is on track when its projected date is at most this many days
	// after the report date (report.target_horizon_days).
	TargetHorizonDays int `json:"target_horizon_days"`

	// Fixed and NewlyFailing compare the window's first snapshot with the report's, over the
	// control-account pairs that can be compared (collected and enabled in both, the account still
	// there): FAILED -> PASSED is fixed, not FAILED -> FAILED newly failing (see pairChanges).
	Fixed        int `json:"fixed"`
	NewlyFailing int `json:"newly_failing"`
	// The changes that are not fixes, each on its own line: pairs FAILED at the start whose
	// failure is now suppressed, pairs FAILED at the start whose control is now disabled, accounts
	// of the first snapshot missing from the report's, and pairs FAILED in either snapshot that
	// were not collected in one of them.
	NewlySuppressed int `json:"newly_suppressed"`
	NewlyDisabled   int `json:"newly_disabled"`
	AccountsLeft    int `json:"accounts_left"`
	NotComparable   int `json:"not_comparable"`
	// MedianDaysToRemediate is over the control findings remediated in the window, each aged from
	// its FirstObservedAt; nil when fewer than MinRemediationsForMedian were.
	MedianDaysToRemediate *float64 `json:"median_days_to_remediate"`
	// Remediated counts those remediations; StillOpen the control findings FAILED (active, not
	// suppressed) in the report's snapshot: failures whose time to remediate is not known yet
	// (censored), which the median leaves out.
	Remediated        int             `json:"remediated"`
	StillOpen         int             `json:"still_open"`
	FixedControls     []ControlChange `json:"fixed_controls"`
	RegressedControls []ControlChange `json:"regressed_controls"`
}

// MinRemediationsForMedian is the fewest remediations a median time to remediate is shown for:
// the median of one or two fixes is an anecdote, not a measure of how fast a team remediates.
const MinRemediationsForMedian = 5

// StandardProgress is one standard's score over the window.
type StandardProgress struct {
	ID            string       `json:"id"`
	Name          string       `json:"name"`
	ShortName     string       `json:"short_name"`
	BaselineScore *float64     `json:"baseline_score"`
	CurrentScore  *float64     `json:"current_score"`
	Change        *float64     `json:"change"` // current - baseline, percentage points
	Series        []ScorePoint `json:"series"`
	// ProjectedDate is when the target is reached at the current rate (already reached: the report
	// date); nil when the score is not improving (or would take more than a decade).
	ProjectedDate *string `json:"projected_date"`
	// OnTrack: the target is met, or ProjectedDate is within Progress.TargetHorizonDays of the
	// report date. Otherwise OffTrackReason says why ("score falling", "projected 2028-03-01,
	// beyond the 365-day horizon"); "" when on track.
	OnTrack        bool   `json:"on_track"`
	OffTrackReason string `json:"off_track_reason"`
}

// ScorePoint is one snapshot's score. Partial: the snapshot is partial (some account/region was
// not collected), so the point may move for that reason alone.
type ScorePoint struct {
	Date    string   `json:"date"`
	Score   *float64 `json:"score"`
	Partial bool     `json:"partial"`
}

// ProgressPoint is one snapshot's summary score and risk counts; Partial as in ScorePoint.
type ProgressPoint struct {
	Date string `json:"date"`
	// SummaryScore is the organization's summary score at that snapshot (each control once across
	// all standards, suppressed findings left out), nil when no control had data.
	SummaryScore         *float64 `json:"summary_score"`
	FailedControlAccount int      `json:"failed_control_accounts"` // distinct (control, account) FAILED
	OpenCritical         int64    `json:"open_critical"`
	OpenHigh             int64    `json:"open_high"`
	Partial              bool     `json:"partial"`
}

// ControlChange is a control whose failing accounts changed over the window.
type ControlChange struct {
	ControlID      string `json:"control_id"`
	Title          string `json:"title"`
	Severity       string `json:"severity"`
	AccountsBefore int    `json:"accounts_before"` // accounts FAILED at the window's start
	AccountsNow    int    `json:"accounts_now"`
}

// Coverage is what the snapshot could and could not read.
type Coverage struct {
	Complete  bool          `json:"complete"`
	Collected int           `json:"collected"` // account/region pairs collected
	Expected  int           `json:"expected"`  // pairs attempted
	Gaps      []CoverageGap `json:"gaps"`
	// EnablementUnknown are collected pairs whose control enablement could not be read
	// (associations denied, central configuration not in use): a control disabled there is not
	// known to be, and its status comes from the findings alone. Not gaps: the snapshot is complete.
	EnablementUnknown []CoverageGap `json:"enablement_unknown"`
	// Warnings are what the collection or import could not read or left out without failing (the
	// organization's OU tree unreadable, records of other kinds skipped), stored with the snapshot.
	// Left out of the JSON when there are none, so reports without them are unchanged.
	Warnings []Warning `json:"warnings,omitempty"`
}

// Warning is one of the snapshot's warnings (model.Warning).
type Warning struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// CoverageGap is one account/region pair that was not collected, or (Status "malformed") was
// collected with some findings left out because they could not be stored.
type CoverageGap struct {
	AccountID string `json:"account_id"`
	Region    string `json:"region"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
}

// RoundPercent is how every report displays a score: to a whole percent, half away from zero
// (78.5 -> 79). It first rounds to 9 decimals so that a float such as 28.499999999999996 (an
// exact half computed in binary) rounds as the half it is. Renderers share it so the text, PDF
// and email never disagree on a number.
func RoundPercent(x float64) int {
	return int(math.Round(math.Round(x*1e9) / 1e9))
}

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

// Scope kinds: a route by OU path (the OU and every OU below it), or by an account tag.
const (
	ScopeOU  = "ou"
	ScopeTag = "tag"
)

// Scope is what a routed report covers.
type Scope struct {
	// Kind is ScopeOU or ScopeTag.
	Kind string `json:"kind"`
	// Name is the OU path (Workloads/Prod) or the tag as KEY=VALUE (owner=payments-team).
	Name string `json:"name"`
	// Accounts is how many accounts the scope holds in the snapshot.
	Accounts int `json:"accounts"`
}

// Title names the scope in titles and subjects: "OU Workloads/Prod", "owner=payments-team".
func (s *Scope) Title() string {
	if s == nil {
		return ""
	}
	if s.Kind == ScopeOU {
		return "OU " + s.Name
	}
	return s.Name
}
