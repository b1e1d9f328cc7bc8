// Package model holds the types every stage shares: a finding as collected, the accounts and
// account/region coverage of a run, the controls and standards of a snapshot's catalog, and the
// snapshot itself. It imports nothing of ours and no driver, so the renderers, the catalog and the
// file and demo sources never link DuckDB; internal/store persists these types.
package model

import "time"

// Finding is one Security Hub finding, normalized from ASFF. Collectors produce it; the store
// splits it into attributes that never change for a finding version (stored once) and state that is
// stored again only when it changes (see schema.sql).
type Finding struct {
	// Identity and unchanging attributes.
	ID              string // ASFF Id
	ProductARN      string
	ProductName     string // e.g. "Security Hub", "GuardDuty"
	CompanyName     string
	GeneratorID     string
	AccountID       string
	Region          string
	Type            string // first of Types
	Title           string
	ResourceType    string // first resource
	ResourceID      string
	ControlID       string   // security control id (e.g. "S3.1"); empty for non-control findings
	Standards       []string // associated standards as resource ids, e.g. "standards/pci-dss/v/3.2.1"
	FirstObservedAt time.Time
	CreatedAt       time.Time

	// State. A new state row is written when any of these except UpdatedAt changes. UpdatedAt is kept
	// as of the change: AWS bumps it on every periodic evaluation, and counting that as a change
	// would store every control finding again every day.
	UpdatedAt          time.Time
	SeverityLabel      string // CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL
	SeverityNormalized int    // 0-100
	ComplianceStatus   string // PASSED, FAILED, WARNING, NOT_AVAILABLE; empty for non-control findings
	WorkflowStatus     string // NEW, NOTIFIED, SUPPRESSED, RESOLVED
	RecordState        string // ACTIVE, ARCHIVED
	NoteText           string
	NoteUpdatedBy      string
	NoteUpdatedAt      time.Time         // zero when there is no note
	UserDefinedFields  map[string]string // nil when absent
}

// Account is an account in scope of a snapshot.
type Account struct {
	AccountID string
	Name      string
	// OU is the organizational unit path below the root, e.g. "Workloads/Prod"; "" for an
	// account directly under the root or when unknown.
	OU    string
	Email string
	// Owner is the account's owner as its owner tag (collect.aws.owner_tag) or the configuration's
	// accounts list gives it, e.g. a team's email; "" when unknown.
	Owner string
}

// Coverage statuses: what happened to one account/region pair in a run.
const (
	CoverageCollected  = "collected"
	CoverageDenied     = "denied"      // role could not be assumed, access denied
	CoverageNotEnabled = "not_enabled" // Security Hub not enabled in the region
	CoverageThrottled  = "throttled"   // still throttled after the retry budget
	CoverageError      = "error"       // anything else
	CoverageMissing    = "missing"     // expected but not attempted / not present
)

// Coverage records the outcome for one account/region pair of a snapshot.
type Coverage struct {
	AccountID string
	Region    string
	Status    string // one of the Coverage* constants
	Reason    string // human-readable cause for anything but collected
	Findings  int64  // findings read for the pair (filled in by the store when zero and collected)
	// Malformed counts findings the source returned for the pair but could not store (no Id, an
	// unknown status, ...); MalformedError is the first one's error. Any makes the snapshot partial.
	Malformed      int64
	MalformedError string
}

// Disablement sources: where a DisabledControl was read.
const (
	DisabledByAssociation          = "association"           // ListStandardsControlAssociations
	DisabledByCentralConfiguration = "central_configuration" // the administrator's configuration policies
	DisabledByConfig               = "config"                // the reporter's controls.disabled list
)

// DisabledControl is a control disabled for one standard in one account and region. In that
// scope the control is DISABLED: out of every score, never PASSED or FAILED.
type DisabledControl struct {
	AccountID  string
	Region     string
	StandardID string
	ControlID  string
	Source     string // one of the DisabledBy* constants
	Reason     string // the StatusReason AWS gives, or the configuration's note
}

// Standard is an enabled standard in a snapshot's catalog.
type Standard struct {
	ID        string // resource id, e.g. "standards/aws-foundational-security-best-practices/v/1.0.0"
	Name      string // e.g. "AWS Foundational Security Best Practices v1.0.0"
	ShortName string // e.g. "AWS FSBP v1.0"
}

// Control is a security control as it applies to one standard in a snapshot's catalog.
type Control struct {
	StandardID string
	ControlID  string // security control id
	Title      string
	Severity   string
	Disabled   bool // disabled controls are out of scope for the score
	// RemediationURL points at the AWS documentation for the control.
	RemediationURL string
}

// SnapshotMeta describes a snapshot being written.
type SnapshotMeta struct {
	TakenAt              time.Time
	Source               string // "aws", "file", "demo"
	Organization         string
	AdministratorAccount string
	// AccountsExpected is the number of accounts the run meant to read (0: same as collected).
	AccountsExpected int
}

// Snapshot statuses.
const (
	StatusComplete = "complete"
	StatusPartial  = "partial" // some account/region pair was not collected, or findings were malformed
)

// Snapshot is a stored snapshot as listed by the store.
type Snapshot struct {
	ID                   int64
	TakenAt              time.Time
	Source               string
	Organization         string
	AdministratorAccount string
	Status               string
	Findings             int64
	AccountsCollected    int
	AccountsExpected     int
	CreatedAt            time.Time
	// Empty: the snapshot holds no findings. An import stores one only when told to
	// (--allow-empty); a collection from AWS may, when the accounts it read had none.
	Empty bool
}

// RetiredFindings counts the findings of one retired control that a collector dropped in one
// account, region and standard. They are not stored (AWS leaves retired controls out of every
// score); the count is, so that the reconciliation can account for them.
type RetiredFindings struct {
	AccountID  string
	Region     string
	StandardID string // resource id; "" for findings associated with no standard
	ControlID  string
	Findings   int64
}

// Warning is something a collection or import left out or could not read without failing: it is
// stored with the snapshot so that the report shows it, not only the run's log.
type Warning struct {
	Kind    string // a stable token, e.g. "ou_tree_unreadable", "records_skipped"
	Message string // what happened and what to do, for a reader
}
