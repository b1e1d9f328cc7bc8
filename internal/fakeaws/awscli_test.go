package fakeaws_test

import (
	"testing"

	"github.com/hubreport/hubreport/internal/fakeaws/fakeawstest"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

func TestAWSCLI(t *testing.T) {
	aws := fakeawstest.AWSCLI(t)
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true, Aggregator: true})
	t.Run("get-findings", func(t *testing.T) {
		t.Parallel()
		var out struct {
			Findings []struct {
				ID           string `json:"Id"`
				AwsAccountID string `json:"AwsAccountId"`
				Severity     struct{ Label string }
			}
			NextToken string
		}
		fakeawstest.RunAWS(t, aws, hs.URL, s.AdministratorAccount(), &out, "securityhub", "get-findings", "--max-items", "250")
		if len(out.Findings) != 250 {
			t.Fatalf("%d findings, want 250", len(out.Findings))
		}
		if out.NextToken == "" {
			t.Errorf("no NextToken after 250 of %d findings", len(s.Findings()))
		}
		for _, f := range out.Findings {
			if f.ID == "" || f.AwsAccountID == "" || f.Severity.Label == "" {
				t.Fatalf("finding lacks fields: %+v", f)
			}
		}
	})
	t.Run("list-accounts", func(t *testing.T) {
		t.Parallel()
		var out struct {
			Accounts []struct {
				ID     string `json:"Id"`
				Status string
			}
		}
		fakeawstest.RunAWS(t, aws, hs.URL, s.AdministratorAccount(), &out, "organizations", "list-accounts")
		active := 0
		for _, a := range out.Accounts {
			if a.Status == "ACTIVE" {
				active++
			}
		}
		if active != len(s.Accounts()) || len(out.Accounts) <= active {
			t.Errorf("%d accounts, %d ACTIVE; want %d ACTIVE and some SUSPENDED", len(out.Accounts), active, len(s.Accounts()))
		}
	})
}
