package collect_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/model"
)

// ocsfRecord is a control finding as Security Hub writes it in OCSF (trimmed to what matters
// here): the standards as an ARN and a resource id, unsorted.
const ocsfRecord = `{"activity_id": 2, "category_uid": 2, "class_uid": 2003, "type_uid": 200302,
 "severity": "High", "severity_id": 4, "status": "New", "status_id": 1, "time": 1727870485000,
 "cloud": {"account": {"uid": "123456789012"}, "provider": "AWS", "region": "eu-west-1"},
 "compliance": {"control": "EC2.19", "status": "Fail", "status_id": 3,
   "standards": ["standards/nist-800-53/v/5.0.0", "arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0"]},
 "finding_info": {"uid": "arn:aws:securityhub:eu-west-1:123456789012:security-control/EC2.19/finding/1", "title": "Security groups should not allow unrestricted access to ports with high risk"},
 "metadata": {"product": {"name": "Security Hub", "uid": "arn:aws:securityhub:eu-west-1::productv2/aws/securityhub", "vendor_name": "AWS"}, "version": "1.6.0"},
 "resources": [{"type": "AWS::EC2::SecurityGroup", "uid": "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1"}]}`

// TestDecodeOCSF: OCSF Compliance Findings read in the shapes exports come in (JSON lines, an
// array, a GetFindingsV2 page), with their standards normalized; records of other classes are
// left out; a bad attribute is named.
func TestDecodeOCSF(t *testing.T) {
	line := strings.ReplaceAll(ocsfRecord, "\n", "")
	for name, in := range map[string]string{
		"jsonl": line + "\n" + line + "\n",
		"array": "[" + ocsfRecord + "," + ocsfRecord + "]",
		"page":  `{"Findings": [` + ocsfRecord + `,` + ocsfRecord + `], "NextToken": null}`,
	} {
		var got []*model.Finding
		err := collect.Decode(context.Background(), name, strings.NewReader(in), nil, func(f *model.Finding) error {
			got = append(got, f)
			return nil
		})
		if err != nil || len(got) != 2 {
			t.Fatalf("%s: %d findings, %v", name, len(got), err)
		}
		f := got[0]
		wantStd := []string{"standards/aws-foundational-security-best-practices/v/1.0.0", "standards/nist-800-53/v/5.0.0"}
		if f.ControlID != "EC2.19" || f.ComplianceStatus != "FAILED" || f.WorkflowStatus != "NEW" || f.RecordState != "ACTIVE" ||
			f.AccountID != "123456789012" || f.Region != "eu-west-1" || f.SeverityLabel != "HIGH" || !slices.Equal(f.Standards, wantStd) {
			t.Errorf("%s: read %+v", name, *f)
		}
	}

	// Records of other classes are skipped (counted in TestDecodeSkipsOtherOCSFClasses), not read.
	other := strings.Replace(line, `"class_uid": 2003`, `"class_uid": 2002`, 1)
	auth := `{"class_uid": 3002, "category_uid": 3, "time": 1727870485000, "metadata": {"version": "1.6.0"}}`
	var got []*model.Finding
	err := collect.Decode(context.Background(), "mixed.jsonl", strings.NewReader(line+"\n"+other+"\n"+auth+"\n"), nil,
		func(f *model.Finding) error { got = append(got, f); return nil })
	if err != nil || len(got) != 1 {
		t.Errorf("a Compliance Finding, a Vulnerability Finding and an Authentication event: %d findings, %v; want 1", len(got), err)
	}
	// A record with an ASFF attribute is taken for a finding; with another class it is refused.
	withID := strings.Replace(other, `{"activity_id"`, `{"Id": "x", "activity_id"`, 1)
	err = collect.Decode(context.Background(), "id.jsonl", strings.NewReader(withID), nil, func(*model.Finding) error { return nil })
	var ie *collect.ImportError
	if !errors.As(err, &ie) || ie.Record != 0 || ie.Field != "class_uid" || !strings.Contains(err.Error(), "2002 (Vulnerability Finding)") {
		t.Errorf("a Vulnerability Finding with an Id: %v, want an ImportError at record 0, field class_uid", err)
	}
	bad := strings.Replace(line, `"status": "Fail", "status_id": 3`, `"status_id": 12`, 1)
	err = collect.Decode(context.Background(), "bad.jsonl", strings.NewReader(bad), nil, func(*model.Finding) error { return nil })
	if !errors.As(err, &ie) || ie.Record != 0 || ie.Field != "compliance.status_id" {
		t.Errorf("compliance.status_id 12: %v, want an ImportError naming the field", err)
	}
}
