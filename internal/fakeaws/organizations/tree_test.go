package organizations_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/fakeaws/fakeawstest"
)

// TestOUTree walks the emulated OU tree with the SDK's paginators, one item a page, as a
// collector does: every ACTIVE account is found under the OU path the estate gives it (directly
// under the root for ""), and its tags are the estate's; unknown parents and resources, and a
// member account, get AWS's errors.
func TestOUTree(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 12}, fakeaws.Options{Unlimited: true})
	ctx := context.Background()
	c := fakeawstest.Organizations(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount())})
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 || aws.ToString(roots.Roots[0].Name) != "Root" {
		t.Fatalf("ListRoots = %+v, %v; want one root named Root", roots, err)
	}
	found := map[string]string{} // account -> path
	ous := 0
	type node struct{ id, path string }
	queue := []node{{id: aws.ToString(roots.Roots[0].Id)}}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		ap := organizations.NewListAccountsForParentPaginator(c, &organizations.ListAccountsForParentInput{ParentId: aws.String(n.id), MaxResults: aws.Int32(1)})
		for ap.HasMorePages() {
			page, err := ap.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Accounts {
				found[aws.ToString(a.Id)] = n.path
			}
		}
		op := organizations.NewListOrganizationalUnitsForParentPaginator(c, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(n.id), MaxResults: aws.Int32(1)})
		for op.HasMorePages() {
			page, err := op.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, ou := range page.OrganizationalUnits {
				ous++
				p := aws.ToString(ou.Name)
				if n.path != "" {
					p = n.path + "/" + p
				}
				queue = append(queue, node{id: aws.ToString(ou.Id), path: p})
			}
		}
	}
	if ous < 5 {
		t.Errorf("%d OUs, want the demo's tree (Security, Infrastructure, Workloads, Workloads/Prod, ...)", ous)
	}
	for _, a := range s.Accounts() {
		if got, ok := found[a.AccountID]; !ok || got != a.OU {
			t.Errorf("account %s (%s) found under %q (%v), want %q", a.AccountID, a.Name, got, ok, a.OU)
		}
		tags := map[string]string{}
		tp := organizations.NewListTagsForResourcePaginator(c, &organizations.ListTagsForResourceInput{ResourceId: aws.String(a.AccountID)})
		for tp.HasMorePages() {
			page, err := tp.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, tag := range page.Tags {
				tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
		}
		if tags["owner"] == "" || tags["owner"] != a.Tags["owner"] {
			t.Errorf("account %s tags %v, want owner %q", a.AccountID, tags, a.Tags["owner"])
		}
	}

	nop := fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount()), Retryer: aws.NopRetryer{}}
	cn := fakeawstest.Organizations(hs.URL, nop)
	_, err = cn.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-zzzz-00000000")})
	var pnf *orgtypes.ParentNotFoundException
	if !errors.As(err, &pnf) {
		t.Errorf("unknown parent: err = %v, want ParentNotFoundException", err)
	}
	_, err = cn.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String("999999999999")})
	var tnf *orgtypes.TargetNotFoundException
	if !errors.As(err, &tnf) {
		t.Errorf("unknown resource: err = %v, want TargetNotFoundException", err)
	}
	nop.Creds = fakeawstest.Credentials(fakeawstest.Workload(s))
	_, err = fakeawstest.Organizations(hs.URL, nop).ListRoots(ctx, &organizations.ListRootsInput{})
	var ade *orgtypes.AccessDeniedException
	if !errors.As(err, &ade) {
		t.Errorf("member: err = %v, want AccessDeniedException", err)
	}
}
