package collect

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

const (
	fsbp   = "standards/aws-foundational-security-best-practices/v/1.0.0"
	pci    = "standards/pci-dss/v/3.2.1"
	nist   = "standards/nist-800-53/v/5.0.0"
	cis12  = "ruleset/cis-aws-foundations-benchmark/v/1.2.0"
	cis14  = "standards/cis-aws-foundations-benchmark/v/1.4.0"
	testID = "arn:aws:securityhub:us-east-1:111122223333:security-control/S3.1/finding/0f6e3a2b-8c1d-4e5f-9a0b-1c2d3e4f5a6b"
)

// testCatalog is a small fixed catalog, so that these tests do not move with configs/. The legacy
// mappings are AWS's.
func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load(fstest.MapFS{catalog.FileName: {Data: []byte(`{
  "source": "test", "retrieved": "2026-12-07",
  "standards": [
    {"key": "fsbp", "id": "standards/aws-foundational-security-best-practices/v/1.0.0", "name": "AWS Foundational Security Best Practices v1.0.0", "short_name": "AWS FSBP v1.0", "slug": "aws-foundational-security-best-practices-v1.0.0"},
    {"key": "pci321", "id": "standards/pci-dss/v/3.2.1", "name": "PCI DSS v3.2.1", "short_name": "PCI DSS v3.2.1", "slug": "pci-dss-v3.2.1"},
    {"key": "nist53r5", "id": "standards/nist-800-53/v/5.0.0", "name": "NIST SP 800-53 Revision 5", "short_name": "NIST 800-53 r5", "slug": "nist-800-53-v5.0.0"},
    {"key": "cis12", "id": "ruleset/cis-aws-foundations-benchmark/v/1.2.0", "name": "CIS AWS Foundations Benchmark v1.2.0", "short_name": "CIS v1.2", "slug": "cis-aws-foundations-benchmark-v1.2.0"},
    {"key": "cis14", "id": "standards/cis-aws-foundations-benchmark/v/1.4.0", "name": "CIS AWS Foundations Benchmark v1.4.0", "short_name": "CIS v1.4", "slug": "cis-aws-foundations-benchmark-v1.4.0"}
  ],
  "controls": [
    {"id": "CloudTrail.1", "title": "CloudTrail should be enabled", "severity": "HIGH", "resource_type": "AwsAccount", "scope": "global", "standards": ["fsbp", "nist53r5", "cis12", "cis14"]},
    {"id": "CloudTrail.2", "title": "CloudTrail should have encryption at-rest enabled", "severity": "MEDIUM", "resource_type": "AwsCloudTrailTrail", "scope": "regional", "standards": ["fsbp", "pci321", "nist53r5", "cis12", "cis14"]},
    {"id": "EC2.2", "title": "VPC default security groups should not allow inbound or outbound traffic", "severity": "HIGH", "resource_type": "AwsEc2SecurityGroup", "scope": "regional", "standards": ["fsbp", "pci321", "nist53r5", "cis12", "cis14"]},
    {"id": "IAM.6", "title": "Hardware MFA should be enabled for the root user", "severity": "CRITICAL", "resource_type": "AwsAccount", "scope": "global", "standards": ["pci321", "nist53r5", "cis12", "cis14"]},
    {"id": "S3.1", "title": "S3 general purpose buckets should have block public access settings enabled", "severity": "MEDIUM", "resource_type": "AwsAccount", "scope": "regional", "standards": ["fsbp", "pci321", "nist53r5", "cis14"]},
    {"id": "S3.5", "title": "S3 general purpose buckets should require requests to use SSL", "severity": "MEDIUM", "resource_type": "AwsS3Bucket", "scope": "regional", "standards": ["fsbp", "pci321", "nist53r5", "cis14"]}
  ],
  "retired": [{"id": "AppSync.1", "retired": "2025-05"}],
  "legacy": [
    {"standard": "pci321", "legacy_id": "PCI.CloudTrail.1", "control_id": "CloudTrail.2"},
    {"standard": "pci321", "legacy_id": "PCI.EC2.2", "control_id": "EC2.2"},
    {"standard": "pci321", "legacy_id": "PCI.IAM.4", "control_id": "IAM.6"},
    {"standard": "pci321", "legacy_id": "PCI.S3.6", "control_id": "S3.1"},
    {"standard": "cis12", "legacy_id": "2.1", "control_id": "CloudTrail.1"},
    {"standard": "cis12", "legacy_id": "2.7", "control_id": "CloudTrail.2"},
    {"standard": "cis12", "legacy_id": "4.3", "control_id": "EC2.2"},
    {"standard": "cis12", "legacy_id": "1.14", "control_id": "IAM.6"}
  ]
}`)}})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// decodeAll decodes data and returns the findings fn saw.
func decodeAll(t testing.TB, name string, data []byte) ([]*model.Finding, error) {
	t.Helper()
	var got []*model.Finding
	err := Decode(context.Background(), name, strings.NewReader(string(data)), testCatalog(t), func(f *model.Finding) error {
		got = append(got, f)
		return nil
	})
	return got, err
}

