package ocsf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/model"
)

// FieldError names the OCSF attribute (a dotted path such as "compliance.status_id") that made a
// record unreadable.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %v", e.Field, e.Err) }
func (e *FieldError) Unwrap() error { return e.Err }

// ClassError is a record of another OCSF class than Compliance Finding. Unmarshal refuses it
// rather than guess: only a Compliance Finding carries a control's status, and a finding of
// another class read as one would change the scores without a trace. (Import looks at class_uid
// before it calls Unmarshal, and skips and counts such records: docs/operations.md.)
type ClassError struct {
	ClassUID int
}

func (e *ClassError) Error() string {
	return fmt.Sprintf("OCSF class_uid %d (%s) is not a Compliance Finding (%d); import reads only class %d: "+
		"filter the file first, e.g. jq -c 'select(.class_uid == %d)'", e.ClassUID, ClassName(e.ClassUID), ClassUID, ClassUID, ClassUID)
}

// ClassName names an OCSF class of the Findings category, or says it is none: for messages
// about records that are not read.
func ClassName(uid int) string {
	if uid == ClassUID {
		return className
	}
	if name := classNames[uid]; name != "" {
		return name
	}
	return "not a Finding class"
}

// classNames names the other classes of the Findings category (OCSF 1.6), for the error.
var classNames = map[int]string{
	2001: "Security Finding", 2002: "Vulnerability Finding", 2004: "Detection Finding",
	2005: "Incident Finding", 2006: "Data Security Finding", 2007: "Application Security Posture Finding",
	2008: "IAM Analysis Finding",
}

var errMissing = errors.New("missing")

// ErrNotOCSF is Unmarshal's answer for an object without a top-level class_uid: not an OCSF
// event at all, so the caller may read it as something else.
var ErrNotOCSF = errors.New("no top-level class_uid: not an OCSF event")

var classUIDKey = []byte(`"class_uid"`)

// MayBeRecord reports whether b, one JSON object, can be an OCSF event: whether it holds the key
// class_uid anywhere. It costs a scan of b, not a parse; Unmarshal then tells for sure.
func MayBeRecord(b []byte) bool { return bytes.Contains(b, classUIDKey) }

// in is a record as read: pointers tell absent from zero, and the _dt forms of the times that
// Security Hub writes beside (or instead of) the epoch-millisecond ones are read too.
type in struct {
	ClassUID   *int        `json:"class_uid"`
	ActivityID int         `json:"activity_id"`
	Time       *int64      `json:"time"`
	TimeDT     string      `json:"time_dt"`
	SeverityID *int        `json:"severity_id"`
	Severity   string      `json:"severity"`
	StatusID   *int        `json:"status_id"`
	Status     string      `json:"status"`
	Comment    string      `json:"comment"`
	Compliance *compliance `json:"compliance"`
	Cloud      struct {
		Region  string `json:"region"`
		Account struct {
			UID string `json:"uid"`
		} `json:"account"`
	} `json:"cloud"`
	Resources []struct {
		UID    string `json:"uid"`
		Name   string `json:"name"`
		Type   string `json:"type"`
		Region string `json:"region"`
	} `json:"resources"`
	FindingInfo struct {
		UID             string   `json:"uid"`
		Title           string   `json:"title"`
		Types           []string `json:"types"`
		CreatedTime     *int64   `json:"created_time"`
		CreatedTimeDT   string   `json:"created_time_dt"`
		FirstSeenTime   *int64   `json:"first_seen_time"`
		FirstSeenTimeDT string   `json:"first_seen_time_dt"`
		LastSeenTime    *int64   `json:"last_seen_time"`
		LastSeenTimeDT  string   `json:"last_seen_time_dt"`
		ModifiedTime    *int64   `json:"modified_time"`
		ModifiedTimeDT  string   `json:"modified_time_dt"`
	} `json:"finding_info"`
	Metadata struct {
		Product struct {
			UID        string `json:"uid"`
			Name       string `json:"name"`
			VendorName string `json:"vendor_name"`
		} `json:"product"`
	} `json:"metadata"`
	Unmapped struct {
		GeneratorID        string  `json:"GeneratorId"`
		RecordState        string  `json:"RecordState"`
		SeverityNormalized *int    `json:"Severity.Normalized"`
		ResourceType       string  `json:"Resources[0].Type"`
		Note               noteOut `json:"Note"`
		UserDefinedFields  map[string]string
	} `json:"unmapped"`
}

