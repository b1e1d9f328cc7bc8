package estate

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// FromFindings is the estate that serves findings read from an ASFF document (DecodeFindings):
// the accounts are those the findings name, sorted, the first of them the administrator and the
// management account; the regions are theirs, the one with the most findings first (the home
// region); the enabled standards are those the findings are associated with; the clock is the
// latest UpdatedAt. The catalog and the disabled controls are left for the caller.
func FromFindings(findings []*Finding) (*Estate, error) {
	if len(findings) == 0 {
		return nil, fmt.Errorf("estate: no findings")
	}
	e := &Estate{Findings: findings}
	accounts := map[string]bool{}
	regions := map[string]int{}
	standards := map[string]bool{}
	for _, f := range findings {
		if !isAccountID(f.AccountID) || f.Region == "" {
			return nil, fmt.Errorf("estate: finding %s: account %q, region %q", f.ID, f.AccountID, f.Region)
		}
		accounts[f.AccountID] = true
		regions[f.Region]++
		for _, s := range f.Standards {
			standards[s] = true
		}
		if f.UpdatedAt.After(e.Now) {
			e.Now = f.UpdatedAt
		}
	}
	for _, id := range sortedKeys(accounts) {
		e.Accounts = append(e.Accounts, Account{AccountID: id, Name: "account-" + id, Email: "aws-" + id + "@example.com",
			Status: StatusActive, JoinedMethod: "CREATED", Joined: e.Now.AddDate(-1, 0, 0).Truncate(time.Hour)})
	}
	e.Administrator = e.Accounts[0].AccountID
	for r := range regions {
		e.Regions = append(e.Regions, r)
	}
	slices.SortFunc(e.Regions, func(a, b string) int { return cmp.Or(regions[b]-regions[a], cmp.Compare(a, b)) })
	e.Standards = sortedKeys(standards)
	return e, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
