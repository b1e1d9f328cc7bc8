package collect_test

import (
	"testing"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

// TestAWSReadsOUTreeAndOwners: the accounts a collection plans, and gives its sink, carry the OU
// path below the root and the configured owner tag's value that Organizations holds for them.
func TestAWSReadsOUTreeAndOwners(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 10}, fakeaws.Options{Aggregator: true, Unlimited: true})
	for _, tag := range []string{"", "cost-center"} {
		sink, plan, err := collectWith(t, t.Context(), srv, hs.URL, collect.AWSOptions{Mode: collect.ModeAggregator, OwnerTag: tag})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]fakeaws.Account{}
		for _, a := range srv.Accounts() {
			want[a.AccountID] = a
		}
		if len(plan.Accounts) != len(want) || len(sink.Accounts) != len(want) {
			t.Fatalf("planned %d accounts, sink got %d; want %d", len(plan.Accounts), len(sink.Accounts), len(want))
		}
		ous := map[string]bool{}
		for _, a := range sink.Accounts {
			w := want[a.AccountID]
			wantOwner := w.Tags["owner"]
			if tag != "" {
				wantOwner = w.Tags[tag]
			}
			if a.OU != w.OU || a.Owner != wantOwner || wantOwner == "" {
				t.Errorf("owner tag %q: account %s: ou %q owner %q, want %q and %q", tag, a.AccountID, a.OU, a.Owner, w.OU, wantOwner)
			}
			ous[a.OU] = true
		}
		if !ous["Workloads/Prod"] || !ous["Security"] || !ous[""] {
			t.Errorf("OUs %v: want Workloads/Prod, Security and the root (management)", ous)
		}
	}
}
