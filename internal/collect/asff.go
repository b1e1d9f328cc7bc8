package collect

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// rawFinding holds the ASFF attributes we use and nothing else: encoding/json skips the rest
// (Resources[].Details, Remediation, FindingProviderFields, ...) without allocating for it.
// Timestamps and Severity.Normalized stay unparsed so that a bad value is reported with its
// field name instead of as an anonymous json error.
type rawFinding struct {
	ID                string            `json:"Id"`
	ProductArn        string            `json:"ProductArn"`
	ProductName       string            `json:"ProductName"`
	CompanyName       string            `json:"CompanyName"`
	GeneratorID       string            `json:"GeneratorId"`
	AwsAccountID      string            `json:"AwsAccountId"`
	Region            string            `json:"Region"`
	Types             []string          `json:"Types"`
	Title             string            `json:"Title"`
	FirstObservedAt   string            `json:"FirstObservedAt"`
	CreatedAt         string            `json:"CreatedAt"`
	UpdatedAt         string            `json:"UpdatedAt"`
	Severity          rawSeverity       `json:"Severity"`
	Compliance        rawCompliance     `json:"Compliance"`
	ProductFields     rawProductFields  `json:"ProductFields"`
	Resources         []rawResource     `json:"Resources"`
	Workflow          rawWorkflow       `json:"Workflow"`
	WorkflowState     string            `json:"WorkflowState"`
	RecordState       string            `json:"RecordState"`
	Note              rawNote           `json:"Note"`
	UserDefinedFields map[string]string `json:"UserDefinedFields"`
}

type rawSeverity struct {
	Label      string      `json:"Label"`
	Normalized looseNumber `json:"Normalized"`
	// Product (the provider's own score, a number or a string) is not used and not decoded.
}

type rawCompliance struct {
	Status              string `json:"Status"`
	SecurityControlID   string `json:"SecurityControlId"`
	AssociatedStandards []struct {
		StandardsID string `json:"StandardsId"`
	} `json:"AssociatedStandards"`
}

// rawProductFields picks the keys of the ProductFields map that legacy control findings and
// older findings put there; a struct skips the other (up to 50) keys without building a map.
type rawProductFields struct {
	StandardsArn                  string `json:"StandardsArn"`
	StandardsSubscriptionArn      string `json:"StandardsSubscriptionArn"`
	StandardsGuideArn             string `json:"StandardsGuideArn"` // CIS 1.2.0
	StandardsGuideSubscriptionArn string `json:"StandardsGuideSubscriptionArn"`
	ControlID                     string `json:"ControlId"`
	RuleID                        string `json:"RuleId"` // CIS 1.2.0
	ProductName                   string `json:"aws/securityhub/ProductName"`
	CompanyName                   string `json:"aws/securityhub/CompanyName"`
}

type rawResource struct {
	Type string `json:"Type"`
	ID   string `json:"Id"`
}

type rawWorkflow struct {
	Status string `json:"Status"`
}

type rawNote struct {
	Text      string `json:"Text"`
	UpdatedBy string `json:"UpdatedBy"`
	UpdatedAt string `json:"UpdatedAt"`
}

// looseNumber is a JSON number that some exports write as a string ("40"). UnmarshalJSON never
// fails: a bad value is kept in bad and reported by finding with its field name, because an error
// returned from here would reach the caller without one.
type looseNumber struct {
	set bool
	val float64
	bad string
}

func (n *looseNumber) UnmarshalJSON(b []byte) error {
	*n = looseNumber{}
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
		if s == "" {
			return nil // "" is how some tools write an absent value
		}
	}
	n.set = true
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		if len(b) > 40 {
			b = append(b[:37:37], "..."...)
		}
		n.bad = string(b)
		return nil
	}
	n.val = v
	return nil
}

// asffKeys are the top-level attributes of AwsSecurityFinding (botocore securityhub
// 2018-10-26). A top-level object with one of them is a finding, not a page of findings.
var asffKeys = map[string]bool{
	"SchemaVersion": true, "Id": true, "ProductArn": true, "ProductName": true, "CompanyName": true,
	"Region": true, "GeneratorId": true, "AwsAccountId": true, "AwsAccountName": true, "Types": true,
	"FirstObservedAt": true, "LastObservedAt": true, "CreatedAt": true, "UpdatedAt": true,
	"ProcessedAt": true, "Severity": true, "Confidence": true, "Criticality": true, "Title": true,
	"Description": true, "Remediation": true, "SourceUrl": true, "ProductFields": true,
	"UserDefinedFields": true, "Malware": true, "Network": true, "NetworkPath": true, "Process": true,
	"Threats": true, "ThreatIntelIndicators": true, "Resources": true, "Compliance": true,
	"VerificationState": true, "WorkflowState": true, "Workflow": true, "RecordState": true,
	"RelatedFindings": true, "Note": true, "Vulnerabilities": true, "PatchSummary": true,
	"Action": true, "FindingProviderFields": true, "Sample": true, "GeneratorDetails": true,
}