// Unmarshal reads one OCSF record into a finding: the import half of the mapping
// (docs/formats.md, "OCSF"). Standards come back as written (an ARN or a resource id); the
// caller normalizes them with its catalog. An object without a top-level class_uid is
// ErrNotOCSF; a record of another class is a *ClassError; an attribute that is missing or holds
// a value outside its enum is a *FieldError naming it; invalid JSON is encoding/json's error.
func Unmarshal(b []byte) (*model.Finding, error) {
	var r in
	if err := json.Unmarshal(b, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, &FieldError{Field: te.Field, Err: fmt.Errorf("got JSON %s, want %s", te.Value, te.Type.Kind())}
		}
		return nil, err
	}
	switch {
	case r.ClassUID == nil:
		return nil, ErrNotOCSF
	case *r.ClassUID != ClassUID:
		return nil, &ClassError{ClassUID: *r.ClassUID}
	}
	return r.finding()
}

func (r *in) finding() (*model.Finding, error) {
	fi := &r.FindingInfo
	if fi.UID == "" {
		return nil, &FieldError{Field: "finding_info.uid", Err: errMissing}
	}
	if r.Cloud.Account.UID == "" {
		return nil, &FieldError{Field: "cloud.account.uid", Err: errMissing}
	}
	f := &model.Finding{
		ID: fi.UID, AccountID: r.Cloud.Account.UID, Region: r.Cloud.Region, Title: fi.Title,
		ProductARN: r.Metadata.Product.UID, ProductName: r.Metadata.Product.Name, CompanyName: r.Metadata.Product.VendorName,
		GeneratorID: r.Unmapped.GeneratorID, NoteText: r.Comment, NoteUpdatedBy: r.Unmapped.Note.UpdatedBy,
	}
	if len(fi.Types) > 0 {
		f.Type = fi.Types[0]
	}
	if len(r.Resources) > 0 {
		res := r.Resources[0]
		f.ResourceID, f.ResourceType = cmpOr(res.UID, res.Name), res.Type
		if f.Region == "" {
			f.Region = res.Region
		}
	} else {
		f.ResourceType = r.Unmapped.ResourceType
	}
	if err := r.times(f); err != nil {
		return nil, err
	}
	if err := r.severity(f); err != nil {
		return nil, err
	}
	if err := r.workflow(f); err != nil {
		return nil, err
	}
	if c := r.Compliance; c != nil {
		f.ControlID = c.Control
		if len(c.Standards) > 0 {
			f.Standards = c.Standards
		}
		var err error
		if f.ComplianceStatus, err = c.status(); err != nil {
			return nil, err
		}
	} else {
		return nil, &FieldError{Field: "compliance", Err: errMissing}
	}
	if len(r.Unmapped.UserDefinedFields) > 0 {
		f.UserDefinedFields = r.Unmapped.UserDefinedFields
	}
	return f, nil
}

// times reads the finding's times: epoch milliseconds, or the RFC 3339 _dt form. UpdatedAt
// (which the history is built on) falls back from modified_time to last_seen_time to the
// event's time, which OCSF requires; CreatedAt from created_time to first_seen_time to UpdatedAt.
func (r *in) times(f *model.Finding) error {
	fi := &r.FindingInfo
	var err error
	get := func(field string, v *int64, dt string) time.Time {
		if err != nil {
			return time.Time{}
		}
		var t time.Time
		t, err = readTime(field, v, dt)
		return t
	}
	event := get("time", r.Time, r.TimeDT)
	modified := get("finding_info.modified_time", fi.ModifiedTime, fi.ModifiedTimeDT)
	lastSeen := get("finding_info.last_seen_time", fi.LastSeenTime, fi.LastSeenTimeDT)
	created := get("finding_info.created_time", fi.CreatedTime, fi.CreatedTimeDT)
	f.FirstObservedAt = get("finding_info.first_seen_time", fi.FirstSeenTime, fi.FirstSeenTimeDT)
	f.NoteUpdatedAt = get("unmapped.Note.UpdatedAt", nonZero(r.Unmapped.Note.UpdatedAt), "")
	if err != nil {
		return err
	}
	f.UpdatedAt = firstSet(modified, lastSeen, event)
	if f.UpdatedAt.IsZero() {
		// The history (time to remediate, the trend) is built on it; a zero time would skew it.
		return &FieldError{Field: "time", Err: errMissing}
	}
	f.CreatedAt = firstSet(created, f.FirstObservedAt, f.UpdatedAt)
	return nil
}

func readTime(field string, v *int64, dt string) (time.Time, error) {
	if v != nil {
		if *v < 0 {
			return time.Time{}, &FieldError{Field: field, Err: fmt.Errorf("%d is before 1970", *v)}
		}
		return time.UnixMilli(*v).UTC(), nil
	}
	if dt == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.Replace(dt, " ", "T", 1))
	if err != nil {
		return time.Time{}, &FieldError{Field: field + "_dt", Err: fmt.Errorf("%q is not an RFC 3339 time", dt)}
	}
	return t.UTC(), nil
}

