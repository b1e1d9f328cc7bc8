package catalog

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

const (
	fsbpID   = "standards/aws-foundational-security-best-practices/v/1.0.0"
	cis5ID   = "standards/cis-aws-foundations-benchmark/v/5.0.0"
	pciID    = "standards/pci-dss/v/3.2.1"
	nistID   = "standards/nist-800-53/v/5.0.0"
	cis12ID  = "ruleset/cis-aws-foundations-benchmark/v/1.2.0"
	cis14ID  = "standards/cis-aws-foundations-benchmark/v/1.4.0"
	cis30ID  = "standards/cis-aws-foundations-benchmark/v/3.0.0"
	pciARN   = "arn:aws:securityhub:::standards/pci-dss/v/3.2.1"
	cis12ARN = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"
)

func defaultCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatalf("Default(): %v", err)
	}
	return c
}

// countIn returns how many controls of the catalog belong to the standard with resource id sid.
func countIn(c *Catalog, sid string) int {
	n := 0
	for _, ctl := range c.Controls {
		if slices.Contains(ctl.Standards, sid) {
			n++
		}
	}
	return n
}

func TestDefaultSize(t *testing.T) {
	c := defaultCatalog(t)
	if got := len(c.Controls); got < 160 {
		t.Errorf("catalog has %d controls, want at least 160", got)
	}
	if got := len(c.Standards); got != 7 {
		t.Errorf("catalog has %d standards, want 7", got)
	}
}

// The Security Hub CSPM user guide lists exactly these numbers of controls for the CIS and PCI DSS
// v3.2.1 standards (CIS v5.0.0: 40, v3.0.0: 37, v1.4.0: 39, v1.2.0: 42; PCI DSS v3.2.1: 44 after the
// retirement of S3.4). FSBP and NIST have several hundred controls; the catalog carries a subset, so
// only lower bounds (what the catalog carries today) are asserted for them.
func TestStandardCounts(t *testing.T) {
	c := defaultCatalog(t)
	tests := []struct {
		id       string
		min, max int
	}{
		{cis5ID, 40, 40},
		{cis30ID, 37, 37},
		{cis14ID, 39, 39},
		{cis12ID, 42, 42},
		{pciID, 44, 44},
		{fsbpID, 300, 1000},
		{nistID, 270, 1000},
	}
	for _, tt := range tests {
		if got := countIn(c, tt.id); got < tt.min || got > tt.max {
			t.Errorf("%s has %d controls, want %d..%d", tt.id, got, tt.min, tt.max)
		}
	}
}

