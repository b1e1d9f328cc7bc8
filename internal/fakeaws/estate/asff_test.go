package estate_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/estate"
)

func sampleFindings() []*estate.Finding {
	at := time.Date(2026, 3, 4, 5, 6, 7, 89e6, time.UTC)
	return []*estate.Finding{
		{ID: "arn:aws:securityhub:us-east-1:111111111111:security-control/S3.1/finding/1",
			ProductARN: "arn:aws:securityhub:us-east-1::product/aws/securityhub", ProductName: "Security Hub",
			CompanyName: "AWS", GeneratorID: "security-control/S3.1", AccountID: "111111111111", Region: "us-east-1",
			Type: "Software and Configuration Checks/Industry and Regulatory Standards", Title: "S3 general purpose buckets should block public access",
			ResourceType: "AwsS3Bucket", ResourceID: "arn:aws:s3:::bucket", ControlID: "S3.1",
			Standards:       []string{"standards/aws-foundational-security-best-practices/v/1.0.0", "standards/pci-dss/v/3.2.1"},
			FirstObservedAt: at.AddDate(0, -1, 0), CreatedAt: at.AddDate(0, -1, 0), UpdatedAt: at,
			SeverityLabel: "MEDIUM", SeverityNormalized: 40, ComplianceStatus: "FAILED", WorkflowStatus: "SUPPRESSED",
			RecordState: "ACTIVE", NoteText: "accepted risk", NoteUpdatedBy: "alice", NoteUpdatedAt: at.Add(-time.Hour),
			UserDefinedFields: map[string]string{"owner": "team-a"}},
		{ID: "guardduty/1", ProductARN: "arn:aws:securityhub:eu-west-1::product/aws/guardduty", ProductName: "GuardDuty",
			CompanyName: "Amazon", GeneratorID: "gd", AccountID: "222222222222", Region: "eu-west-1",
			Title: "Recon", UpdatedAt: at, CreatedAt: at, SeverityLabel: "HIGH", SeverityNormalized: 70,
			WorkflowStatus: "NEW", RecordState: "ARCHIVED"},
	}
}

// TestASFFRoundTrip: what the emulator writes, its own decoder reads back unchanged, whether as
// the CLI's {"Findings": [...]} document or a bare array.
func TestASFFRoundTrip(t *testing.T) {
	want := sampleFindings()
	var doc bytes.Buffer
	if err := estate.EncodeFindings(&doc, want); err != nil {
		t.Fatal(err)
	}
	got, err := estate.DecodeFindings(bytes.NewReader(doc.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got[0], want[0])
	}
	var wrapped struct{ Findings []json.RawMessage }
	if err := json.Unmarshal(doc.Bytes(), &wrapped); err != nil || len(wrapped.Findings) != 2 {
		t.Fatalf("document: %v, %d findings", err, len(wrapped.Findings))
	}
	arr, _ := json.Marshal(wrapped.Findings)
	if got, err := estate.DecodeFindings(bytes.NewReader(append([]byte("\n "), arr...))); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("bare array: %v", err)
	}
}

// TestASFFWireShape: the fields AWS always sends are there, in AWS's shapes.
func TestASFFWireShape(t *testing.T) {
	b, err := estate.MarshalASFF(sampleFindings()[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"SchemaVersion", "Types", "ProductFields", "FindingProviderFields", "Remediation", "Resources", "Workflow"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %s in %s", k, b)
		}
	}
	if m["WorkflowState"] != "DEFERRED" || m["LastObservedAt"] != "2026-03-04T05:06:07.089Z" {
		t.Errorf("WorkflowState %v, LastObservedAt %v", m["WorkflowState"], m["LastObservedAt"])
	}
	rem := m["Remediation"].(map[string]any)["Recommendation"].(map[string]any)["Url"]
	if rem != "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-1" {
		t.Errorf("remediation URL %v", rem)
	}
}

func TestDecodeFindingsRejects(t *testing.T) {
	for _, in := range []string{``, `{"Findings": [{"AwsAccountId": "111111111111"}]}`, `[{"Id": "x", "AwsAccountId": "1", "UpdatedAt": "yesterday"}]`, `[1]`} {
		if _, err := estate.DecodeFindings(strings.NewReader(in)); err == nil {
			t.Errorf("DecodeFindings(%q): no error", in)
		}
	}
}

func TestNewOrg(t *testing.T) {
	accounts := []estate.Account{{AccountID: "111111111111", Name: "management"}, {AccountID: "222222222222", Status: estate.StatusSuspended}}
	o, err := estate.NewOrg(&estate.Estate{Regions: []string{"us-east-1"}, Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	if o.Admin != "111111111111" || o.Management != "111111111111" || !strings.HasPrefix(o.ID, "o-") || o.Active("222222222222") || !o.Active("111111111111") {
		t.Errorf("org %+v", o)
	}
	for _, e := range []estate.Estate{
		{Regions: []string{"us-east-1"}},
		{Accounts: accounts},
		{Regions: []string{"us-east-1"}, Accounts: append(accounts, accounts[0])},
		{Regions: []string{"us-east-1"}, Accounts: accounts, Administrator: "222222222222"},
		{Regions: []string{"us-east-1"}, Accounts: []estate.Account{{AccountID: "12"}}},
	} {
		if _, err := estate.NewOrg(&e); err == nil {
			t.Errorf("NewOrg(%+v): no error", e)
		}
	}
}

func TestFromFindings(t *testing.T) {
	fs := sampleFindings()
	extra := *fs[1]
	extra.ID, extra.AccountID = "guardduty/2", "333333333333"
	fs = append(fs, &extra)
	e, err := estate.FromFindings(fs)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range e.Accounts {
		ids = append(ids, a.AccountID)
	}
	if got, want := strings.Join(ids, ","), "111111111111,222222222222,333333333333"; got != want || e.Administrator != "111111111111" {
		t.Errorf("accounts %s (administrator %s), want %s", got, e.Administrator, want)
	}
	if got := strings.Join(e.Regions, ","); got != "eu-west-1,us-east-1" {
		t.Errorf("regions %s: the home region is the one with the most findings", got)
	}
	if len(e.Standards) != 2 || !e.Now.Equal(fs[0].UpdatedAt) {
		t.Errorf("standards %v, now %v", e.Standards, e.Now)
	}
	if _, err := estate.NewOrg(e); err != nil {
		t.Errorf("the estate's organization: %v", err)
	}
	bad := *fs[0]
	bad.AccountID = ""
	for _, in := range [][]*estate.Finding{nil, {&bad}} {
		if _, err := estate.FromFindings(in); err == nil {
			t.Errorf("FromFindings(%v): no error", in)
		}
	}
}