// baseFinding is a consolidated control finding as GetFindings returns it. Each call returns a
// fresh copy for a test to edit.
func baseFinding() map[string]any {
	return map[string]any{
		"SchemaVersion": "2018-10-08",
		"Id":            testID,
		"ProductArn":    "arn:aws:securityhub:us-east-1::product/aws/securityhub",
		"ProductName":   "Security Hub",
		"CompanyName":   "AWS",
		"Region":        "us-east-1",
		"GeneratorId":   "security-control/S3.1",
		"AwsAccountId":  "111122223333",
		"Types":         []any{"Software and Configuration Checks/Industry and Regulatory Standards"},
		"CreatedAt":     "2024-03-01T10:00:00.000Z",
		"UpdatedAt":     "2024-05-20T10:00:00.000Z",
		"Severity":      map[string]any{"Label": "MEDIUM", "Normalized": 40, "Original": "MEDIUM"},
		"Title":         "S3 general purpose buckets should have block public access settings enabled",
		"Description":   "This control checks whether the preceding Amazon S3 block public access settings are configured at the account level.",
		"Resources": []any{map[string]any{
			"Type": "AwsAccount", "Id": "AWS::::Account:111122223333", "Partition": "aws", "Region": "us-east-1",
		}},
		"Compliance": map[string]any{
			"Status":              "FAILED",
			"SecurityControlId":   "S3.1",
			"AssociatedStandards": []any{map[string]any{"StandardsId": fsbp}},
		},
		"Workflow":    map[string]any{"Status": "NEW"},
		"RecordState": "ACTIVE",
	}
}

// baseWant is what baseFinding decodes to.
func baseWant() model.Finding {
	return model.Finding{
		ID:                 testID,
		ProductARN:         "arn:aws:securityhub:us-east-1::product/aws/securityhub",
		ProductName:        "Security Hub",
		CompanyName:        "AWS",
		GeneratorID:        "security-control/S3.1",
		AccountID:          "111122223333",
		Region:             "us-east-1",
		Type:               "Software and Configuration Checks/Industry and Regulatory Standards",
		Title:              "S3 general purpose buckets should have block public access settings enabled",
		ResourceType:       "AwsAccount",
		ResourceID:         "AWS::::Account:111122223333",
		ControlID:          "S3.1",
		Standards:          []string{fsbp},
		CreatedAt:          time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC),
		UpdatedAt:          time.Date(2024, 5, 20, 10, 0, 0, 0, time.UTC),
		SeverityLabel:      "MEDIUM",
		SeverityNormalized: 40,
		ComplianceStatus:   "FAILED",
		WorkflowStatus:     "NEW",
		RecordState:        "ACTIVE",
	}
}

// del marks a path for deletion in edit.
var del = &struct{}{}

