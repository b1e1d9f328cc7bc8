// Package ocsf maps findings to and from OCSF 1.x Compliance Findings (class_uid 2003, category
// Findings), the format the new Security Hub writes (GetFindingsV2, export jobs' JSON lines) and
// SIEMs and Security Lake read. It imports only internal/model and the standard library, so the
// collector and the exporter share one mapping and neither drags the other in.
//
// The mapping, field by field and with what it loses, is documented in docs/formats.md ("OCSF").
// ocsftest/schema-1.6.0 vendors the schema files it was written against; the tests validate
// every record Marshal writes against them.
package ocsf

// The class written, and the schema version it is written against (Security Hub writes 1.6).
// TestConstantsMatchSchema checks the numbers against the vendored schema files.
const (
	SchemaVersion = "1.6.0"
	CategoryUID   = 2    // Findings
	ClassUID      = 2003 // Compliance Finding: CategoryUID*1000 + the class's uid (3)
	className     = "Compliance Finding"
	categoryName  = "Findings"
)

// Activity ids of the Finding classes. Security Hub counts a finding whose activity is Close as
// closed, so an archived finding (ASFF RecordState ARCHIVED) is written with Close.
const (
	activityCreate = 1
	activityUpdate = 2
	activityClose  = 3
)

var activityNames = map[int]string{activityCreate: "Create", activityUpdate: "Update", activityClose: "Close"}

// record is one Compliance Finding as written. Field order is output order: the export is
// byte-for-byte deterministic.
type record struct {
	ActivityID   int          `json:"activity_id"`
	ActivityName string       `json:"activity_name"`
	CategoryUID  int          `json:"category_uid"`
	CategoryName string       `json:"category_name"`
	ClassUID     int          `json:"class_uid"`
	ClassName    string       `json:"class_name"`
	TypeUID      int64        `json:"type_uid"`
	TypeName     string       `json:"type_name"`
	Time         int64        `json:"time"`
	SeverityID   int          `json:"severity_id"`
	Severity     string       `json:"severity"`
	StatusID     int          `json:"status_id"`
	Status       string       `json:"status"`
	Comment      string       `json:"comment,omitempty"`
	Compliance   compliance   `json:"compliance"`
	Cloud        cloud        `json:"cloud"`
	Resources    []resource   `json:"resources,omitempty"`
	FindingInfo  findingInfo  `json:"finding_info"`
	Metadata     metadata     `json:"metadata"`
	Unmapped     *unmappedOut `json:"unmapped,omitempty"`
}

type compliance struct {
	Control    string   `json:"control,omitempty"`
	Standards  []string `json:"standards,omitempty"`
	Status     string   `json:"status,omitempty"`
	StatusID   *int     `json:"status_id,omitempty"`
	StatusCode string   `json:"status_code,omitempty"`
}

type account struct {
	UID    string `json:"uid"`
	Type   string `json:"type,omitempty"`
	TypeID int    `json:"type_id,omitempty"`
}

type cloud struct {
	Provider string  `json:"provider"`
	Region   string  `json:"region,omitempty"`
	Account  account `json:"account"`
}

type resource struct {
	UID            string `json:"uid,omitempty"`
	Name           string `json:"name,omitempty"`
	Type           string `json:"type,omitempty"`
	Region         string `json:"region,omitempty"`
	CloudPartition string `json:"cloud_partition,omitempty"`
}

type findingInfo struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title,omitempty"`
	Desc          string   `json:"desc,omitempty"`
	Types         []string `json:"types,omitempty"`
	CreatedTime   int64    `json:"created_time,omitempty"`
	FirstSeenTime int64    `json:"first_seen_time,omitempty"`
	LastSeenTime  int64    `json:"last_seen_time,omitempty"`
	ModifiedTime  int64    `json:"modified_time,omitempty"`
}

type product struct {
	UID        string `json:"uid,omitempty"`
	Name       string `json:"name,omitempty"`
	VendorName string `json:"vendor_name,omitempty"`
}

type metadata struct {
	Version  string   `json:"version"`
	Product  product  `json:"product"`
	Profiles []string `json:"profiles,omitempty"`
}

// unmappedOut holds what has no OCSF attribute, under the ASFF names it had, so that a reader
// who knows ASFF knows what each is.
type unmappedOut struct {
	GeneratorID        string            `json:"GeneratorId,omitempty"`
	RecordState        string            `json:"RecordState"`
	SeverityNormalized int               `json:"Severity.Normalized"`
	ResourceType       string            `json:"Resources[0].Type,omitempty"` // only when there is no resource id
	Note               *noteOut          `json:"Note,omitempty"`
	UserDefinedFields  map[string]string `json:"UserDefinedFields,omitempty"`
}

type noteOut struct {
	UpdatedBy string `json:"UpdatedBy,omitempty"`
	UpdatedAt int64  `json:"UpdatedAt,omitempty"` // epoch ms, like every OCSF time
}

// enumValue is an OCSF enum id, its caption, and the ASFF value it stands for.
type enumValue struct {
	id            int
	caption, asff string
}

// Severity: OCSF severity_id and its caption, and the ASFF label. Fatal (6) has no ASFF label
// and reads as CRITICAL.
var severities = []enumValue{
	{1, "Informational", "INFORMATIONAL"},
	{2, "Low", "LOW"},
	{3, "Medium", "MEDIUM"},
	{4, "High", "HIGH"},
	{5, "Critical", "CRITICAL"},
	{6, "Fatal", "CRITICAL"},
}

// labelScore is the normalized score ASFF's documentation gives each label, for records that
// carry no Severity.Normalized of their own (collect uses the same ranges for ASFF).
var labelScore = map[string]int{"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}

// Finding status_id (the workflow) and the ASFF Workflow.Status. Archived (5) and Deleted (6)
// have no workflow of their own: they read as RecordState ARCHIVED, workflow NEW unless the
// record says otherwise.
var workflows = []enumValue{
	{1, "New", "NEW"},
	{2, "In Progress", "NOTIFIED"},
	{3, "Suppressed", "SUPPRESSED"},
	{4, "Resolved", "RESOLVED"},
}

const (
	statusArchived = 5
	statusDeleted  = 6
)

// Compliance status_id and the ASFF Compliance.Status. NOT_AVAILABLE (the check could not run)
// is Unknown (0); status_code carries the ASFF value so that nothing is lost.
var complianceStatuses = []enumValue{
	{0, "Unknown", "NOT_AVAILABLE"},
	{1, "Pass", "PASSED"},
	{2, "Warning", "WARNING"},
	{3, "Fail", "FAILED"},
}

const statusOther = 99