func TestSpotChecks(t *testing.T) {
	c := defaultCatalog(t)
	tests := []struct {
		id       string
		title    string
		severity string
		rtype    string
		global   bool
		in, out  []string // standards the control must / must not belong to
	}{
		{"S3.1", "S3 general purpose buckets should have block public access settings enabled", "MEDIUM", "AwsAccount", false,
			[]string{fsbpID, cis5ID, pciID, nistID, cis14ID, cis30ID}, []string{cis12ID}},
		{"IAM.6", "Hardware MFA should be enabled for the root user", "CRITICAL", "AwsAccount", true,
			[]string{fsbpID, cis5ID, pciID, nistID, cis12ID, cis14ID, cis30ID}, nil},
		{"IAM.9", "MFA should be enabled for the root user", "CRITICAL", "AwsAccount", true,
			[]string{cis5ID, pciID, nistID, cis12ID}, []string{fsbpID}},
		{"CloudTrail.2", "CloudTrail should have encryption at-rest enabled", "MEDIUM", "AwsCloudTrailTrail", false,
			[]string{fsbpID, cis5ID, pciID, nistID, cis12ID, cis14ID, cis30ID}, nil},
		{"CloudTrail.4", "CloudTrail log file validation should be enabled", "LOW", "AwsCloudTrailTrail", false,
			[]string{fsbpID, cis5ID, pciID}, nil},
		{"CloudTrail.5", "CloudTrail trails should be integrated with Amazon CloudWatch Logs", "LOW", "AwsCloudTrailTrail", false,
			[]string{pciID, cis12ID, cis14ID}, []string{cis5ID, cis30ID}},
		{"Config.1", "AWS Config should be enabled and use the service-linked role for resource recording", "CRITICAL", "AwsAccount", false,
			[]string{fsbpID, cis5ID, pciID, nistID, cis12ID, cis14ID, cis30ID}, nil},
		{"EC2.2", "VPC default security groups should not allow inbound or outbound traffic", "HIGH", "AwsEc2SecurityGroup", false,
			[]string{fsbpID, cis5ID, pciID, nistID}, nil},
		{"EC2.53", "EC2 security groups should not allow ingress from 0.0.0.0/0 to remote server administration ports", "HIGH", "AwsEc2SecurityGroup", false,
			[]string{cis5ID, cis30ID}, []string{fsbpID, nistID, cis14ID}},
		{"KMS.4", "AWS KMS key rotation should be enabled", "MEDIUM", "AwsKmsKey", false,
			[]string{cis5ID, pciID, nistID, cis12ID}, []string{fsbpID}},
		{"CloudFront.1", "CloudFront distributions should have a default root object configured", "HIGH", "AwsCloudFrontDistribution", true,
			[]string{fsbpID, nistID}, []string{pciID}},
		{"IAM.28", "IAM Access Analyzer external access analyzer should be enabled", "HIGH", "AwsAccessAnalyzerAnalyzer", false,
			[]string{cis5ID, cis30ID}, []string{fsbpID}},
		{"CloudWatch.1", `A log metric filter and alarm should exist for usage of the "root" user`, "LOW", "AwsAccount", false,
			[]string{pciID, cis12ID, cis14ID}, []string{cis5ID, fsbpID}},
		{"RDS.2", "RDS DB Instances should prohibit public access, as determined by the PubliclyAccessible configuration", "CRITICAL", "AwsRdsDbInstance", false,
			[]string{fsbpID, cis5ID, pciID, nistID, cis30ID}, []string{cis14ID}},
		{"ACM.2", "RSA certificates managed by ACM should use a key length of at least 2,048 bits", "HIGH", "AwsCertificateManagerCertificate", false,
			[]string{fsbpID}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			ctl, ok := c.Control(tt.id)
			if !ok {
				t.Fatalf("control %s missing", tt.id)
			}
			if ctl.Title != tt.title {
				t.Errorf("title = %q, want %q", ctl.Title, tt.title)
			}
			if ctl.Severity != tt.severity {
				t.Errorf("severity = %s, want %s", ctl.Severity, tt.severity)
			}
			if ctl.ResourceType != tt.rtype {
				t.Errorf("resource type = %s, want %s", ctl.ResourceType, tt.rtype)
			}
			if ctl.Global != tt.global {
				t.Errorf("global = %v, want %v", ctl.Global, tt.global)
			}
			for _, s := range tt.in {
				if !slices.Contains(ctl.Standards, s) {
					t.Errorf("not in %s; standards %v", s, ctl.Standards)
				}
			}
			for _, s := range tt.out {
				if slices.Contains(ctl.Standards, s) {
					t.Errorf("unexpectedly in %s", s)
				}
			}
		})
	}
}

// Retired controls must not be in the catalog: they never produce findings and would drag scores.
func TestRetiredControlsAbsent(t *testing.T) {
	c := defaultCatalog(t)
	for _, id := range []string{"IAM.20", "S3.4", "CloudFront.2", "CodeBuild.5", "EC2.22", "RDS.18", "SNS.2"} {
		if _, ok := c.Control(id); ok {
			t.Errorf("retired control %s is in the catalog", id)
		}
	}
}

func TestCatalogInvariants(t *testing.T) {
	c := defaultCatalog(t)
	for _, ctl := range c.Controls {
		if ctl.Title == "" || strings.TrimSpace(ctl.Title) != ctl.Title {
			t.Errorf("%s: bad title %q", ctl.ID, ctl.Title)
		}
		if !strings.HasPrefix(ctl.ResourceType, "Aws") {
			t.Errorf("%s: resource type %q is not an ASFF type", ctl.ID, ctl.ResourceType)
		}
		if len(ctl.Standards) == 0 {
			t.Errorf("%s: belongs to no standard", ctl.ID)
		}
		if strings.HasPrefix(ctl.ID, "IAM.") && ctl.ID != "IAM.28" && !ctl.Global {
			t.Errorf("%s: IAM controls evaluate global resources", ctl.ID)
		}
	}
	// Every legacy mapping must point at a control that belongs to the same standard.
	for key, cid := range c.legacy {
		sid, legacyID, _ := strings.Cut(key, "\x00")
		ctl := c.controlByID[cid]
		if !slices.Contains(ctl.Standards, sid) {
			t.Errorf("legacy %s %s -> %s, but %s is not in that standard", sid, legacyID, cid, cid)
		}
	}
}

