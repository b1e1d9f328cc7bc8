package collect_test

import (
	"bytes"
	"log/slog"
	"strings"
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

// TestAWSOUTreeDeniedIsAWarning: an administrator that may list the accounts but not read the OU
// tree still collects every finding; the accounts have no OU or owner, and the log says why.
func TestAWSOUTreeDeniedIsAWarning(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 4}, fakeaws.Options{Aggregator: true, Unlimited: true,
		DenyOperations: []string{"*:ListOrganizationalUnitsForParent"}})
	var log bytes.Buffer
	sink, _, err := collectWith(t, t.Context(), srv, hs.URL, collect.AWSOptions{Mode: collect.ModeAggregator,
		Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatalf("a denied OU read failed the collection: %v", err)
	}
	checkExactlyOnce(t, activeFindings(srv), sink.Findings)
	if len(sink.Accounts) == 0 {
		t.Fatal("no accounts collected")
	}
	for _, a := range sink.Accounts {
		if a.OU != "" || a.Owner != "" {
			t.Errorf("account %s has OU %q owner %q from a tree that could not be read", a.AccountID, a.OU, a.Owner)
		}
	}
	if n := srv.Stats().Requests["ListOrganizationalUnitsForParent"]; n == 0 {
		t.Fatal("the OU tree was never asked for: the test proves nothing")
	}
	if !strings.Contains(log.String(), "cannot read the organization's OU tree") || !strings.Contains(log.String(), "AccessDeniedException") {
		t.Errorf("the log does not say the OU tree was denied:\n%s", log.String())
	}
	// Not only the log: the sink gets the warning, to be stored with the snapshot.
	if len(sink.Warnings) != 1 || sink.Warnings[0].Kind != "ou_tree_unreadable" ||
		!strings.Contains(sink.Warnings[0].Message, "AccessDeniedException on ListOrganizationalUnitsForParent") ||
		!strings.Contains(sink.Warnings[0].Message, "organizations:ListOrganizationalUnitsForParent") {
		t.Errorf("sink warnings %+v; want one ou_tree_unreadable naming the denied call and the permission to grant", sink.Warnings)
	}
}