func nonZero(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func firstSet(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// severity maps severity_id to the ASFF label; Unknown (0) and Other (99) fall back to the
// caption in severity when it is an ASFF label. The normalized score is the one the record
// kept under unmapped, or the label's.
func (r *in) severity(f *model.Finding) error {
	if r.SeverityID == nil {
		return &FieldError{Field: "severity_id", Err: errMissing}
	}
	for _, s := range severities {
		if s.id == *r.SeverityID {
			f.SeverityLabel = s.asff
		}
	}
	if f.SeverityLabel == "" {
		if _, ok := labelScore[strings.ToUpper(r.Severity)]; ok && (*r.SeverityID == 0 || *r.SeverityID == statusOther) {
			f.SeverityLabel = strings.ToUpper(r.Severity)
		} else {
			return &FieldError{Field: "severity_id", Err: fmt.Errorf("%d (%q) has no Security Hub severity", *r.SeverityID, r.Severity)}
		}
	}
	f.SeverityNormalized = labelScore[f.SeverityLabel]
	if n := r.Unmapped.SeverityNormalized; n != nil {
		if *n < 0 || *n > 100 {
			return &FieldError{Field: "unmapped.Severity.Normalized", Err: fmt.Errorf("%d is outside 0-100", *n)}
		}
		f.SeverityNormalized = *n
	}
	return nil
}

// workflow maps the finding's status_id to Workflow.Status and, with activity_id, the record
// state: Archived and Deleted statuses and the Close activity are RecordState ARCHIVED (as
// Security Hub counts a closed finding as no longer active), unless the record kept its own.
func (r *in) workflow(f *model.Finding) error {
	f.WorkflowStatus, f.RecordState = "NEW", "ACTIVE"
	archived := r.ActivityID == activityClose
	if id := r.StatusID; id != nil {
		found := false
		for _, w := range workflows {
			if w.id == *id {
				f.WorkflowStatus, found = w.asff, true
			}
		}
		switch {
		case found:
		case *id == statusArchived || *id == statusDeleted:
			archived = true
		case *id == 0 || *id == statusOther:
			// Unknown or Other: the caption may still be an ASFF workflow status.
			if s := strings.ToUpper(r.Status); s == "NOTIFIED" || s == "SUPPRESSED" || s == "RESOLVED" {
				f.WorkflowStatus = s
			}
		default:
			return &FieldError{Field: "status_id", Err: fmt.Errorf("unknown value %d", *id)}
		}
	}
	if archived {
		f.RecordState = "ARCHIVED"
	}
	switch s := strings.ToUpper(r.Unmapped.RecordState); s {
	case "":
	case "ACTIVE", "ARCHIVED":
		f.RecordState = s
	default:
		return &FieldError{Field: "unmapped.RecordState", Err: fmt.Errorf("unknown value %q", r.Unmapped.RecordState)}
	}
	return nil
}

// status maps compliance.status_id to the ASFF Compliance.Status. status_code, when it holds an
// ASFF value, refines Unknown and Other; without a status_id the caption decides. Values outside
// the enums would drop out of the compliance math without a trace, so they are errors.
func (c *compliance) status() (string, error) {
	code := strings.ToUpper(c.StatusCode)
	asff := func(s string) bool {
		for _, v := range complianceStatuses {
			if v.asff == s {
				return true
			}
		}
		return false
	}
	if c.StatusID == nil {
		if c.Status == "" {
			return "", nil // not a control finding
		}
		for _, v := range complianceStatuses {
			if strings.EqualFold(c.Status, v.caption) || strings.EqualFold(c.Status, v.asff) {
				return v.asff, nil
			}
		}
		return "", &FieldError{Field: "compliance.status", Err: fmt.Errorf("unknown value %q", c.Status)}
	}
	switch id := *c.StatusID; id {
	case 1, 2, 3:
		return complianceStatuses[id].asff, nil
	case 0, statusOther:
		switch {
		case asff(code):
			return code, nil
		case asff(strings.ToUpper(c.Status)):
			return strings.ToUpper(c.Status), nil
		case id == 0:
			return "NOT_AVAILABLE", nil
		}
		return "", &FieldError{Field: "compliance.status_id", Err: fmt.Errorf("99 (Other) with status %q, which is no Security Hub compliance status", c.Status)}
	default:
		return "", &FieldError{Field: "compliance.status_id", Err: fmt.Errorf("unknown value %d", id)}
	}
}
