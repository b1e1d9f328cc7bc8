package collect

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// TestWithDisabledExpands: controls.disabled entries expand to the snapshot's accounts, regions
// and standards that their missing fields leave open, with source config; entries naming an
// account the snapshot lacks add nothing; the findings and coverage pass through unchanged.
func TestWithDisabledExpands(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	fsbp := "standards/aws-foundational-security-best-practices/v/1.0.0"
	pci := "standards/pci-dss/v/3.2.1"
	src := &Buffer{}
	for _, a := range []string{"111111111111", "222222222222"} {
		for _, r := range []string{"us-east-1", "eu-west-1"} {
			src.Findings = append(src.Findings, &model.Finding{ID: a + r, AccountID: a, Region: r, ControlID: "S3.1", Standards: []string{fsbp, pci}})
		}
	}
	_, ctls := cat.ForSnapshot([]string{"fsbp"})
	if !slices.ContainsFunc(ctls, func(c model.Control) bool { return c.ControlID == "IAM.6" }) {
		t.Fatal("the catalog's FSBP has no IAM.6")
	}
	rules := []DisabledRule{
		{ControlID: "S3.1", Account: "111111111111", Reason: "sandbox"},
		{ControlID: "IAM.6", Standard: "fsbp", Region: "eu-west-1"},
		{ControlID: "EC2.2", Account: "999999999999"},
	}
	sink := &Buffer{}
	if err := WithDisabled(src, rules, cat, ctls).Collect(context.Background(), &countingSink{Sink: sink}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range sink.Disabled {
		if d.Source != model.DisabledByConfig || d.Reason == "" {
			t.Errorf("row %+v: want source config and a reason", d)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s", d.AccountID, d.Region, d.ControlID, d.StandardID[:14]))
	}
	slices.Sort(got)
	want := []string{
		"111111111111 eu-west-1 IAM.6 standards/aws-",
		"111111111111 eu-west-1 S3.1 standards/aws-",
		"111111111111 eu-west-1 S3.1 standards/pci-",
		"111111111111 us-east-1 S3.1 standards/aws-",
		"111111111111 us-east-1 S3.1 standards/pci-",
		"222222222222 eu-west-1 IAM.6 standards/aws-",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
	if len(sink.Findings) != 4 {
		t.Errorf("%d findings passed through, want 4", len(sink.Findings))
	}
}
