package catalog

import (
	"testing"
)

func validFile() *File {
	return &File{
		Standards: []FileStandard{
			{Key: "fsbp", ID: "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0", Name: "AWS FSBP v1.0.0", Slug: "aws-foundational-security-best-practices-v1.0.0"},
			{Key: "p401", ID: "standards/pci-dss/v/4.0.1", Name: "PCI DSS v4.0.1", ShortName: "PCI 4.0.1", Slug: "pci-dss-v4.0.1"},
		},
		Controls: []FileControl{
			{ID: "S3.1", Title: "Block public access", Severity: "CRITICAL", Scope: "regional", Standards: []string{"fsbp", "p401"}},
			{ID: "IAM.6", Title: "Hardware MFA for root", Severity: "HIGH", Scope: "global", Standards: []string{"fsbp"}},
		},
		Legacy: []FileLegacy{{Standard: "p401", LegacyID: "PCI.S3.1", ControlID: "S3.1"}},
	}
}

// TestFromFileAndLegacy: a file becomes a catalog (ARNs reduced to resource ids, a missing short
// name taken from the name), and Legacy gives back the legacy ids as a refreshed file keeps them.
// TestFromFileErrors covers the bad records.
func TestFromFileAndLegacy(t *testing.T) {
	c, err := FromFile(validFile())
	if err != nil {
		t.Fatal(err)
	}
	fsbp, ok := c.Standard("fsbp")
	if !ok || fsbp.ID != "standards/aws-foundational-security-best-practices/v/1.0.0" || fsbp.ShortName != fsbp.Name {
		t.Errorf("fsbp read as %+v", fsbp)
	}
	if s, ok := c.Control("S3.1"); !ok || s.Severity != "CRITICAL" || len(s.Standards) != 2 || s.Standards[1] != "standards/pci-dss/v/4.0.1" {
		t.Errorf("S3.1 read as %+v", s)
	}
	if iam, _ := c.Control("IAM.6"); !iam.Global {
		t.Errorf("IAM.6 should be global")
	}
	if id, ok := c.SecurityControlID("arn:aws:securityhub:eu-west-1::standards/pci-dss/v/4.0.1", "PCI.S3.1"); !ok || id != "S3.1" {
		t.Errorf("legacy id maps to %q %v", id, ok)
	}
	if l := c.Legacy(); len(l) != 1 || l[0] != (FileLegacy{Standard: "p401", LegacyID: "PCI.S3.1", ControlID: "S3.1"}) {
		t.Errorf("Legacy() = %+v", l)
	}

}