func TestSecurityControlID(t *testing.T) {
	c := defaultCatalog(t)
	tests := []struct {
		standard, legacy string
		want             string
		ok               bool
	}{
		{pciARN, "PCI.CloudTrail.1", "CloudTrail.2", true},
		{pciARN, "PCI.CloudTrail.2", "CloudTrail.3", true},
		{pciARN, "PCI.IAM.5", "IAM.9", true},
		{pciARN, "PCI.S3.6", "S3.1", true},
		{pciARN, "PCI.EC2.4", "EC2.12", true},
		{"arn:aws:securityhub:eu-central-1:111122223333:subscription/pci-dss/v/3.2.1", "PCI.SSM.3", "SSM.1", true},
		{cis12ARN, "2.7", "CloudTrail.2", true},
		{cis12ARN, "1.1", "CloudWatch.1", true},
		{cis12ARN, "3.3", "CloudWatch.1", true},
		{cis12ARN, "4.3", "EC2.2", true},
		{"arn:aws:securityhub:us-east-1:111122223333:subscription/cis-aws-foundations-benchmark/v/1.2.0", "1.14", "IAM.6", true},
		{"arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/1.4.0", "2.1.5.2", "S3.8", true},
		{"arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/5.0.0", "5.5", "EC2.2", true},
		{"arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0", "5.4", "EC2.2", true},
		// FSBP and NIST legacy findings already use security control ids.
		{"arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0", "S3.5", "S3.5", true},
		// A CIS 1.2 rule id means nothing in another standard.
		{pciARN, "2.7", "", false},
		{cis12ARN, "9.9", "", false},
	}
	for _, tt := range tests {
		got, ok := c.SecurityControlID(tt.standard, tt.legacy)
		if got != tt.want || ok != tt.ok {
			t.Errorf("SecurityControlID(%q, %q) = %q, %v; want %q, %v", tt.standard, tt.legacy, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormalizeStandardID(t *testing.T) {
	tests := []struct{ in, want string }{
		{cis12ARN, cis12ID},
		{"arn:aws:securityhub:us-east-1::standards/pci-dss/v/3.2.1", pciID},
		{"arn:aws-us-gov:securityhub:us-gov-west-1::standards/nist-800-53/v/5.0.0", nistID},
		{"arn:aws:securityhub:us-east-1:111122223333:subscription/pci-dss/v/3.2.1", pciID},
		{"arn:aws:securityhub:us-east-1:111122223333:subscription/cis-aws-foundations-benchmark/v/1.2.0", cis12ID},
		{"arn:aws:securityhub:us-east-1:111122223333:subscription/aws-foundational-security-best-practices/v/1.0.0", fsbpID},
		{"standards/cis-aws-foundations-benchmark/v/5.0.0/", cis5ID},
		{"  " + pciID + " ", pciID},
		{cis12ID, cis12ID},
	}
	for _, tt := range tests {
		if got := NormalizeStandardID(tt.in); got != tt.want {
			t.Errorf("NormalizeStandardID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStandardLookup(t *testing.T) {
	c := defaultCatalog(t)
	for _, in := range []string{"cis5", cis5ID, "arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/5.0.0"} {
		s, ok := c.Standard(in)
		if !ok || s.Key != "cis5" {
			t.Errorf("Standard(%q) = %+v, %v; want cis5", in, s, ok)
		}
	}
	if _, ok := c.Standard("standards/unknown/v/1.0.0"); ok {
		t.Error("Standard found an unknown standard")
	}
}

func TestRemediationURL(t *testing.T) {
	tests := []struct{ id, want string }{
		{"S3.1", "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-1"},
		{"CloudTrail.2", "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-2"},
		{"Autoscaling.5", "https://docs.aws.amazon.com/securityhub/latest/userguide/autoscaling-controls.html#autoscaling-5"},
		{"SecretsManager.4", "https://docs.aws.amazon.com/securityhub/latest/userguide/secretsmanager-controls.html#secretsmanager-4"},
		{"EC2.170", "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-170"},
	}
	for _, tt := range tests {
		if got := (Control{ID: tt.id}).RemediationURL(); got != tt.want {
			t.Errorf("RemediationURL(%s) = %s, want %s", tt.id, got, tt.want)
		}
	}
}

func TestForSnapshotDefaults(t *testing.T) {
	c := defaultCatalog(t)
	stds, ctls := c.ForSnapshot(nil)
	if len(stds) != 4 {
		t.Fatalf("ForSnapshot(nil) gave %d standards, want 4", len(stds))
	}
	want := countIn(c, fsbpID) + countIn(c, cis5ID) + countIn(c, pciID) + countIn(c, nistID)
	if len(ctls) != want {
		t.Errorf("ForSnapshot(nil) gave %d control rows, want %d", len(ctls), want)
	}
}

const (
	goodStandards = "key,id,name,short_name\n" +
		"fsbp,standards/aws-foundational-security-best-practices/v/1.0.0,FSBP,FSBP\n"
	goodControls = "control_id,title,severity,resource_type,scope,standards\n" +
		"S3.1,Title one,MEDIUM,AwsAccount,regional,fsbp\n" +
		"IAM.6,Title two,CRITICAL,AwsAccount,global,fsbp\n"
	goodLegacy = "standard_key,legacy_id,control_id\n"
)

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name                        string
		standards, controls, legacy string
		wantFile                    string
		wantLine                    string
		wantText                    string
	}{
		{"unknown standard key", goodStandards,
			goodControls + "EC2.2,Title,HIGH,AwsEc2SecurityGroup,regional,fsbp cis99\n", goodLegacy,
			"controls.csv", "line 4", `unknown standard key "cis99"`},
		{"bad severity", goodStandards,
			"control_id,title,severity,resource_type,scope,standards\n" +
				"S3.1,Title,MEDIUM,AwsAccount,regional,fsbp\n" +
				"S3.2,Title,Severe,AwsS3Bucket,regional,fsbp\n", goodLegacy,
			"controls.csv", "line 3", `severity "Severe"`},
		{"bad scope", goodStandards,
			goodControls + "S3.2,Title,HIGH,AwsS3Bucket,everywhere,fsbp\n", goodLegacy,
			"controls.csv", "line 4", `scope "everywhere"`},
		{"duplicate control", goodStandards,
			goodControls + "S3.1,Again,LOW,AwsAccount,regional,fsbp\n", goodLegacy,
			"controls.csv", "line 4", "duplicate control S3.1"},
		{"legacy id to unknown control", goodStandards, goodControls,
			goodLegacy + "fsbp,X.1,S3.1\nfsbp,X.2,Nope.9\n",
			"legacy_controls.csv", "line 3", "control Nope.9 is not in controls.csv"},
		{"legacy id with unknown standard", goodStandards, goodControls,
			goodLegacy + "pci321,PCI.S3.6,S3.1\n",
			"legacy_controls.csv", "line 2", `unknown standard key "pci321"`},
		{"wrong header", goodStandards,
			"id,title,severity,resource_type,scope,standards\n", goodLegacy,
			"controls.csv", "header", "header is"},
		{"wrong field count", goodStandards,
			goodControls + "S3.2,Title,HIGH,AwsS3Bucket,regional\n", goodLegacy,
			"controls.csv", "line 4", "wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"standards.csv":       {Data: []byte(tt.standards)},
				"controls.csv":        {Data: []byte(tt.controls)},
				"legacy_controls.csv": {Data: []byte(tt.legacy)},
			}
			_, err := Load(fsys)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			msg := err.Error()
			for _, want := range []string{tt.wantFile, tt.wantLine, tt.wantText} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	fsys := fstest.MapFS{"standards.csv": {Data: []byte(goodStandards)}}
	if _, err := Load(fsys); err == nil || !strings.Contains(err.Error(), "controls.csv") {
		t.Errorf("Load without controls.csv: err = %v, want one naming controls.csv", err)
	}
}

func TestLoadGood(t *testing.T) {
	fsys := fstest.MapFS{
		"standards.csv":       {Data: []byte(goodStandards)},
		"controls.csv":        {Data: []byte(goodControls)},
		"legacy_controls.csv": {Data: []byte(goodLegacy + "fsbp,Old.1,IAM.6\n")},
	}
	c, err := Load(fsys)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if id, ok := c.SecurityControlID("arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0", "Old.1"); !ok || id != "IAM.6" {
		t.Errorf("SecurityControlID = %q, %v; want IAM.6", id, ok)
	}
	if ctl, _ := c.Control("IAM.6"); !ctl.Global {
		t.Error("IAM.6 should be global")
	}
}