// edit sets (or, with del, removes) the attribute at a dotted path such as "Severity.Label".
func edit(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	if v == del {
		delete(m, parts[len(parts)-1])
		return
	}
	m[parts[len(parts)-1]] = v
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// kv is one edit of baseFinding.
type kv struct {
	path  string
	value any
}

func decodeEdited(t *testing.T, edits []kv) ([]*model.Finding, error) {
	t.Helper()
	m := baseFinding()
	for _, e := range edits {
		edit(m, e.path, e.value)
	}
	return decodeAll(t, "findings.json", marshal(t, []any{m}))
}

func TestDecodeTolerances(t *testing.T) {
	tests := []struct {
		name  string
		edits []kv
		want  func(f *model.Finding)
	}{
		{"as exported", nil, func(f *model.Finding) {}},
		{"unknown fields are ignored",
			[]kv{{"FutureAttribute", map[string]any{"Nested": []any{1, "two", nil}}}, {"Severity.Future", true}, {"Compliance.SecurityControlParameters", []any{}}},
			func(f *model.Finding) {}},
		{"normalized as a string", []kv{{"Severity.Label", del}, {"Severity.Normalized", "40"}},
			func(f *model.Finding) {}},
		{"normalized as a string with a label", []kv{{"Severity.Normalized", "70"}, {"Severity.Label", "HIGH"}},
			func(f *model.Finding) { f.SeverityLabel, f.SeverityNormalized = "HIGH", 70 }},
		{"normalized as a float", []kv{{"Severity.Label", del}, {"Severity.Normalized", 69.6}},
			func(f *model.Finding) { f.SeverityLabel, f.SeverityNormalized = "HIGH", 70 }},
		{"empty normalized string with a label", []kv{{"Severity.Normalized", ""}},
			func(f *model.Finding) {}},
		{"product severity as a number", []kv{{"Severity.Product", 4.5}}, func(f *model.Finding) {}},
		{"product severity as a string", []kv{{"Severity.Product", "4.5"}}, func(f *model.Finding) {}},
		{"product severity as text", []kv{{"Severity.Product", "Medium"}}, func(f *model.Finding) {}},
		{"lower-case label", []kv{{"Severity.Label", "critical"}, {"Severity.Normalized", del}},
			func(f *model.Finding) { f.SeverityLabel, f.SeverityNormalized = "CRITICAL", 90 }},
		{"region from the finding ARN", []kv{{"Region", del}, {"Id", "arn:aws:securityhub:eu-central-1:111122223333:security-control/S3.1/finding/x"}},
			func(f *model.Finding) {
				f.ID, f.Region = "arn:aws:securityhub:eu-central-1:111122223333:security-control/S3.1/finding/x", "eu-central-1"
			}},
		{"region from the product ARN", []kv{{"Region", del}, {"Id", "4f1e2d3c4b5a69788796a5b4c3d2e1f0"}, {"ProductArn", "arn:aws:securityhub:ap-south-1::product/aws/securityhub"}},
			func(f *model.Finding) {
				f.ID, f.Region, f.ProductARN = "4f1e2d3c4b5a69788796a5b4c3d2e1f0", "ap-south-1", "arn:aws:securityhub:ap-south-1::product/aws/securityhub"
			}},
		{"region nowhere", []kv{{"Region", del}, {"Id", "local-1"}, {"ProductArn", "custom"}},
			func(f *model.Finding) { f.ID, f.Region, f.ProductARN = "local-1", "", "custom" }},
		{"product from the ARN: Security Hub", []kv{{"ProductName", del}, {"CompanyName", del}}, func(f *model.Finding) {}},
		{"product from ProductFields", []kv{{"ProductName", del}, {"CompanyName", del}, {"ProductArn", "arn:aws:securityhub:us-east-1::product/aws/unknown"},
			{"ProductFields", map[string]any{"aws/securityhub/ProductName": "Config", "aws/securityhub/CompanyName": "AWS"}}},
			func(f *model.Finding) {
				f.ProductARN, f.ProductName = "arn:aws:securityhub:us-east-1::product/aws/unknown", "Config"
			}},
		{"redacted account id", []kv{{"AwsAccountId", "REDACTED"}}, func(f *model.Finding) { f.AccountID = "REDACTED" }},
		{"timestamps without fractional seconds", []kv{{"CreatedAt", "2024-03-01T10:00:00Z"}}, func(f *model.Finding) {}},
		{"timestamps with nanoseconds", []kv{{"CreatedAt", "2024-03-01T10:00:00.123456789Z"}},
			func(f *model.Finding) { f.CreatedAt = time.Date(2024, 3, 1, 10, 0, 0, 123456789, time.UTC) }},
		{"timestamps with an offset", []kv{{"CreatedAt", "2024-03-01T12:30:00+02:30"}}, func(f *model.Finding) {}},
		{"timestamps with an offset without colon", []kv{{"CreatedAt", "2024-03-01T02:00:00.5-0800"}},
			func(f *model.Finding) { f.CreatedAt = time.Date(2024, 3, 1, 10, 0, 0, 5e8, time.UTC) }},
		{"timestamps with an hour offset", []kv{{"CreatedAt", "2024-03-01T15:00:00+05"}}, func(f *model.Finding) {}},
		{"first observed and note", []kv{{"FirstObservedAt", "2024-02-29T23:59:59.999Z"},
			{"Note", map[string]any{"Text": "Accepted risk until Q3", "UpdatedBy": "alice", "UpdatedAt": "2024-04-02T08:00:00Z"}}},
			func(f *model.Finding) {
				f.FirstObservedAt = time.Date(2024, 2, 29, 23, 59, 59, 999e6, time.UTC)
				f.NoteText, f.NoteUpdatedBy, f.NoteUpdatedAt = "Accepted risk until Q3", "alice", time.Date(2024, 4, 2, 8, 0, 0, 0, time.UTC)
			}},
		{"user defined fields", []kv{{"UserDefinedFields", map[string]any{"remediatedBy": "auto-remediation", "ticket": "SEC-9"}}},
			func(f *model.Finding) {
				f.UserDefinedFields = map[string]string{"remediatedBy": "auto-remediation", "ticket": "SEC-9"}
			}},
		{"empty user defined fields", []kv{{"UserDefinedFields", map[string]any{}}}, func(f *model.Finding) {}},
		{"missing workflow", []kv{{"Workflow", del}}, func(f *model.Finding) {}},
		{"null workflow", []kv{{"Workflow", nil}}, func(f *model.Finding) {}},
		{"legacy NEW", []kv{{"Workflow", del}, {"WorkflowState", "NEW"}}, func(f *model.Finding) {}},
		{"legacy ASSIGNED", []kv{{"Workflow", del}, {"WorkflowState", "ASSIGNED"}}, func(f *model.Finding) { f.WorkflowStatus = "NOTIFIED" }},
		{"legacy IN_PROGRESS", []kv{{"Workflow", del}, {"WorkflowState", "IN_PROGRESS"}}, func(f *model.Finding) { f.WorkflowStatus = "NOTIFIED" }},
		{"legacy DEFERRED", []kv{{"Workflow", del}, {"WorkflowState", "DEFERRED"}}, func(f *model.Finding) { f.WorkflowStatus = "SUPPRESSED" }},
		{"legacy RESOLVED", []kv{{"Workflow", del}, {"WorkflowState", "RESOLVED"}}, func(f *model.Finding) { f.WorkflowStatus = "RESOLVED" }},
		{"workflow wins over the legacy state", []kv{{"Workflow.Status", "SUPPRESSED"}, {"WorkflowState", "NEW"}},
			func(f *model.Finding) { f.WorkflowStatus = "SUPPRESSED" }},
		{"missing record state", []kv{{"RecordState", del}}, func(f *model.Finding) {}},
		{"archived", []kv{{"RecordState", "ARCHIVED"}}, func(f *model.Finding) { f.RecordState = "ARCHIVED" }},
		{"no types, no resources", []kv{{"Types", del}, {"Resources", []any{}}},
			func(f *model.Finding) { f.Type, f.ResourceType, f.ResourceID = "", "", "" }},
		{"first resource", []kv{{"Resources", []any{
			map[string]any{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::a"}, map[string]any{"Type": "AwsS3Object", "Id": "arn:aws:s3:::a/b"}}}},
			func(f *model.Finding) { f.ResourceType, f.ResourceID = "AwsS3Bucket", "arn:aws:s3:::a" }},
		{"compliance status not available", []kv{{"Compliance.Status", "NOT_AVAILABLE"}}, func(f *model.Finding) { f.ComplianceStatus = "NOT_AVAILABLE" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEdited(t, tt.edits)
			if err != nil {
				t.Fatal(err)
			}
			want := baseWant()
			tt.want(&want)
			if len(got) != 1 {
				t.Fatalf("got %d findings, want 1", len(got))
			}
			if !reflect.DeepEqual(*got[0], want) {
				t.Errorf("got  %+v\nwant %+v", *got[0], want)
			}
		})
	}
}

func TestDecodeSeverity(t *testing.T) {
	tests := []struct {
		label      any
		normalized any
		wantLabel  string
		wantNorm   int
	}{
		{del, 0, "INFORMATIONAL", 0},
		{del, 1, "LOW", 1},
		{del, 39, "LOW", 39},
		{del, 40, "MEDIUM", 40},
		{del, "69", "MEDIUM", 69},
		{del, 70, "HIGH", 70},
		{del, 89, "HIGH", 89},
		{del, 90, "CRITICAL", 90},
		{del, "100", "CRITICAL", 100},
		{"INFORMATIONAL", del, "INFORMATIONAL", 0},
		{"LOW", del, "LOW", 1},
		{"MEDIUM", del, "MEDIUM", 40},
		{"HIGH", nil, "HIGH", 70},
		{"CRITICAL", del, "CRITICAL", 90},
		// A label and a score that disagree are both kept: the label is what the console shows.
		{"LOW", 75, "LOW", 75},
	}
	for _, tt := range tests {
		t.Run(tt.wantLabel, func(t *testing.T) {
			got, err := decodeEdited(t, []kv{{"Severity.Label", tt.label}, {"Severity.Normalized", tt.normalized}})
			if err != nil {
				t.Fatal(err)
			}
			if got[0].SeverityLabel != tt.wantLabel || got[0].SeverityNormalized != tt.wantNorm {
				t.Errorf("label %v, normalized %v: got %s %d, want %s %d", tt.label, tt.normalized,
					got[0].SeverityLabel, got[0].SeverityNormalized, tt.wantLabel, tt.wantNorm)
			}
		})
	}
}

func TestDecodeProductNames(t *testing.T) {
	tests := []struct {
		productArn  string
		wantCompany string
		wantProduct string
	}{
		{"arn:aws:securityhub:us-east-1::product/aws/securityhub", "AWS", "Security Hub"},
		{"arn:aws:securityhub:us-east-1::product/aws/guardduty", "AWS", "GuardDuty"},
		{"arn:aws:securityhub:us-east-1::product/aws/inspector", "AWS", "Inspector"},
		{"arn:aws:securityhub:us-east-1::product/aws/macie", "AWS", "Macie"},
		{"arn:aws-us-gov:securityhub:us-gov-west-1::product/aws/guardduty", "AWS", "GuardDuty"},
		{"arn:aws:securityhub:us-east-1::product/aws/new-service", "AWS", "new-service"},
		{"arn:aws:securityhub:us-east-1::product/crowdstrike/crowdstrike-falcon", "crowdstrike", "crowdstrike-falcon"},
		{"arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default", "111122223333", "default"},
		{"not-an-arn", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.productArn, func(t *testing.T) {
			got, err := decodeEdited(t, []kv{{"ProductArn", tt.productArn}, {"ProductName", del}, {"CompanyName", del}})
			if err != nil {
				t.Fatal(err)
			}
			if got[0].CompanyName != tt.wantCompany || got[0].ProductName != tt.wantProduct {
				t.Errorf("got %q/%q, want %q/%q", got[0].CompanyName, got[0].ProductName, tt.wantCompany, tt.wantProduct)
			}
		})
	}
}

func TestDecodeControlIdentity(t *testing.T) {
	legacyPCI := map[string]any{
		"StandardsArn":             "arn:aws:securityhub:::standards/pci-dss/v/3.2.1",
		"StandardsSubscriptionArn": "arn:aws:securityhub:us-east-1:111122223333:subscription/pci-dss/v/3.2.1",
		"ControlId":                "PCI.S3.6",
		"StandardsControlArn":      "arn:aws:securityhub:us-east-1:111122223333:control/pci-dss/v/3.2.1/PCI.S3.6",
	}
	tests := []struct {
		name          string
		edits         []kv
		wantControl   string
		wantStandards []string
	}{
		{"consolidated: deduped, normalized, sorted",
			[]kv{{"Compliance.AssociatedStandards", []any{
				map[string]any{"StandardsId": nist},
				map[string]any{"StandardsId": "arn:aws:securityhub:us-east-1::standards/pci-dss/v/3.2.1"},
				map[string]any{"StandardsId": fsbp + "/"},
				map[string]any{"StandardsId": fsbp},
				map[string]any{"StandardsId": ""},
			}}},
			"S3.1", []string{fsbp, nist, pci}},
		{"consolidated without standards", []kv{{"Compliance.AssociatedStandards", del}}, "S3.1", nil},
		{"control id with the standard in ProductFields",
			[]kv{{"Compliance.AssociatedStandards", del}, {"ProductFields", map[string]any{"StandardsArn": "arn:aws:securityhub:::standards/pci-dss/v/3.2.1", "ControlId": "PCI.S3.6"}}},
			"S3.1", []string{pci}},
		{"legacy PCI", []kv{{"Compliance", map[string]any{"Status": "FAILED"}}, {"ProductFields", legacyPCI}}, "S3.1", []string{pci}},
		{"legacy PCI by subscription only",
			[]kv{{"Compliance", map[string]any{"Status": "FAILED"}}, {"ProductFields", map[string]any{
				"StandardsSubscriptionArn": "arn:aws:securityhub:us-east-1:111122223333:subscription/pci-dss/v/3.2.1", "ControlId": "PCI.IAM.4"}}},
			"IAM.6", []string{pci}},
		{"legacy FSBP uses security control ids",
			[]kv{{"Compliance", map[string]any{"Status": "PASSED"}}, {"ProductFields", map[string]any{
				"StandardsArn": "arn:aws:securityhub:::standards/aws-foundational-security-best-practices/v/1.0.0", "ControlId": "S3.5"}}},
			"S3.5", []string{fsbp}},
		{"legacy CIS 1.2 by RuleId",
			[]kv{{"Compliance", map[string]any{"Status": "FAILED"}}, {"GeneratorId", "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.3"},
				{"ProductFields", map[string]any{"StandardsGuideArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0", "RuleId": "4.3"}}},
			"EC2.2", []string{cis12}},
		{"legacy CIS 1.2 by GeneratorId",
			[]kv{{"Compliance", map[string]any{"Status": "FAILED"}}, {"GeneratorId", "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.14"},
				{"ProductFields", map[string]any{"StandardsGuideArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"}}},
			"IAM.6", []string{cis12}},
		{"legacy id the catalog does not know is kept",
			[]kv{{"Compliance", map[string]any{"Status": "FAILED"}}, {"ProductFields", map[string]any{
				"StandardsArn": "arn:aws:securityhub:::standards/pci-dss/v/3.2.1", "ControlId": "PCI.Example.99"}}},
			"PCI.Example.99", []string{pci}},
		{"non-control finding", []kv{{"Compliance", del}, {"GeneratorId", "arn:aws:guardduty:us-east-1:111122223333:detector/abc"}}, "", nil},
		{"non-control finding with a compliance status", []kv{{"Compliance", map[string]any{"Status": "FAILED"}}, {"GeneratorId", "arn:aws:config:us-east-1:111122223333:config-rule/x"}}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEdited(t, tt.edits)
			if err != nil {
				t.Fatal(err)
			}
			if got[0].ControlID != tt.wantControl || !reflect.DeepEqual(got[0].Standards, tt.wantStandards) {
				t.Errorf("got %q %q, want %q %q", got[0].ControlID, got[0].Standards, tt.wantControl, tt.wantStandards)
			}
		})
	}
}

// TestDecodeSamples decodes the real-shaped samples in testdata completely.
func TestDecodeSamples(t *testing.T) {
	ts := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	tests := []struct {
		file string
		want []model.Finding
	}{
		{"consolidated_fsbp.json", []model.Finding{{
			ID:                 "arn:aws:securityhub:us-east-1:111122223333:security-control/S3.5/finding/6b2f9a33-5c1d-4d7e-9a0c-2f3c4d5e6f70",
			ProductARN:         "arn:aws:securityhub:us-east-1::product/aws/securityhub",
			ProductName:        "Security Hub",
			CompanyName:        "AWS",
			GeneratorID:        "security-control/S3.5",
			AccountID:          "111122223333",
			Region:             "us-east-1",
			Type:               "Software and Configuration Checks/Industry and Regulatory Standards",
			Title:              "S3 general purpose buckets should require requests to use SSL",
			ResourceType:       "AwsS3Bucket",
			ResourceID:         "arn:aws:s3:::example-logs-111122223333",
			ControlID:          "S3.5",
			Standards:          []string{fsbp, nist, pci},
			FirstObservedAt:    ts("2024-02-11T08:15:42.137Z"),
			CreatedAt:          ts("2024-02-11T08:15:42.137Z"),
			UpdatedAt:          ts("2024-05-20T08:16:01.004Z"),
			SeverityLabel:      "MEDIUM",
			SeverityNormalized: 40,
			ComplianceStatus:   "FAILED",
			WorkflowStatus:     "NOTIFIED",
			RecordState:        "ACTIVE",
			NoteText:           "Owner: data platform team, ticket SEC-1234",
			NoteUpdatedBy:      "arn:aws:iam::111122223333:role/SecurityAutomation",
			NoteUpdatedAt:      ts("2024-05-01T12:00:00Z"),
			UserDefinedFields:  map[string]string{"owner": "data-platform", "ticket": "SEC-1234"},
		}}},
		{"legacy_pci.json", []model.Finding{{
			ID:                 "arn:aws:securityhub:eu-west-1:444455556666:subscription/pci-dss/v/3.2.1/PCI.CloudTrail.1/finding/0e1c7a52-9b1f-4a8d-8f36-7d2a9c1b3e45",
			ProductARN:         "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
			ProductName:        "Security Hub",
			CompanyName:        "AWS",
			GeneratorID:        "pci-dss/v/3.2.1/PCI.CloudTrail.1",
			AccountID:          "444455556666",
			Region:             "eu-west-1",
			Type:               "Software and Configuration Checks/Industry and Regulatory Standards/PCI-DSS",
			Title:              "PCI.CloudTrail.1 CloudTrail logs should be encrypted at rest using AWS KMS CMKs",
			ResourceType:       "AwsCloudTrailTrail",
			ResourceID:         "arn:aws:cloudtrail:eu-west-1:444455556666:trail/management-events",
			ControlID:          "CloudTrail.2",
			Standards:          []string{pci},
			FirstObservedAt:    ts("2022-09-14T17:02:11.871Z"),
			CreatedAt:          ts("2022-09-14T17:02:11.871Z"),
			UpdatedAt:          ts("2022-11-02T05:40:17.905Z"),
			SeverityLabel:      "MEDIUM",
			SeverityNormalized: 40,
			ComplianceStatus:   "FAILED",
			WorkflowStatus:     "NEW",
			RecordState:        "ACTIVE",
		}}},
		// An old CIS 1.2 finding: no Region, ProductName, CompanyName, Label or Workflow.
		{"cis12.json", []model.Finding{{
			ID:                 "arn:aws:securityhub:ap-southeast-2:777788889999:subscription/cis-aws-foundations-benchmark/v/1.2.0/2.7/finding/5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
			ProductARN:         "arn:aws:securityhub:ap-southeast-2::product/aws/securityhub",
			ProductName:        "Security Hub",
			CompanyName:        "AWS",
			GeneratorID:        "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/2.7",
			AccountID:          "777788889999",
			Region:             "ap-southeast-2",
			Type:               "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark",
			Title:              "2.7 Ensure CloudTrail logs are encrypted at rest using KMS CMKs",
			ResourceType:       "AwsAccount",
			ResourceID:         "AWS::::Account:777788889999",
			ControlID:          "CloudTrail.2",
			Standards:          []string{cis12},
			FirstObservedAt:    ts("2020-04-28T23:11:45Z"),
			CreatedAt:          ts("2020-04-28T23:11:45Z"),
			UpdatedAt:          ts("2020-06-30T23:11:59Z"),
			SeverityLabel:      "MEDIUM",
			SeverityNormalized: 40,
			ComplianceStatus:   "FAILED",
			WorkflowStatus:     "NOTIFIED",
			RecordState:        "ACTIVE",
		}}},
		{"guardduty.json", []model.Finding{{
			ID:                 "arn:aws:guardduty:us-west-2:111122223333:detector/12abc34d567e8fa901bc2d34eexample/finding/a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1",
			ProductARN:         "arn:aws:securityhub:us-west-2::product/aws/guardduty",
			ProductName:        "GuardDuty",
			CompanyName:        "AWS",
			GeneratorID:        "arn:aws:guardduty:us-west-2:111122223333:detector/12abc34d567e8fa901bc2d34eexample",
			AccountID:          "111122223333",
			Region:             "us-west-2",
			Type:               "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS",
			Title:              "Command and Control server domain name queried by EC2 instance i-0a1b2c3d4e5f67890.",
			ResourceType:       "AwsEc2Instance",
			ResourceID:         "arn:aws:ec2:us-west-2:111122223333:instance/i-0a1b2c3d4e5f67890",
			FirstObservedAt:    ts("2023-03-07T19:02:49Z"),
			CreatedAt:          ts("2023-03-07T19:14:57.121Z"),
			UpdatedAt:          ts("2023-03-09T04:22:11.893Z"),
			SeverityLabel:      "HIGH",
			SeverityNormalized: 80,
			WorkflowStatus:     "NEW",
			RecordState:        "ACTIVE",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeAll(t, tt.file, data)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if !reflect.DeepEqual(*got[i], tt.want[i]) {
					t.Errorf("finding %d:\ngot  %+v\nwant %+v", i, *got[i], tt.want[i])
				}
			}
		})
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	tests := []struct {
		name      string
		edits     []kv
		wantField string
		wantErr   string
	}{
		{"missing Id", []kv{{"Id", del}}, "Id", "missing"},
		{"empty Id", []kv{{"Id", ""}}, "Id", "missing"},
		{"null Id", []kv{{"Id", nil}}, "Id", "missing"},
		{"numeric Id", []kv{{"Id", 17}}, "Id", "got number, want a string"},
		{"missing AwsAccountId", []kv{{"AwsAccountId", del}}, "AwsAccountId", "missing"},
		{"numeric AwsAccountId", []kv{{"AwsAccountId", 111122223333}}, "AwsAccountId", "got number, want a string"},
		{"normalized not a number", []kv{{"Severity.Normalized", "abc"}}, "Severity.Normalized", `"abc" is not a number`},
		{"normalized a boolean", []kv{{"Severity.Normalized", true}}, "Severity.Normalized", "true is not a number"},
		{"normalized NaN", []kv{{"Severity.Normalized", "NaN"}}, "Severity.Normalized", `"NaN" is not a number`},
		{"normalized above 100", []kv{{"Severity.Normalized", 150}}, "Severity.Normalized", "150 is outside 0-100"},
		{"normalized below 0", []kv{{"Severity.Normalized", "-1"}}, "Severity.Normalized", "-1 is outside 0-100"},
		{"unknown label", []kv{{"Severity.Label", "SEVERE"}}, "Severity.Label", `unknown value "SEVERE"`},
		{"label a number", []kv{{"Severity.Label", 3}}, "Severity.Label", "got number, want a string"},
		{"no severity", []kv{{"Severity", del}}, "Severity", "missing"},
		{"severity a string", []kv{{"Severity", "HIGH"}}, "Severity", "got string, want an object"},
		{"bad UpdatedAt", []kv{{"UpdatedAt", "yesterday"}}, "UpdatedAt", `"yesterday" is not an RFC 3339 timestamp`},
		{"UpdatedAt without zone", []kv{{"UpdatedAt", "2024-05-20T10:00:00"}}, "UpdatedAt", `"2024-05-20T10:00:00" is not an RFC 3339 timestamp`},
		{"UpdatedAt as epoch", []kv{{"UpdatedAt", 1716199200}}, "UpdatedAt", "got number, want a string"},
		{"missing UpdatedAt", []kv{{"UpdatedAt", del}}, "UpdatedAt", "missing"},
		{"missing CreatedAt", []kv{{"CreatedAt", del}}, "CreatedAt", "missing"},
		{"bad FirstObservedAt", []kv{{"FirstObservedAt", "2024-13-01T00:00:00Z"}}, "FirstObservedAt", `"2024-13-01T00:00:00Z" is not an RFC 3339 timestamp`},
		{"bad Note.UpdatedAt", []kv{{"Note", map[string]any{"Text": "x", "UpdatedAt": "today"}}}, "Note.UpdatedAt", `"today" is not an RFC 3339 timestamp`},
		{"unknown workflow status", []kv{{"Workflow.Status", "OPEN"}}, "Workflow.Status", `unknown value "OPEN"`},
		{"unknown legacy workflow state", []kv{{"Workflow", del}, {"WorkflowState", "CLOSED"}}, "WorkflowState", `unknown value "CLOSED"`},
		{"unknown record state", []kv{{"RecordState", "DELETED"}}, "RecordState", `unknown value "DELETED"`},
		{"unknown compliance status", []kv{{"Compliance.Status", "ERROR"}}, "Compliance.Status", `unknown value "ERROR"`},
		{"types a string", []kv{{"Types", "Effects/Data Exposure"}}, "Types", "got string, want an array"},
		{"resource type a number", []kv{{"Resources", []any{map[string]any{"Type": 5, "Id": "x"}}}}, "Resources.Type", "got number, want a string"},
		{"control id a number", []kv{{"ProductFields", map[string]any{"ControlId": 1}}}, "ProductFields.ControlId", "got number, want a string"},
		{"user defined field a number", []kv{{"UserDefinedFields", map[string]any{"a": 1}}}, "UserDefinedFields", "got number, want a string"},
		{"associated standards an object", []kv{{"Compliance.AssociatedStandards", map[string]any{}}}, "Compliance.AssociatedStandards", "got object, want an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The bad record is the third one, so the error has to name its index.
			good := baseFinding()
			bad := baseFinding()
			for _, e := range tt.edits {
				edit(bad, e.path, e.value)
			}
			got, err := decodeAll(t, "findings.json", marshal(t, []any{good, good, bad, good}))
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("got error %v, want an *ImportError", err)
			}
			if ie.File != "findings.json" || ie.Record != 2 || ie.Field != tt.wantField || ie.Err.Error() != tt.wantErr {
				t.Errorf("got %q %d %q %q, want findings.json 2 %q %q", ie.File, ie.Record, ie.Field, ie.Err, tt.wantField, tt.wantErr)
			}
			if want := `import findings.json: record 2: field "` + tt.wantField + `": ` + tt.wantErr; err.Error() != want {
				t.Errorf("got message %q, want %q", err, want)
			}
			if len(got) != 2 {
				t.Errorf("fn saw %d findings before the error, want 2", len(got))
			}
		})
	}
}