// awsProductNames are the ProductName values Security Hub gives AWS integrations, for findings
// exported before ProductName existed (2021). Only a fallback, so it stays here rather than in
// configs/: an unknown product falls back to its ARN segment.
var awsProductNames = map[string]string{
	"securityhub":       "Security Hub",
	"guardduty":         "GuardDuty",
	"inspector":         "Inspector",
	"macie":             "Macie",
	"access-analyzer":   "IAM Access Analyzer",
	"firewall-manager":  "Firewall Manager",
	"config":            "Config",
	"health":            "Health",
	"ssm-patch-manager": "Systems Manager Patch Manager",
	"detective":         "Detective",
}

// finding converts the decoded attributes. On error it returns the ASFF path of the field at fault.
func (r *rawFinding) finding(cat *catalog.Catalog) (*model.Finding, string, error) {
	if r.ID == "" {
		return nil, "Id", errMissing
	}
	// Redacted exports put "REDACTED" or similar here; any non-empty value identifies the account.
	if r.AwsAccountID == "" {
		return nil, "AwsAccountId", errMissing
	}
	f := &model.Finding{
		ID:            r.ID,
		ProductARN:    r.ProductArn,
		GeneratorID:   r.GeneratorID,
		AccountID:     r.AwsAccountID,
		Region:        r.Region,
		Title:         r.Title,
		ProductName:   r.ProductName,
		CompanyName:   r.CompanyName,
		NoteText:      r.Note.Text,
		NoteUpdatedBy: r.Note.UpdatedBy,
	}
	var err error
	// CreatedAt and UpdatedAt are required ASFF attributes and the history (time to remediate,
	// the 90-day trend) is built on them; a zero time would silently skew it.
	if f.CreatedAt, err = parseTime(r.CreatedAt, true); err != nil {
		return nil, "CreatedAt", err
	}
	if f.UpdatedAt, err = parseTime(r.UpdatedAt, true); err != nil {
		return nil, "UpdatedAt", err
	}
	if f.FirstObservedAt, err = parseTime(r.FirstObservedAt, false); err != nil {
		return nil, "FirstObservedAt", err
	}
	if f.NoteUpdatedAt, err = parseTime(r.Note.UpdatedAt, false); err != nil {
		return nil, "Note.UpdatedAt", err
	}
	if field, err := r.severity(f); err != nil {
		return nil, field, err
	}
	if f.WorkflowStatus, err = workflowStatus(r.Workflow.Status, r.WorkflowState); err != nil {
		if r.Workflow.Status != "" {
			return nil, "Workflow.Status", err
		}
		return nil, "WorkflowState", err
	}
	switch s := strings.ToUpper(r.RecordState); s {
	case "":
		f.RecordState = "ACTIVE"
	case "ACTIVE", "ARCHIVED":
		f.RecordState = s
	default:
		return nil, "RecordState", unknownValue(r.RecordState)
	}
	// Values outside the enums would drop out of the compliance math without a trace.
	switch s := strings.ToUpper(r.Compliance.Status); s {
	case "", "PASSED", "FAILED", "WARNING", "NOT_AVAILABLE":
		f.ComplianceStatus = s
	default:
		return nil, "Compliance.Status", unknownValue(r.Compliance.Status)
	}
	if f.Region == "" {
		// Region was added to ASFF in 2021; both ARNs carry it.
		if f.Region = arnRegion(r.ID); f.Region == "" {
			f.Region = arnRegion(r.ProductArn)
		}
	}
	if f.ProductName == "" || f.CompanyName == "" {
		company, product := productFromARN(r.ProductArn)
		if f.ProductName == "" {
			f.ProductName = cmp.Or(r.ProductFields.ProductName, product)
		}
		if f.CompanyName == "" {
			f.CompanyName = cmp.Or(r.ProductFields.CompanyName, company)
		}
	}
	if len(r.Types) > 0 {
		f.Type = r.Types[0]
	}
	if len(r.Resources) > 0 {
		f.ResourceType, f.ResourceID = r.Resources[0].Type, r.Resources[0].ID
	}
	f.ControlID, f.Standards = r.control(cat)
	if len(r.UserDefinedFields) > 0 {
		f.UserDefinedFields = r.UserDefinedFields
	}
	return f, "", nil
}

func unknownValue(s string) error {
	return fmt.Errorf("unknown value %q", s)
}

// severity sets the label and the normalized score, deriving whichever is missing with the
// ranges of the ASFF documentation.
func (r *rawFinding) severity(f *model.Finding) (string, error) {
	label := strings.ToUpper(r.Severity.Label)
	switch label {
	case "", "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL":
	default:
		return "Severity.Label", unknownValue(r.Severity.Label)
	}
	n := r.Severity.Normalized
	if n.bad != "" {
		return "Severity.Normalized", fmt.Errorf("%s is not a number", n.bad)
	}
	if n.set && (n.val < 0 || n.val > 100) {
		return "Severity.Normalized", fmt.Errorf("%v is outside 0-100", n.val)
	}
	norm := int(math.Round(n.val))
	switch {
	case label != "" && n.set:
		f.SeverityLabel, f.SeverityNormalized = label, norm
	case label != "":
		f.SeverityLabel, f.SeverityNormalized = label, labelScore[label]
	case n.set:
		f.SeverityLabel, f.SeverityNormalized = scoreLabel(norm), norm
	default:
		// Severity is required by ASFF and drives the summary; inventing one would misrank risks.
		return "Severity", errMissing
	}
	return "", nil
}

