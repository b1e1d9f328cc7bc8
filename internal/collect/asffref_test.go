package collect_test

// The encoder below is the one MarshalASFF used before AppendASFF (encoding/json over a struct
// per ASFF object), kept as the reference AppendASFF must match byte for byte.

import (
	"encoding/json"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/model"
)

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

func refTimeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func marshalASFFReference(f *model.Finding) ([]byte, error) {
	o := outFinding{SchemaVersion: "2018-10-08", ID: f.ID, ProductArn: f.ProductARN, ProductName: f.ProductName,
		CompanyName: f.CompanyName, Region: f.Region, GeneratorID: f.GeneratorID, AwsAccountID: f.AccountID,
		FirstObservedAt: refTimeString(f.FirstObservedAt), LastObservedAt: refTimeString(f.UpdatedAt),
		CreatedAt: refTimeString(f.CreatedAt), UpdatedAt: refTimeString(f.UpdatedAt),
		Severity: outSeverity{Label: f.SeverityLabel, Normalized: f.SeverityNormalized, Original: f.SeverityLabel},
		Title:    f.Title, Description: f.Title,
		ProductFields: map[string]string{
			"aws/securityhub/FindingId":   f.ID,
			"aws/securityhub/ProductName": f.ProductName,
			"aws/securityhub/CompanyName": f.CompanyName,
		},
		WorkflowState: collect.LegacyWorkflowState(f.WorkflowStatus), RecordState: f.RecordState,
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
		o.Note = &outNote{Text: f.NoteText, UpdatedBy: f.NoteUpdatedBy, UpdatedAt: refTimeString(f.NoteUpdatedAt)}
	}
	return json.Marshal(&o)
}
