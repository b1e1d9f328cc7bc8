package fakeaws_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/hubreport/hubreport/internal/fakeaws/fakeawstest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

func TestServerErrors(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true, ServerErrorRate: 1})
	opts := fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount()), Retryer: aws.NopRetryer{}}
	_, err := fakeawstest.SecurityHub(hs.URL, opts).GetFindings(context.Background(), &securityhub.GetFindingsInput{})
	var ie *types.InternalException
	if !errors.As(err, &ie) || fakeawstest.HTTPStatus(err) != 500 {
		t.Errorf("GetFindings err = %v, want InternalException 500", err)
	}
	_, err = fakeawstest.Organizations(hs.URL, opts).ListAccounts(context.Background(), &organizations.ListAccountsInput{})
	var se *orgtypes.ServiceException
	if !errors.As(err, &se) {
		t.Errorf("ListAccounts err = %v, want ServiceException", err)
	}
	_, err = fakeawstest.STS(hs.URL, opts).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if fakeawstest.HTTPStatus(err) != 500 {
		t.Errorf("GetCallerIdentity err = %v, want a 500", err)
	}
	if got := s.Stats().ServerErrors; got != 3 {
		t.Errorf("Stats().ServerErrors = %d, want 3", got)
	}
}

func TestMissingAuthorization(t *testing.T) {
	_, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true})
	resp, err := http.Post(hs.URL+"/findings", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") == "" {
		t.Errorf("unsigned request: %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

func TestConcurrentClients(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true, Aggregator: true, ThrottleRate: 0.1})
	var wg sync.WaitGroup
	for _, a := range s.Accounts() {
		for _, r := range s.Regions() {
			wg.Go(func() {
				c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Region: r, Creds: fakeawstest.Credentials(a.AccountID), Retryer: fakeawstest.FastRetryer()})
				p := securityhub.NewGetFindingsPaginator(c, &securityhub.GetFindingsInput{})
				for p.HasMorePages() {
					if _, err := p.NextPage(context.Background()); err != nil {
						t.Errorf("%s/%s: %v", a.AccountID, r, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
}
