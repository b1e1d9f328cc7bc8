package ocsf_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/ocsf"
	"github.com/hubreport/hubreport/internal/ocsf/ocsftest"
)

// demoFindings is a demo organization's first and last day: every product, compliance status,
// workflow, record state, note and user-defined field the demo makes.
func demoFindings(t testing.TB) []*model.Finding {
	t.Helper()
	org, err := demo.New(demo.Config{Accounts: 4, Days: 40})
	if err != nil {
		t.Fatal(err)
	}
	var fs []*model.Finding
	for _, d := range []int{0, 39} {
		if err := org.Snapshot(context.Background(), d, collect.SinkFunc(func(f *model.Finding) error {
			c := *f
			fs = append(fs, &c)
			return nil
		})); err != nil {
			t.Fatal(err)
		}
	}
	return fs
}

// TestConstantsMatchSchema holds the mapping's numbers and captions to the vendored schema files:
// the class, category and version, and every enum id the mapping writes with its caption.
func TestConstantsMatchSchema(t *testing.T) {
	s := ocsftest.Load(t)
	classUID, categoryUID := s.Class(t, "compliance_finding")
	if ocsf.ClassUID != classUID {
		t.Errorf("ClassUID = %d, the schema says %d", ocsf.ClassUID, classUID)
	}
	if ocsf.CategoryUID != categoryUID {
		t.Errorf("CategoryUID = %d, the schema says %d", ocsf.CategoryUID, categoryUID)
	}
	if ocsf.SchemaVersion != s.Version() {
		t.Errorf("SchemaVersion = %s, the vendored schema is %s", ocsf.SchemaVersion, s.Version())
	}
	// Every enum value the writer can produce, captioned as the schema captions it.
	f := &model.Finding{ID: "x", ProductName: "Security Hub", AccountID: "111111111111", UpdatedAt: time.UnixMilli(1), CreatedAt: time.UnixMilli(1),
		ResourceID: "r"}
	for _, sev := range []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"} {
		for _, wf := range []string{"NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED"} {
			for _, cs := range []string{"", "PASSED", "FAILED", "WARNING", "NOT_AVAILABLE"} {
				for _, rs := range []string{"ACTIVE", "ARCHIVED"} {
					f.SeverityLabel, f.WorkflowStatus, f.ComplianceStatus, f.RecordState = sev, wf, cs, rs
					b, err := ocsf.Marshal(f)
					if err != nil {
						t.Fatal(err)
					}
					if errs := s.Check(t, "compliance_finding", b); len(errs) > 0 {
						t.Fatalf("%s/%s/%s/%s: %s\n%s", sev, wf, cs, rs, strings.Join(errs, "\n"), b)
					}
				}
			}
		}
	}
}