var labelScore = map[string]int{"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}

func scoreLabel(n int) string {
	switch {
	case n >= 90:
		return "CRITICAL"
	case n >= 70:
		return "HIGH"
	case n >= 40:
		return "MEDIUM"
	case n >= 1:
		return "LOW"
	}
	return "INFORMATIONAL"
}

// workflowStatus reads Workflow.Status, or the WorkflowState that preceded it (2020) when absent.
func workflowStatus(status, legacy string) (string, error) {
	if status != "" {
		switch s := strings.ToUpper(status); s {
		case "NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED":
			return s, nil
		}
		return "", unknownValue(status)
	}
	switch strings.ToUpper(legacy) {
	case "", "NEW":
		return "NEW", nil
	case "ASSIGNED", "IN_PROGRESS":
		return "NOTIFIED", nil
	case "DEFERRED":
		return "SUPPRESSED", nil
	case "RESOLVED":
		return "RESOLVED", nil
	}
	return "", unknownValue(legacy)
}

// parseTime reads an ASFF timestamp: RFC 3339 with or without fractional seconds, and also the
// offsets without a colon (-0700) or minutes (-07) that the ASFF documentation allows.
func parseTime(s string, required bool) (time.Time, error) {
	if s == "" {
		if required {
			return time.Time{}, errMissing
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		var err2 error
		if t, err2 = time.Parse("2006-01-02T15:04:05Z0700", s); err2 != nil {
			if t, err2 = time.Parse("2006-01-02T15:04:05Z07", s); err2 != nil {
				return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp", s)
			}
		}
	}
	return t.UTC(), nil
}

// arnRegion returns the region of an ARN (arn:partition:service:region:account:resource), or "".
func arnRegion(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return ""
	}
	parts := strings.SplitN(s, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// productFromARN derives company and product names from a product ARN such as
// arn:aws:securityhub:us-east-1::product/aws/guardduty.
func productFromARN(s string) (company, product string) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 {
		return "", ""
	}
	rest, ok := strings.CutPrefix(parts[5], "product/")
	if !ok {
		return "", ""
	}
	company, product, ok = strings.Cut(rest, "/")
	if !ok {
		return "", rest
	}
	if company == "aws" {
		if name, ok := awsProductNames[product]; ok {
			return "AWS", name
		}
		return "AWS", product
	}
	return company, product
}

// control returns the security control id and the standards (resource ids) of a control finding,
// and "", nil for other findings.
//
// Consolidated findings (and, since 2023, per-standard ones too) name the control in
// Compliance.SecurityControlId and list every standard it belongs to. Older per-standard findings
// have one standard, in ProductFields, and a per-standard id (PCI.CloudTrail.1, CIS 1.2 rule 2.7)
// that the catalog maps to the security control id.
func (r *rawFinding) control(cat *catalog.Catalog) (string, []string) {
	pf := &r.ProductFields
	legacyStd := cmp.Or(pf.StandardsArn, pf.StandardsGuideArn, pf.StandardsSubscriptionArn, pf.StandardsGuideSubscriptionArn)
	if legacyStd != "" {
		legacyStd = catalog.NormalizeStandardID(legacyStd)
	}
	if id := r.Compliance.SecurityControlID; id != "" {
		var stds []string
		for _, s := range r.Compliance.AssociatedStandards {
			if s.StandardsID != "" {
				stds = append(stds, catalog.NormalizeStandardID(s.StandardsID))
			}
		}
		slices.Sort(stds)
		stds = slices.Compact(stds)
		if len(stds) == 0 && legacyStd != "" {
			stds = []string{legacyStd}
		}
		return id, stds
	}
	if legacyStd == "" {
		return "", nil
	}
	legacyID := cmp.Or(pf.ControlID, pf.RuleID)
	if legacyID == "" {
		// The generator id ends with it: pci-dss/v/3.2.1/PCI.CloudTrail.1,
		// arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/2.7.
		if i := strings.LastIndexByte(r.GeneratorID, '/'); i >= 0 {
			legacyID = r.GeneratorID[i+1:]
		}
	}
	if legacyID == "" {
		return "", nil
	}
	if id, ok := cat.SecurityControlID(legacyStd, legacyID); ok {
		return id, []string{legacyStd}
	}
	// A control the catalog does not know yet (AWS adds controls faster than we ship catalogs):
	// keep the legacy id as the control id so that the finding still counts and shows up under
	// a recognizable name instead of being lost.
	return legacyID, []string{legacyStd}
}
