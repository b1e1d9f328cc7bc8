package organizations_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/fakeaws/fakeawstest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

func TestListAccounts(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true})
	c := fakeawstest.Organizations(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount())})
	var active, suspended []string
	empty := 0
	p := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Accounts) == 0 {
			empty++
		}
		for _, a := range out.Accounts {
			if aws.ToString(a.Name) == "" || aws.ToString(a.Email) == "" || a.JoinedTimestamp == nil ||
				!strings.HasPrefix(aws.ToString(a.Arn), "arn:aws:organizations::") {
				t.Errorf("account %+v lacks fields", a)
			}
			switch a.Status {
			case orgtypes.AccountStatusActive:
				active = append(active, aws.ToString(a.Id))
			case orgtypes.AccountStatusSuspended:
				suspended = append(suspended, aws.ToString(a.Id))
			default:
				t.Errorf("account %s status %q", aws.ToString(a.Id), a.Status)
			}
		}
	}
	var want []string
	for _, a := range s.Accounts() {
		want = append(want, a.AccountID)
	}
	slices.Sort(active)
	slices.Sort(want)
	if !slices.Equal(active, want) {
		t.Errorf("ACTIVE accounts %v, want %v", active, want)
	}
	if len(suspended) == 0 || empty == 0 {
		t.Errorf("%d suspended accounts and %d empty pages; want some of each", len(suspended), empty)
	}

	nop := fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount()), Retryer: aws.NopRetryer{}}
	_, err := fakeawstest.Organizations(hs.URL, nop).ListAccounts(context.Background(), &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
	var iie *orgtypes.InvalidInputException
	if !errors.As(err, &iie) {
		t.Errorf("MaxResults 21: err = %v, want InvalidInputException", err)
	}
	nop.Creds = fakeawstest.Credentials(fakeawstest.Workload(s))
	_, err = fakeawstest.Organizations(hs.URL, nop).ListAccounts(context.Background(), &organizations.ListAccountsInput{})
	var ade *orgtypes.AccessDeniedException
	if !errors.As(err, &ade) {
		t.Errorf("member: err = %v, want AccessDeniedException", err)
	}
}