// TestExportValidates validates every record written for the demo findings against the
// vendored schema.
func TestExportValidates(t *testing.T) {
	s := ocsftest.Load(t)
	var buf bytes.Buffer
	w := ocsf.NewWriter(&buf)
	fs := demoFindings(t)
	for _, f := range fs {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), []byte{'\n'})
	if len(lines) != len(fs) || w.Records() != int64(len(fs)) {
		t.Fatalf("%d lines, %d records counted, for %d findings", len(lines), w.Records(), len(fs))
	}
	bad := 0
	for i, l := range lines {
		if errs := s.Check(t, "compliance_finding", l); len(errs) > 0 {
			bad++
			if bad <= 3 {
				t.Errorf("record %d: %s\n%s", i, strings.Join(errs, "\n"), l)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d records do not validate", bad, len(lines))
	}
}

// TestCheckerBites: the checker must reject what the schema forbids, or TestExportValidates
// proves nothing.
func TestCheckerBites(t *testing.T) {
	s := ocsftest.Load(t)
	good, err := ocsf.Marshal(&model.Finding{ID: "x", Title: "t", ProductName: "Security Hub", AccountID: "111111111111", UpdatedAt: time.UnixMilli(1000),
		CreatedAt: time.UnixMilli(1000), SeverityLabel: "HIGH", WorkflowStatus: "NEW", RecordState: "ACTIVE",
		ComplianceStatus: "FAILED", ControlID: "S3.1", ResourceID: "arn:aws:s3:::b"})
	if err != nil {
		t.Fatal(err)
	}
	if errs := s.Check(t, "compliance_finding", good); len(errs) > 0 {
		t.Fatalf("the unchanged record fails: %v", errs)
	}
	for _, c := range []struct{ old, new, want string }{
		{`"class_uid":2003`, `"class_uid":2004`, "class_uid"},
		{`"category_uid":2`, `"category_uid":3`, "category_uid"},
		{`"type_uid":200301`, `"type_uid":200302`, "type_uid"},
		{`"severity_id":4`, `"severity_id":7`, "severity_id"},
		{`"severity":"High"`, `"severity":"Low"`, "severity"},
		{`"status_id":1`, `"status_id":9`, "status_id"},
		{`"status_id":3,`, `"status_id":4,`, "compliance.status_id"},
		{`"time":1000`, `"time":"1000"`, "time"},
		{`"uid":"x"`, `"uidx":"x"`, "finding_info.uid"},
		{`"provider":"AWS",`, ``, "cloud.provider"},
		{`"version":"1.6.0"`, `"version":"1.5.0"`, "metadata.version"},
		{`"profiles":["cloud"]`, `"profiles":[]`, "cloud"},
		{`"desc":"`, `"description":"`, "finding_info.description"},
		{`"uid":"arn:aws:s3:::b",`, ``, "resources[0]"},
	} {
		bad := strings.Replace(string(good), c.old, c.new, 1)
		if bad == string(good) {
			t.Fatalf("%q is not in the record: %s", c.old, good)
		}
		errs := s.Check(t, "compliance_finding", []byte(bad))
		found := false
		for _, e := range errs {
			found = found || strings.HasPrefix(e, c.want)
		}
		if !found {
			t.Errorf("%s -> %s: errors %q, want one about %s", c.old, c.new, errs, c.want)
		}
	}
}

func msTrunc(tm time.Time) time.Time { return tm.UTC().Truncate(time.Millisecond) }

// TestRoundTrip writes the demo findings and reads them back: every one must come back equal
// (times to the millisecond, as OCSF keeps them).
func TestRoundTrip(t *testing.T) {
	for i, want := range demoFindings(t) {
		b, err := ocsf.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ocsf.Unmarshal(b)
		if err != nil {
			t.Fatalf("finding %d: %v\n%s", i, err, b)
		}
		w := *want
		w.FirstObservedAt, w.CreatedAt, w.UpdatedAt, w.NoteUpdatedAt = msTrunc(w.FirstObservedAt), msTrunc(w.CreatedAt), msTrunc(w.UpdatedAt), msTrunc(w.NoteUpdatedAt)
		if len(w.Standards) == 0 {
			w.Standards = nil
		}
		if len(w.UserDefinedFields) == 0 {
			w.UserDefinedFields = nil
		}
		if !reflect.DeepEqual(&w, got) {
			t.Fatalf("finding %d changed in the round trip:\nwrote %+v\nread  %+v\n%s", i, w, *got, b)
		}
	}
}

// securityHubRecord is a control finding written by hand in the shape Security Hub's GetFindingsV2
// returns and its export jobs write, as the AWS documentation describes it: OCSF 1.6, findings
// identified by cloud.account.uid, finding_info.uid and metadata.product.uid (the API's
// OcsfFindingIdentifier), the _dt times beside the epoch ones (modified_time_dt decides retention),
// Close activities for closed findings, status_id Suppressed. The values (an S3.1 control finding)
// are illustrative, not copied from an AWS sample.
const securityHubRecord = `{
  "activity_id": 2, "activity_name": "Update",
  "category_name": "Findings", "category_uid": 2,
  "class_name": "Compliance Finding", "class_uid": 2003,
  "type_name": "Compliance Finding: Update", "type_uid": 200302,
  "severity": "Medium", "severity_id": 3,
  "status": "Suppressed", "status_id": 3,
  "time": 1727870485000, "time_dt": "2024-10-02T12:01:25.000Z",
  "cloud": {"account": {"type": "AWS Account", "type_id": 10, "uid": "123456789012"},
            "provider": "AWS", "region": "us-east-1"},
  "compliance": {"control": "S3.1", "status": "Fail", "status_id": 3,
                 "standards": ["arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",
                               "standards/nist-800-53/v/5.0.0"],
                 "status_details": ["Block public access settings are not enabled for the account"]},
  "finding_info": {
    "uid": "arn:aws:securityhub:us-east-1:123456789012:security-control/S3.1/finding/2f5ccb50-5b8c-4a6b-8e3b-9d9c9b0c4a21",
    "title": "S3 general purpose buckets should have block public access settings enabled",
    "desc": "This control checks whether the preceding Amazon S3 block public access settings are configured at the account level.",
    "types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
    "created_time_dt": "2024-09-12T08:30:00.000Z", "first_seen_time_dt": "2024-09-12T08:30:00.000Z",
    "last_seen_time_dt": "2024-10-02T12:01:25.000Z", "modified_time": 1727870485000,
    "modified_time_dt": "2024-10-02T12:01:25.000Z"
  },
  "metadata": {"product": {"name": "Security Hub", "uid": "arn:aws:securityhub:us-east-1::productv2/aws/securityhub",
                           "vendor_name": "AWS", "feature": {"uid": "security-hub-cspm"}},
               "profiles": ["cloud", "datetime"], "uid": "b9b3a4b4-1f44-4c7a-bbd1-b2e2c6e2c0a7", "version": "1.6.0"},
  "resources": [{"cloud_partition": "aws", "owner": {"account": {"uid": "123456789012"}}, "region": "us-east-1",
                 "type": "AWS::::Account", "uid": "AWS::::Account:123456789012"}],
  "remediation": {"desc": "For information on how to correct this issue, consult the AWS Security Hub controls documentation.",
                  "references": ["https://docs.aws.amazon.com/console/securityhub/S3.1/remediation"]},
  "comment": "Account-level block public access is replaced by bucket policies; accepted risk",
  "vendor_attributes": {"severity": "Medium", "severity_id": 3}
}`

// TestSecurityHubRecord imports a hand-written record in Security Hub's own OCSF shape.
func TestSecurityHubRecord(t *testing.T) {
	got, err := ocsf.Unmarshal([]byte(securityHubRecord))
	if err != nil {
		t.Fatal(err)
	}
	want := &model.Finding{
		ID:                 "arn:aws:securityhub:us-east-1:123456789012:security-control/S3.1/finding/2f5ccb50-5b8c-4a6b-8e3b-9d9c9b0c4a21",
		ProductARN:         "arn:aws:securityhub:us-east-1::productv2/aws/securityhub",
		ProductName:        "Security Hub",
		CompanyName:        "AWS",
		AccountID:          "123456789012",
		Region:             "us-east-1",
		Type:               "Software and Configuration Checks/Industry and Regulatory Standards",
		Title:              "S3 general purpose buckets should have block public access settings enabled",
		ResourceType:       "AWS::::Account",
		ResourceID:         "AWS::::Account:123456789012",
		ControlID:          "S3.1",
		Standards:          []string{"arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0", "standards/nist-800-53/v/5.0.0"},
		FirstObservedAt:    time.Date(2024, 9, 12, 8, 30, 0, 0, time.UTC),
		CreatedAt:          time.Date(2024, 9, 12, 8, 30, 0, 0, time.UTC),
		UpdatedAt:          time.Date(2024, 10, 2, 12, 1, 25, 0, time.UTC),
		SeverityLabel:      "MEDIUM",
		SeverityNormalized: 40,
		ComplianceStatus:   "FAILED",
		WorkflowStatus:     "SUPPRESSED",
		RecordState:        "ACTIVE",
		NoteText:           "Account-level block public access is replaced by bucket policies; accepted risk",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read\n %+v\nwant\n %+v", *got, *want)
	}
	// Closed (Security Hub's archived): the Close activity.
	closed := strings.Replace(securityHubRecord, `"activity_id": 2`, `"activity_id": 3`, 1)
	if got, err := ocsf.Unmarshal([]byte(closed)); err != nil || got.RecordState != "ARCHIVED" {
		t.Errorf("a Close activity: %+v, %v; want RecordState ARCHIVED", got, err)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	for _, c := range []struct{ old, new, field string }{
		{`"uid": "arn:aws:securityhub:us-east-1:123456789012:security-control`, `"uid": "", "x": "`, "finding_info.uid"},
		{`"type_id": 10, "uid": "123456789012"}`, `"type_id": 10, "uid": ""}`, "cloud.account.uid"},
		{`"severity_id": 3`, `"severity_id": 8`, "severity_id"},
		{`"status_id": 3,`, `"status_id": 9,`, "status_id"},
		{`"status": "Fail", "status_id": 3`, `"status": "Fail", "status_id": 7`, "compliance.status_id"},
		{`"status": "Fail", "status_id": 3`, `"status": "Meh"`, "compliance.status"},
		{`"compliance": {`, `"compliancex": {`, "compliance"},
		{`"modified_time": 1727870485000`, `"modified_time": "yesterday"`, "finding_info.modified_time"},
		{`"created_time_dt": "2024-09-12T08:30:00.000Z"`, `"created_time_dt": "12/09/2024"`, "finding_info.created_time_dt"},
	} {
		b := strings.Replace(securityHubRecord, c.old, c.new, 1)
		if b == securityHubRecord {
			t.Fatalf("%q is not in the sample", c.old)
		}
		_, err := ocsf.Unmarshal([]byte(b))
		var fe *ocsf.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s -> %s: error %v, want one naming %s", c.old, c.new, err, c.field)
		}
	}
	// Every time missing: nothing to build the history on.
	b := securityHubRecord
	for _, k := range []string{`"time"`, `"time_dt"`, `"modified_time"`, `"modified_time_dt"`, `"last_seen_time_dt"`} {
		b = strings.Replace(b, k, `"x`+strconv.Itoa(len(b))+`"`, 1)
	}
	var fe *ocsf.FieldError
	if _, err := ocsf.Unmarshal([]byte(b)); !errors.As(err, &fe) || fe.Field != "time" {
		t.Errorf("no time at all: %v, want an error naming time", err)
	}
}

// TestOtherClassIsRefused: Unmarshal maps Compliance Findings only; another class is a ClassError
// naming it (collect skips such records before, and names them with ClassName).
func TestOtherClassIsRefused(t *testing.T) {
	b := strings.Replace(securityHubRecord, `"class_uid": 2003`, `"class_uid": 2004`, 1)
	_, err := ocsf.Unmarshal([]byte(b))
	var ce *ocsf.ClassError
	if !errors.As(err, &ce) || ce.ClassUID != 2004 || !strings.Contains(err.Error(), "Detection Finding") {
		t.Errorf("class 2004: %v, want a ClassError naming Detection Finding", err)
	}
	if n := ocsf.ClassName(2002); n != "Vulnerability Finding" {
		t.Errorf("ClassName(2002) = %q", n)
	}
	if n := ocsf.ClassName(3002); n != "not a Finding class" {
		t.Errorf("ClassName(3002) = %q", n)
	}
	if _, err := ocsf.Unmarshal([]byte(`{"Id": "x", "ProductFields": {"class_uid": "1"}}`)); !errors.Is(err, ocsf.ErrNotOCSF) {
		t.Errorf("class_uid below the top level: %v, want ErrNotOCSF", err)
	}
}

// BenchmarkWriter is the encoder's share of an export: demo findings, written as JSON lines.
func BenchmarkWriter(b *testing.B) {
	fs := demoFindings(b)
	var n int64
	b.ResetTimer()
	for b.Loop() {
		w := ocsf.NewWriter(io.Discard)
		for _, f := range fs {
			if err := w.Write(f); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		n += w.Records()
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "findings/s")
}
