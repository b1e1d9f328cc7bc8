package estate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// The emulator writes and reads AWS Security Finding Format (AwsSecurityFinding in the Security
// Hub API model) with its own code, not the product's, so that a mistake in either side's
// encoding shows up as a difference instead of cancelling out.

const asffTimeLayout = "2006-01-02T15:04:05.000Z"

type wireSeverity struct {
	Label      string `json:"Label"`
	Normalized int    `json:"Normalized"`
	Original   string `json:"Original,omitempty"`
}

type wireFinding struct {
	SchemaVersion   string       `json:"SchemaVersion"`
	ID              string       `json:"Id"`
	ProductArn      string       `json:"ProductArn"`
	ProductName     string       `json:"ProductName,omitempty"`
	CompanyName     string       `json:"CompanyName,omitempty"`
	Region          string       `json:"Region,omitempty"`
	GeneratorID     string       `json:"GeneratorId"`
	AwsAccountID    string       `json:"AwsAccountId"`
	Types           []string     `json:"Types"`
	FirstObservedAt string       `json:"FirstObservedAt,omitempty"`
	LastObservedAt  string       `json:"LastObservedAt,omitempty"`
	CreatedAt       string       `json:"CreatedAt"`
	UpdatedAt       string       `json:"UpdatedAt"`
	Severity        wireSeverity `json:"Severity"`
	Title           string       `json:"Title"`
	Description     string       `json:"Description"`
	Remediation     *struct {
		Recommendation struct {
			Text string `json:"Text"`
			URL  string `json:"Url,omitempty"`
		} `json:"Recommendation"`
	} `json:"Remediation,omitempty"`
	ProductFields map[string]string `json:"ProductFields"`
	Resources     []struct {
		Type      string `json:"Type"`
		ID        string `json:"Id"`
		Partition string `json:"Partition"`
		Region    string `json:"Region"`
	} `json:"Resources"`
	Compliance *struct {
		Status              string `json:"Status,omitempty"`
		SecurityControlID   string `json:"SecurityControlId,omitempty"`
		AssociatedStandards []struct {
			StandardsID string `json:"StandardsId"`
		} `json:"AssociatedStandards,omitempty"`
	} `json:"Compliance,omitempty"`
	WorkflowState string `json:"WorkflowState"`
	Workflow      struct {
		Status string `json:"Status"`
	} `json:"Workflow"`
	RecordState string `json:"RecordState"`
	Note        *struct {
		Text      string `json:"Text"`
		UpdatedBy string `json:"UpdatedBy"`
		UpdatedAt string `json:"UpdatedAt"`
	} `json:"Note,omitempty"`
	UserDefinedFields     map[string]string `json:"UserDefinedFields,omitempty"`
	FindingProviderFields struct {
		Severity wireSeverity `json:"Severity"`
		Types    []string     `json:"Types"`
	} `json:"FindingProviderFields"`
}

func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(asffTimeLayout)
}

// LegacyWorkflowState is the deprecated WorkflowState AWS still sends beside Workflow.Status.
func LegacyWorkflowState(status string) string {
	switch status {
	case "NOTIFIED":
		return "ASSIGNED"
	case "SUPPRESSED":
		return "DEFERRED"
	case "RESOLVED":
		return "RESOLVED"
	}
	return "NEW"
}

// MarshalASFF encodes f as AWS sends it in GetFindings: with the fields AWS always sets
// (SchemaVersion, Types, ProductFields, FindingProviderFields, a Remediation for control findings)
// and the deprecated WorkflowState.
func MarshalASFF(f *Finding) ([]byte, error) {
	var w wireFinding
	w.SchemaVersion = "2018-10-08"
	w.ID, w.ProductArn, w.ProductName, w.CompanyName = f.ID, f.ProductARN, f.ProductName, f.CompanyName
	w.Region, w.GeneratorID, w.AwsAccountID = f.Region, f.GeneratorID, f.AccountID
	w.Types = []string{}
	if f.Type != "" {
		w.Types = append(w.Types, f.Type)
	}
	w.FirstObservedAt = wireTime(f.FirstObservedAt)
	w.LastObservedAt = wireTime(f.UpdatedAt)
	w.UpdatedAt = wireTime(f.UpdatedAt)
	w.CreatedAt = wireTime(f.CreatedAt)
	if w.CreatedAt == "" {
		w.CreatedAt = w.UpdatedAt // AWS requires CreatedAt
	}
	w.Severity = wireSeverity{Label: f.SeverityLabel, Normalized: f.SeverityNormalized, Original: f.SeverityLabel}
	w.Title, w.Description = f.Title, f.Title
	w.ProductFields = map[string]string{
		"aws/securityhub/FindingId":   f.ID,
		"aws/securityhub/ProductName": f.ProductName,
		"aws/securityhub/CompanyName": f.CompanyName,
	}
	w.Resources = w.Resources[:0:0]
	if f.ResourceID != "" || f.ResourceType != "" {
		w.Resources = append(w.Resources, struct {
			Type      string `json:"Type"`
			ID        string `json:"Id"`
			Partition string `json:"Partition"`
			Region    string `json:"Region"`
		}{f.ResourceType, f.ResourceID, "aws", f.Region})
	}
	if f.ControlID != "" || f.ComplianceStatus != "" {
		w.Compliance = &struct {
			Status              string `json:"Status,omitempty"`
			SecurityControlID   string `json:"SecurityControlId,omitempty"`
			AssociatedStandards []struct {
				StandardsID string `json:"StandardsId"`
			} `json:"AssociatedStandards,omitempty"`
		}{Status: f.ComplianceStatus}
	}
	if f.ControlID != "" {
		w.Compliance.SecurityControlID = f.ControlID
		for _, s := range f.Standards {
			w.Compliance.AssociatedStandards = append(w.Compliance.AssociatedStandards, struct {
				StandardsID string `json:"StandardsId"`
			}{s})
		}
		w.ProductFields["ControlId"] = f.ControlID
		w.Remediation = &struct {
			Recommendation struct {
				Text string `json:"Text"`
				URL  string `json:"Url,omitempty"`
			} `json:"Recommendation"`
		}{}
		w.Remediation.Recommendation.Text = "For information on how to correct this issue, consult the AWS Security Hub controls documentation."
		w.Remediation.Recommendation.URL = DefaultRemediationURL(f.ControlID)
	}
	w.WorkflowState = LegacyWorkflowState(f.WorkflowStatus)
	w.Workflow.Status = f.WorkflowStatus
	w.RecordState = f.RecordState
	if f.NoteText != "" || f.NoteUpdatedBy != "" {
		w.Note = &struct {
			Text      string `json:"Text"`
			UpdatedBy string `json:"UpdatedBy"`
			UpdatedAt string `json:"UpdatedAt"`
		}{f.NoteText, f.NoteUpdatedBy, wireTime(f.NoteUpdatedAt)}
	}
	w.UserDefinedFields = f.UserDefinedFields
	w.FindingProviderFields.Severity = wireSeverity{Label: f.SeverityLabel, Original: f.SeverityLabel}
	w.FindingProviderFields.Types = w.Types
	return json.Marshal(&w)
}

