package analyze

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

// TestScopedReportIsTheScopesOwn: a report scoped to the two accounts of Workloads/Prod has the
// plain-Go reference's organization figures over those accounts' findings only (summary and
// standard scores, failed accounts per control, active and suppressed findings, the summary
// series of every day, though the store holds the whole organization's summaries from commit),
// counts two accounts everywhere, and names no other account anywhere.
func TestScopedReportIsTheScopesOwn(t *testing.T) {
	ou := map[string]string{
		"100000000000": "Workloads/Prod", "100000000001": "Workloads/Prod",
		"100000000002": "Workloads/Non-Prod", "100000000003": "Sandbox",
	}
	var accounts []model.Account
	for id, p := range ou {
		accounts = append(accounts, model.Account{AccountID: id, Name: "acct-" + id[9:], OU: p, Owner: "team-" + id[11:]})
	}
	inScope := func(a string) bool { return ou[a] == "Workloads/Prod" }
	st := storetest.Open(t, filepath.Join(t.TempDir(), "r.duckdb"), store.Options{OnCommit: Summarize})
	days := 4
	var refs []reference
	var last model.Snapshot
	for day := range days {
		fs := randomEstate(uint64(day + 70))
		var sub []*model.Finding
		for _, f := range fs {
			if inScope(f.AccountID) {
				sub = append(sub, f)
			}
		}
		refs = append(refs, computeReference(sub, testCtl))
		last = snapData{at: t0.Add(time.Duration(day-days+1) * 24 * time.Hour), ctls: testCtl, fs: fs, accounts: accounts}.write(t, st)
	}
	scope := &Scope{Kind: report.ScopeOU, Name: "Workloads/Prod", Accounts: []string{"100000000000", "100000000001"}}
	r, err := Build(context.Background(), st, last, Options{Now: pinned, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	ref := refs[days-1]
	if want := ref.summary["org"]; !sameScore(r.SummaryScore, want[0]) || !sameScore(r.SummaryScoreWithoutSuppressions, want[1]) ||
		[3]int{r.SummaryControls.Passed, r.SummaryControls.Failed, r.SummaryControls.Unknown} != ref.summaryTally {
		t.Errorf("summary %s/%s %+v, reference over Prod %s/%s %v", fmtScore(r.SummaryScore), fmtScore(r.SummaryScoreWithoutSuppressions),
			r.SummaryControls, fmtScore(want[0]), fmtScore(want[1]), ref.summaryTally)
	}
	for _, s := range r.Standards {
		if !sameScore(s.Score, ref.standards[s.ID]) || [3]int{s.Passed, s.Failed, s.Unknown} != ref.tally[s.ID] {
			t.Errorf("%s: %s %d/%d/%d, reference %s %v", s.ID, fmtScore(s.Score), s.Passed, s.Failed, s.Unknown, fmtScore(ref.standards[s.ID]), ref.tally[s.ID])
		}
	}
	got := map[string]int{}
	for _, c := range r.TopFailedControls {
		got[c.ControlID] = c.FailedAccounts
		if c.TotalAccounts != 2 {
			t.Errorf("%s: of %d accounts, want 2", c.ControlID, c.TotalAccounts)
		}
	}
	delete(got, "KMS.4") // as in TestScoresMatchIndependentCalculation
	delete(ref.failedAcc, "KMS.4")
	if fmt.Sprint(sortedPairs(got)) != fmt.Sprint(sortedPairs(ref.failedAcc)) {
		t.Errorf("failed accounts per control: got %v, reference %v", sortedPairs(got), sortedPairs(ref.failedAcc))
	}
	if r.Findings.Active != ref.active || r.Findings.Suppressed != ref.supp || r.Exceptions.Total != ref.supp {
		t.Errorf("active %d suppressed %d exceptions %d, reference %d %d", r.Findings.Active, r.Findings.Suppressed, r.Exceptions.Total, ref.active, ref.supp)
	}
	if len(r.Progress.Series) != days {
		t.Fatalf("%d series points, want %d", len(r.Progress.Series), days)
	}
	for _, sp := range r.Progress.Standards {
		for d, pt := range sp.Series {
			if !sameScore(pt.Score, refs[d].standards[sp.ID]) {
				t.Errorf("%s %s: series %s, reference over Prod %s", sp.ID, pt.Date, fmtScore(pt.Score), fmtScore(refs[d].standards[sp.ID]))
			}
		}
	}
	for d, p := range r.Progress.Series {
		if !sameScore(p.SummaryScore, refs[d].summary["org"][0]) {
			t.Errorf("%s: series summary %s, reference over Prod %s (the organization's stored summary leaked?)", p.Date, fmtScore(p.SummaryScore), fmtScore(refs[d].summary["org"][0]))
		}
	}
	if len(r.Accounts) != 2 || r.Snapshot.AccountsCollected != 2 || r.Snapshot.AccountsExpected != 2 || r.Snapshot.Status != model.StatusComplete {
		t.Errorf("%d accounts, snapshot %+v; want 2 of 2, complete", len(r.Accounts), r.Snapshot)
	}
	if r.Scope == nil || r.Scope.Name != "Workloads/Prod" || r.Scope.Accounts != 2 {
		t.Errorf("scope %+v", r.Scope)
	}
	if len(r.OrganizationalUnits) != 2 { // Workloads and Workloads/Prod, both of the two accounts
		t.Errorf("OUs %+v, want Workloads and Workloads/Prod", r.OrganizationalUnits)
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	all := string(js) + fmt.Sprintf("%+v %+v %+v", r.FailedFindings, r.Suppressed, r.Controls)
	for id, path := range ou {
		if !inScope(id) && (strings.Contains(all, id) || strings.Contains(all, "acct-"+id[9:]) || strings.Contains(all, path)) {
			t.Errorf("the Prod report names %s (%s) of %s", id, "acct-"+id[9:], path)
		}
	}
	// The organization's report from the same store is untouched by the scoped one before it.
	org, err := Build(context.Background(), st, last, Options{Now: pinned})
	if err != nil {
		t.Fatal(err)
	}
	orgRef := computeReference(randomEstate(uint64(days-1+70)), testCtl)
	if !sameScore(org.SummaryScore, orgRef.summary["org"][0]) || len(org.Accounts) != 4 || org.Scope != nil {
		t.Errorf("organization after a scoped report: summary %s (reference %s), %d accounts, scope %+v",
			fmtScore(org.SummaryScore), fmtScore(orgRef.summary["org"][0]), len(org.Accounts), org.Scope)
	}
}
