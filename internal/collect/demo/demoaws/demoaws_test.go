package demoaws_test

import (
	"testing"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

func TestFindingsPerAccount(t *testing.T) {
	for _, n := range []int{40, 1500} {
		a, err := demoaws.New(demoaws.Config{Accounts: 4, FindingsPerAccount: n, Seed: 3}, fakeaws.Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := demoaws.New(demoaws.Config{Accounts: 4, FindingsPerAccount: n, Seed: 3}, fakeaws.Options{})
		if err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		regions := map[string]map[string]bool{}
		ids := map[string]bool{}
		for _, f := range a.Findings() {
			per[f.AccountID]++
			if regions[f.AccountID] == nil {
				regions[f.AccountID] = map[string]bool{}
			}
			regions[f.AccountID][f.Region] = true
			if ids[f.ID] {
				t.Fatalf("n=%d: duplicate id %s", n, f.ID)
			}
			ids[f.ID] = true
		}
		for _, acct := range a.Accounts() {
			if per[acct.AccountID] != n {
				t.Errorf("n=%d: account %s has %d findings", n, acct.AccountID, per[acct.AccountID])
			}
			if len(regions[acct.AccountID]) < 2 {
				t.Errorf("n=%d: account %s findings are in %d regions", n, acct.AccountID, len(regions[acct.AccountID]))
			}
		}
		fa, fb := a.Findings(), b.Findings()
		if len(fa) != len(fb) {
			t.Fatalf("n=%d: not deterministic: %d and %d findings", n, len(fa), len(fb))
		}
		for i := range fa {
			if fa[i].ID != fb[i].ID || fa[i].UpdatedAt != fb[i].UpdatedAt {
				t.Fatalf("n=%d: not deterministic at %d: %s and %s", n, i, fa[i].ID, fb[i].ID)
			}
		}
	}
}