// DecodeFindings reads an ASFF document: a JSON array of findings or the {"Findings": [...]}
// object `aws securityhub get-findings` prints. Fields the emulator does not model are dropped.
func DecodeFindings(r io.Reader) ([]*Finding, error) {
	br := bufio.NewReader(r)
	var raw []json.RawMessage
	first, err := firstByte(br)
	if err != nil {
		return nil, fmt.Errorf("asff: %w", err)
	}
	d := json.NewDecoder(br)
	if first == '[' {
		err = d.Decode(&raw)
	} else {
		var doc struct{ Findings []json.RawMessage }
		err = d.Decode(&doc)
		raw = doc.Findings
	}
	if err != nil {
		return nil, fmt.Errorf("asff: %w", err)
	}
	out := make([]*Finding, 0, len(raw))
	for i, m := range raw {
		f, err := unmarshalASFF(m)
		if err != nil {
			return nil, fmt.Errorf("asff: finding %d: %w", i, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if !bytes.ContainsRune([]byte(" \t\r\n"), rune(b)) {
			return b, br.UnreadByte()
		}
	}
}

func unmarshalASFF(b []byte) (*Finding, error) {
	var w wireFinding
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	f := &Finding{ID: w.ID, ProductARN: w.ProductArn, ProductName: w.ProductName, CompanyName: w.CompanyName,
		GeneratorID: w.GeneratorID, AccountID: w.AwsAccountID, Region: w.Region, Title: w.Title,
		SeverityLabel: w.Severity.Label, SeverityNormalized: w.Severity.Normalized,
		WorkflowStatus: w.Workflow.Status, RecordState: w.RecordState, UserDefinedFields: w.UserDefinedFields}
	if f.ID == "" || f.AccountID == "" {
		return nil, fmt.Errorf("no Id or AwsAccountId")
	}
	if len(w.Types) > 0 {
		f.Type = w.Types[0]
	}
	if len(w.Resources) > 0 {
		f.ResourceType, f.ResourceID = w.Resources[0].Type, w.Resources[0].ID
		if f.Region == "" {
			f.Region = w.Resources[0].Region
		}
	}
	if c := w.Compliance; c != nil {
		f.ComplianceStatus, f.ControlID = c.Status, c.SecurityControlID
		for _, s := range c.AssociatedStandards {
			f.Standards = append(f.Standards, s.StandardsID)
		}
	}
	if f.WorkflowStatus == "" {
		f.WorkflowStatus = "NEW"
	}
	if f.RecordState == "" {
		f.RecordState = "ACTIVE"
	}
	for _, t := range []struct {
		dst *time.Time
		src string
	}{{&f.FirstObservedAt, w.FirstObservedAt}, {&f.CreatedAt, w.CreatedAt}, {&f.UpdatedAt, w.UpdatedAt}} {
		if err := parseWireTime(t.dst, t.src); err != nil {
			return nil, err
		}
	}
	if n := w.Note; n != nil {
		f.NoteText, f.NoteUpdatedBy = n.Text, n.UpdatedBy
		if err := parseWireTime(&f.NoteUpdatedAt, n.UpdatedAt); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func parseWireTime(dst *time.Time, s string) error {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*dst = t.UTC()
	return nil
}

// EncodeFindings writes findings as the {"Findings": [...]} document `aws securityhub
// get-findings` prints, each encoded by MarshalASFF.
func EncodeFindings(w io.Writer, findings []*Finding) error {
	bw := bufio.NewWriter(w)
	_, _ = bw.WriteString(`{"Findings":[`)
	for i, f := range findings {
		b, err := MarshalASFF(f)
		if err != nil {
			return fmt.Errorf("asff: finding %s: %w", f.ID, err)
		}
		if i > 0 {
			_ = bw.WriteByte(',')
		}
		_, _ = bw.Write(b)
	}
	_, _ = bw.WriteString("]}\n")
	return bw.Flush()
}
