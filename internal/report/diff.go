package report

import "time"

// Diff is what changed between two snapshots (`reporter diff`, and the weekly report's
// SinceLastWeek), per control-account pair, with the same rules as Progress's fixed, newly
// failing and the lines beside them (see analyze's pairChangesSQL): a pair is compared only
// where it was collected and enabled in both snapshots and its account is still there, and a
// failure that became suppressed or whose control was disabled is listed as such, never as fixed.
// The JSON tags are the documented format (docs/formats.md, "diff.json").
type Diff struct {
	From DiffSnapshot `json:"from"`
	To   DiffSnapshot `json:"to"`
	// Counts are the lengths of the lists below, before any cut: in SinceLastWeek the lists hold
	// only the first SinceLastWeekItems items, the counts all of them.
	Counts DiffCounts `json:"counts"`
	// Fixed: FAILED -> PASSED. NewlyFailing: PASSED, NO_DATA or UNKNOWN -> FAILED.
	Fixed        []DiffItem `json:"fixed"`
	NewlyFailing []DiffItem `json:"newly_failing"`
	// NewlySuppressed: FAILED, and now failing only through suppressed findings (an accepted
	// risk, not a fix). NewlyDisabled: FAILED, and now the control is disabled there.
	NewlySuppressed []DiffItem `json:"newly_suppressed"`
	NewlyDisabled   []DiffItem `json:"newly_disabled"`
	// AccountsJoined and AccountsLeft are accounts, not pairs: in the later snapshot and not the
	// earlier one, and the other way round. The pairs of an account that left are in no list.
	AccountsJoined []DiffAccount `json:"accounts_joined"`
	AccountsLeft   []DiffAccount `json:"accounts_left"`
	// NotComparable: pairs FAILED in either snapshot whose account/region was not collected in
	// one of them (throttled, denied, missing): neither a fix nor a new failure.
	NotComparable []DiffItem `json:"not_comparable"`
}

// SinceLastWeekItems is how many items of each list Report.SinceLastWeek keeps; `reporter diff`
// lists them all.
const SinceLastWeekItems = 5

// DiffSnapshot identifies one side of a Diff. Date is TakenAt's date in UTC.
type DiffSnapshot struct {
	ID      int64     `json:"id"`
	TakenAt time.Time `json:"taken_at"`
	Date    string    `json:"date"`
}

// DiffCounts are the number of items of each of a Diff's lists. For the same two snapshots,
// Fixed, NewlyFailing, NewlySuppressed, NewlyDisabled, AccountsLeft and NotComparable equal
// Progress's fields of the same names.
type DiffCounts struct {
	Fixed           int `json:"fixed"`
	NewlyFailing    int `json:"newly_failing"`
	NewlySuppressed int `json:"newly_suppressed"`
	NewlyDisabled   int `json:"newly_disabled"`
	AccountsJoined  int `json:"accounts_joined"`
	AccountsLeft    int `json:"accounts_left"`
	NotComparable   int `json:"not_comparable"`
}

// DiffItem is one control-account pair. Title and Severity are the control's in the later
// snapshot (else the earlier one); OU is the account's as stored ("" when unknown).
type DiffItem struct {
	ControlID string `json:"control_id"`
	AccountID string `json:"account_id"`
	Severity  string `json:"severity"`
	Title     string `json:"title"`
	OU        string `json:"ou"`
}

// DiffAccount is an account that joined or left, with its name and OU as stored.
type DiffAccount struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
	OU        string `json:"ou"`
}
