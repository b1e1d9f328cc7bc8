package securityhub_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/fakeaws/fakeawstest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

// TestListStandardsControlAssociations: the SDK's paginator reads a control's association with
// each standard enabled in the caller's account (and only those), with AWS's required fields;
// a missing or unknown control is InvalidInputException.
func TestListStandardsControlAssociations(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Unlimited: true})
	c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount())})
	ctx := context.Background()
	def, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	s31, _ := def.Control("S3.1")
	var want []string
	for _, std := range s.Standards() {
		if slices.Contains(s31.Standards, std) {
			want = append(want, std)
		}
	}
	if len(want) < 2 {
		t.Fatalf("S3.1 is in %d enabled standards; the test needs two to page", len(want))
	}
	var got []string
	pages := 0
	p := securityhub.NewListStandardsControlAssociationsPaginator(c, &securityhub.ListStandardsControlAssociationsInput{
		SecurityControlId: aws.String("S3.1"), MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range out.StandardsControlAssociationSummaries {
			if aws.ToString(a.SecurityControlId) != "S3.1" || a.AssociationStatus != types.AssociationStatusEnabled ||
				!strings.HasSuffix(aws.ToString(a.SecurityControlArn), ":"+s.AdministratorAccount()+":security-control/S3.1") ||
				aws.ToString(a.StandardsControlTitle) != s31.Title || a.UpdatedAt == nil {
				t.Errorf("association %+v", a)
			}
			got = append(got, catalog.NormalizeStandardID(aws.ToString(a.StandardsArn)))
		}
	}
	if !slices.Equal(got, want) || pages != len(want) {
		t.Errorf("associations with %v in %d pages, want %v one a page", got, pages, want)
	}

	var iie *types.InvalidInputException
	for _, id := range []string{"", "Nope.1"} {
		_, err := c.ListStandardsControlAssociations(ctx, &securityhub.ListStandardsControlAssociationsInput{SecurityControlId: aws.String(id)})
		if !errors.As(err, &iie) {
			t.Errorf("SecurityControlId %q: err = %v, want InvalidInputException", id, err)
		}
	}
	if s.Stats().Requests["ListStandardsControlAssociations"] != pages+2 {
		t.Errorf("requests %v", s.Stats().Requests)
	}
}

// TestAWSCLIReadsTheCatalogAPIs: botocore's own parser reads the emulator's answers to the three
// calls `reporter catalog refresh` makes, paging included.
func TestAWSCLIReadsTheCatalogAPIs(t *testing.T) {
	aws := fakeawstest.AWSCLI(t)
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true})
	def, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	var defs struct {
		SecurityControlDefinitions []struct {
			SecurityControlID         string `json:"SecurityControlId"`
			Title, SeverityRating     string
			RemediationURL            string `json:"RemediationUrl"`
			CurrentRegionAvailability string
		}
	}
	// The CLI pages through every page of 100 itself.
	fakeawstest.RunAWS(t, aws, hs.URL, s.AdministratorAccount(), &defs, "securityhub", "list-security-control-definitions")
	if len(defs.SecurityControlDefinitions) != len(def.Controls) {
		t.Errorf("%d definitions, want %d", len(defs.SecurityControlDefinitions), len(def.Controls))
	}
	for _, d := range defs.SecurityControlDefinitions {
		if d.SecurityControlID == "" || d.Title == "" || d.SeverityRating == "" || d.RemediationURL == "" || d.CurrentRegionAvailability != "AVAILABLE" {
			t.Fatalf("definition %+v", d)
		}
	}
	var stds struct {
		Standards []struct {
			StandardsArn, Name string
			StandardsManagedBy struct{ Company, Product string }
		}
	}
	fakeawstest.RunAWS(t, aws, hs.URL, s.AdministratorAccount(), &stds, "securityhub", "describe-standards")
	if len(stds.Standards) != len(def.Standards) || stds.Standards[0].Name == "" || stds.Standards[0].StandardsManagedBy.Company != "AWS" {
		t.Errorf("describe-standards: %+v", stds.Standards)
	}
	var assoc struct {
		StandardsControlAssociationSummaries []struct {
			StandardsArn, SecurityControlID, AssociationStatus string
			RelatedRequirements                                []string
		}
	}
	fakeawstest.RunAWS(t, aws, hs.URL, s.AdministratorAccount(), &assoc, "securityhub", "list-standards-control-associations",
		"--security-control-id", "IAM.1")
	if len(assoc.StandardsControlAssociationSummaries) == 0 {
		t.Errorf("list-standards-control-associations IAM.1: none")
	}
	for _, a := range assoc.StandardsControlAssociationSummaries {
		if !strings.HasPrefix(a.StandardsArn, "arn:aws:securityhub:") || a.AssociationStatus != "ENABLED" || a.RelatedRequirements == nil {
			t.Errorf("association %+v", a)
		}
	}
}
