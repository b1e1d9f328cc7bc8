package report

// Exception statuses: where a suppression stands against its expiry on the report's date.
const (
	ExceptionActive   = "active"    // expires more than ExpiringWithinDays after the report's snapshot
	ExceptionExpiring = "expiring"  // expires within ExpiringWithinDays
	ExceptionExpired  = "expired"   // expired at or before the report's snapshot
	ExceptionNoExpiry = "no_expiry" // no expiry field and no maximum age configured
	ExceptionInvalid  = "invalid"   // the expiry field holds something that is not a date
)

// ExpiringWithinDays is how far ahead an exception counts as expiring: the weekly review's
// horizon, long enough to renew or fix before it lapses.
const ExpiringWithinDays = 30

// MaxInvalidExpiriesListed caps Exceptions.InvalidExpiries in report.json; the workbook's
// Exceptions sheet lists every one (status invalid).
const MaxInvalidExpiriesListed = 100

// Exceptions governs the suppressed findings of the snapshot (Report.Suppressed): a suppressed
// failure is an accepted risk, so who accepted it, why and until when are counted here.
type Exceptions struct {
	// Total is every ACTIVE, SUPPRESSED finding of the snapshot: the same population and figure
	// as findings.suppressed.
	Total int64 `json:"total"`
	// ByControl counts them per security control, most first; WithoutControl counts those that
	// are not control findings (GuardDuty, Inspector, ...), which ByControl leaves out.
	ByControl      []ExceptionControl `json:"by_control"`
	WithoutControl int64              `json:"without_control"`
	// WithoutJustification have no Note text.
	WithoutJustification int64 `json:"without_justification"`
	// Expired, ExpiringWithin30Days, NoExpiry and InvalidExpiry count the exceptions by status;
	// with the active ones (Total minus these four) they add up to Total.
	Expired              int64 `json:"expired"`
	ExpiringWithin30Days int64 `json:"expiring_within_30_days"`
	NoExpiry             int64 `json:"no_expiry"`
	InvalidExpiry        int64 `json:"invalid_expiry"`
	// InvalidExpiries lists the first MaxInvalidExpiriesListed unparsable expiry values, in the
	// order of Report.Suppressed.
	InvalidExpiries []InvalidExpiry `json:"invalid_expiries"`
	// ExpiryField and MaxAgeDays are the configuration the statuses were judged with
	// (exceptions.expiry_field, exceptions.max_age_days; 0: no maximum age).
	ExpiryField string `json:"expiry_field"`
	MaxAgeDays  int    `json:"max_age_days"`
}

// ExceptionControl is one control's suppressed findings.
type ExceptionControl struct {
	ControlID string `json:"control_id"`
	Title     string `json:"title"`
	Severity  string `json:"severity"`
	Count     int64  `json:"count"`
}

// InvalidExpiry is a suppressed finding whose expiry field could not be read as a date.
type InvalidExpiry struct {
	AccountID  string `json:"account_id"`
	Region     string `json:"region"`
	ControlID  string `json:"control_id"`
	ResourceID string `json:"resource_id"`
	Value      string `json:"value"`
}

// PlanItem is one failing control of the remediation plan: what to fix, where, and how.
type PlanItem struct {
	ControlID       string        `json:"control_id"`
	Title           string        `json:"title"`
	Severity        string        `json:"severity"`
	FailedAccounts  int           `json:"failed_accounts"`
	FailedResources int           `json:"failed_resources"`
	Accounts        []PlanAccount `json:"accounts"`
	// RemediationURL is AWS's page for the control in the Security Hub user guide (https).
	RemediationURL string `json:"remediation_url"`
}

// PlanAccount is an account where a plan item's control fails.
type PlanAccount struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
	// OU is the account's organizational unit as the source recorded it ("" when unknown).
	OU string `json:"ou"`
}
