package collect

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// ASFFWriter writes findings in the shape `aws securityhub get-findings` prints:
// {"Findings": [ ... ]}. It streams: each finding is encoded and written as it comes. What it writes
// decodes back (Decode) to the same model.Finding, and carries the ASFF fields AWS always sets
// (SchemaVersion, Types, FindingProviderFields, Remediation, ProductFields), so files it writes
// look like real exports: the emulator, the evidence package and the benchmarks use it.
type ASFFWriter struct {
	w   *bufio.Writer
	n   int
	err error
}

// NewASFFWriter starts a findings document on w.
func NewASFFWriter(w io.Writer) *ASFFWriter {
	a := &ASFFWriter{w: bufio.NewWriterSize(w, 256<<10)}
	_, a.err = a.w.WriteString(`{"Findings":[`)
	return a
}

const asffTime = "2006-01-02T15:04:05.000Z"

type outSeverity struct {
	Label      string `json:"Label"`
	Normalized int    `json:"Normalized"`
	Original   string `json:"Original,omitempty"`
}

type outStandard struct {
	StandardsID string `json:"StandardsId"`
}

type outCompliance struct {
	Status              string        `json:"Status,omitempty"`
	SecurityControlID   string        `json:"SecurityControlId,omitempty"`
	AssociatedStandards []outStandard `json:"AssociatedStandards,omitempty"`
}

type outResource struct {
	Type      string `json:"Type"`
	ID        string `json:"Id"`
	Partition string `json:"Partition"`
	Region    string `json:"Region"`
}

type outNote struct {
	Text      string `json:"Text"`
	UpdatedBy string `json:"UpdatedBy"`
	UpdatedAt string `json:"UpdatedAt"`
}

type outRecommendation struct {
	Text string `json:"Text"`
	URL  string `json:"Url,omitempty"`
}

type outFinding struct {
	SchemaVersion   string      `json:"SchemaVersion"`
	ID              string      `json:"Id"`
	ProductArn      string      `json:"ProductArn"`
	ProductName     string      `json:"ProductName,omitempty"`
	CompanyName     string      `json:"CompanyName,omitempty"`
	Region          string      `json:"Region,omitempty"`
	GeneratorID     string      `json:"GeneratorId"`
	AwsAccountID    string      `json:"AwsAccountId"`
	Types           []string    `json:"Types"`
	FirstObservedAt string      `json:"FirstObservedAt,omitempty"`
	LastObservedAt  string      `json:"LastObservedAt,omitempty"`
	CreatedAt       string      `json:"CreatedAt"`
	UpdatedAt       string      `json:"UpdatedAt"`
	Severity        outSeverity `json:"Severity"`
	Title           string      `json:"Title"`
	Description     string      `json:"Description"`
	Remediation     *struct {
		Recommendation outRecommendation `json:"Recommendation"`
	} `json:"Remediation,omitempty"`
	ProductFields         map[string]string       `json:"ProductFields"`
	Resources             []outResource           `json:"Resources"`
	Compliance            *outCompliance          `json:"Compliance,omitempty"`
	WorkflowState         string                  `json:"WorkflowState"`
	Workflow              struct{ Status string } `json:"Workflow"`
	RecordState           string                  `json:"RecordState"`
	Note                  *outNote                `json:"Note,omitempty"`
	UserDefinedFields     map[string]string       `json:"UserDefinedFields,omitempty"`
	FindingProviderFields struct {
		Severity outSeverity `json:"Severity"`
		Types    []string    `json:"Types"`
	} `json:"FindingProviderFields"`
}

func asffTimeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(asffTime)
}

// LegacyWorkflowState is the deprecated ASFF WorkflowState that goes with a Workflow.Status:
// exports and the emulator still carry it.
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

// Write appends one finding.
func (a *ASFFWriter) Write(f *model.Finding) error {
	if a.err != nil {
		return a.err
	}
	b, err := MarshalASFF(f)
	if err != nil {
		a.err = err
		return err
	}
	if a.n > 0 {
		if err := a.w.WriteByte(','); err != nil {
			a.err = err
			return err
		}
	}
	a.n++
	_, a.err = a.w.Write(b)
	return a.err
}

// MarshalASFF encodes one finding as an ASFF JSON object (AwsSecurityFinding), the same bytes
// ASFFWriter writes for it. The AWS emulator serves findings encoded this way.
func MarshalASFF(f *model.Finding) ([]byte, error) {
	o := outFinding{SchemaVersion: "2018-10-08", ID: f.ID, ProductArn: f.ProductARN, ProductName: f.ProductName,
		CompanyName: f.CompanyName, Region: f.Region, GeneratorID: f.GeneratorID, AwsAccountID: f.AccountID,
		FirstObservedAt: asffTimeString(f.FirstObservedAt), LastObservedAt: asffTimeString(f.UpdatedAt),
		CreatedAt: asffTimeString(f.CreatedAt), UpdatedAt: asffTimeString(f.UpdatedAt),
		Severity: outSeverity{Label: f.SeverityLabel, Normalized: f.SeverityNormalized, Original: f.SeverityLabel},
		Title:    f.Title, Description: f.Title,
		ProductFields: map[string]string{
			"aws/securityhub/FindingId":   f.ID,
			"aws/securityhub/ProductName": f.ProductName,
			"aws/securityhub/CompanyName": f.CompanyName,
		},
		WorkflowState: LegacyWorkflowState(f.WorkflowStatus), RecordState: f.RecordState,
		UserDefinedFields: f.UserDefinedFields,
	}
	if o.CreatedAt == "" {
		o.CreatedAt = o.UpdatedAt
	}
	if f.Type != "" {
		o.Types = []string{f.Type}
	} else {
		o.Types = []string{}
	}
	o.Workflow.Status = f.WorkflowStatus
	o.FindingProviderFields.Severity = outSeverity{Label: f.SeverityLabel, Original: f.SeverityLabel}
	o.FindingProviderFields.Types = o.Types
	if f.ResourceID != "" || f.ResourceType != "" {
		o.Resources = []outResource{{Type: f.ResourceType, ID: f.ResourceID, Partition: "aws", Region: f.Region}}
	} else {
		o.Resources = []outResource{}
	}
	if f.ControlID != "" {
		c := &outCompliance{Status: f.ComplianceStatus, SecurityControlID: f.ControlID}
		for _, s := range f.Standards {
			c.AssociatedStandards = append(c.AssociatedStandards, outStandard{StandardsID: s})
		}
		o.Compliance = c
		o.ProductFields["ControlId"] = f.ControlID
		o.Remediation = &struct {
			Recommendation outRecommendation `json:"Recommendation"`
		}{outRecommendation{
			Text: "For information on how to correct this issue, consult the AWS Security Hub controls documentation.",
			URL:  catalog.Control{ID: f.ControlID}.RemediationURL(),
		}}
	} else if f.ComplianceStatus != "" {
		o.Compliance = &outCompliance{Status: f.ComplianceStatus}
	}
	if f.NoteText != "" || f.NoteUpdatedBy != "" {
		o.Note = &outNote{Text: f.NoteText, UpdatedBy: f.NoteUpdatedBy, UpdatedAt: asffTimeString(f.NoteUpdatedAt)}
	}
	return json.Marshal(&o)
}

// Close ends the document and flushes it. It does not close the underlying writer.
func (a *ASFFWriter) Close() error {
	if a.err != nil {
		return a.err
	}
	if _, err := a.w.WriteString("]}\n"); err != nil {
		return err
	}
	a.err = errors.New("asff writer: closed")
	return a.w.Flush()
}
