package ocsf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/model"
)

// Writer writes findings as OCSF Compliance Findings, one JSON object a line. It streams: each
// finding is encoded and written as it comes, so memory does not grow with the snapshot.
type Writer struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	n   int64
	err error
}

// NewWriter starts writing records to w.
func NewWriter(w io.Writer) *Writer {
	x := &Writer{w: bufio.NewWriterSize(w, 256<<10)}
	x.enc = json.NewEncoder(&x.buf)
	// Titles and ARNs carry no markup; "<" stays "<" for the SIEM that greps for it.
	x.enc.SetEscapeHTML(false)
	return x
}

// Write appends one finding as one line.
func (x *Writer) Write(f *model.Finding) error {
	if x.err != nil {
		return x.err
	}
	x.buf.Reset()
	r := fromFinding(f)
	if x.err = x.enc.Encode(&r); x.err != nil { // Encode ends the line
		return x.err
	}
	_, x.err = x.w.Write(x.buf.Bytes())
	x.n++
	return x.err
}

// Records is how many records have been written.
func (x *Writer) Records() int64 { return x.n }

// Flush writes what is buffered. It does not close the underlying writer.
func (x *Writer) Flush() error {
	if x.err != nil {
		return x.err
	}
	x.err = x.w.Flush()
	return x.err
}

// Marshal encodes one finding as a Compliance Finding (without the newline Writer adds).
func Marshal(f *model.Finding) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	r := fromFinding(f)
	if err := enc.Encode(&r); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromFinding is the export half of the mapping (docs/formats.md, "OCSF").
func fromFinding(f *model.Finding) record {
	activity := activityUpdate
	switch {
	case f.RecordState == "ARCHIVED":
		activity = activityClose
	case f.UpdatedAt.Equal(f.CreatedAt):
		activity = activityCreate
	}
	r := record{
		ActivityID: activity, ActivityName: activityNames[activity],
		CategoryUID: CategoryUID, CategoryName: categoryName,
		ClassUID: ClassUID, ClassName: className,
		TypeUID: ClassUID*100 + int64(activity), TypeName: className + ": " + activityNames[activity],
		Time:    ms(f.UpdatedAt),
		Comment: f.NoteText,
		Cloud: cloud{Provider: "AWS", Region: f.Region,
			Account: account{UID: f.AccountID, Type: "AWS Account", TypeID: 10}},
		FindingInfo: findingInfo{UID: f.ID, Title: f.Title,
			// The store keeps no description: the title is what ASFF exports carry too.
			Desc:        f.Title,
			CreatedTime: ms(f.CreatedAt), FirstSeenTime: ms(f.FirstObservedAt),
			LastSeenTime: ms(f.UpdatedAt), ModifiedTime: ms(f.UpdatedAt)},
		Metadata: metadata{Version: SchemaVersion,
			Product:  product{UID: f.ProductARN, Name: f.ProductName, VendorName: f.CompanyName},
			Profiles: []string{"cloud"}},
	}
	if f.ProductARN == "" && f.ProductName == "" {
		// OCSF wants a product name or uid; ASFF always has a ProductArn, but an import does not
		// insist on it.
		r.Metadata.Product.Name = "unknown"
	}
	if f.Type != "" {
		r.FindingInfo.Types = []string{f.Type}
	}
	r.SeverityID, r.Severity = 0, "Unknown"
	for _, s := range severities {
		if s.asff == f.SeverityLabel {
			r.SeverityID, r.Severity = s.id, s.caption
			break
		}
	}
	r.StatusID, r.Status = 0, "Unknown"
	for _, w := range workflows {
		if w.asff == f.WorkflowStatus {
			r.StatusID, r.Status = w.id, w.caption
		}
	}
	r.Compliance = compliance{Control: f.ControlID, Standards: f.Standards}
	for _, c := range complianceStatuses {
		if c.asff == f.ComplianceStatus {
			id := c.id
			r.Compliance.StatusID, r.Compliance.Status, r.Compliance.StatusCode = &id, c.caption, c.asff
		}
	}
	u := &unmappedOut{GeneratorID: f.GeneratorID, RecordState: f.RecordState, SeverityNormalized: f.SeverityNormalized,
		UserDefinedFields: f.UserDefinedFields}
	switch {
	case f.ResourceID != "":
		r.Resources = []resource{{UID: f.ResourceID, Type: f.ResourceType, Region: f.Region, CloudPartition: arnPartition(f.ResourceID)}}
	case f.ResourceType != "":
		// An OCSF resource needs a uid or a name; a type alone has no home there.
		u.ResourceType = f.ResourceType
	}
	if f.NoteUpdatedBy != "" || !f.NoteUpdatedAt.IsZero() {
		u.Note = &noteOut{UpdatedBy: f.NoteUpdatedBy, UpdatedAt: ms(f.NoteUpdatedAt)}
	}
	r.Unmapped = u
	return r
}

// arnPartition returns the partition of an ARN (aws, aws-cn, aws-us-gov), or "".
func arnPartition(s string) string {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return ""
	}
	p, _, _ := strings.Cut(rest, ":")
	return p
}
