package analyze

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

// TestOUScoresMatchIndependentCalculation: every OU's summary score, standard scores, failed
// accounts per control and trend are the plain-Go reference's organization figures over the
// findings of the OU's accounts (those in it and below it); an account without an OU is in none.
func TestOUScoresMatchIndependentCalculation(t *testing.T) {
	ou := map[string]string{ // randomEstate's four accounts
		"100000000000": "Workloads/Prod", "100000000001": "Workloads/Prod",
		"100000000002": "Workloads/Non-Prod", "100000000003": "",
	}
	var accounts []model.Account
	for id, p := range ou {
		accounts = append(accounts, model.Account{AccountID: id, Name: "acct-" + id[9:], OU: p, Owner: "team-" + id[11:]})
	}
	inOU := map[string]func(string) bool{
		"Workloads":          func(a string) bool { return ou[a] != "" },
		"Workloads/Prod":     func(a string) bool { return ou[a] == "Workloads/Prod" },
		"Workloads/Non-Prod": func(a string) bool { return ou[a] == "Workloads/Non-Prod" },
	}
	st := storetest.New(t)
	days := 4
	refs := map[string][]reference{}
	var last model.Snapshot
	for day := range days {
		fs := randomEstate(uint64(day + 40))
		for path, in := range inOU {
			var sub []*model.Finding
			for _, f := range fs {
				if in(f.AccountID) {
					sub = append(sub, f)
				}
			}
			refs[path] = append(refs[path], computeReference(sub, testCtl))
		}
		last = snapData{at: t0.Add(time.Duration(day-days+1) * 24 * time.Hour), ctls: testCtl, fs: fs, accounts: accounts}.write(t, st)
	}
	r, err := Build(context.Background(), st, last, Options{Now: pinned})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.OrganizationalUnits) != 3 {
		t.Fatalf("%d OUs (%+v), want Workloads, Workloads/Non-Prod, Workloads/Prod", len(r.OrganizationalUnits), r.OrganizationalUnits)
	}
	wantAccounts := map[string]int{"Workloads": 3, "Workloads/Prod": 2, "Workloads/Non-Prod": 1}
	for i, u := range r.OrganizationalUnits {
		if want := []string{"Workloads", "Workloads/Non-Prod", "Workloads/Prod"}[i]; u.Path != want {
			t.Fatalf("OU %d is %s, want %s", i, u.Path, want)
		}
		ref := refs[u.Path][days-1]
		if u.Accounts != wantAccounts[u.Path] {
			t.Errorf("%s: %d accounts, want %d", u.Path, u.Accounts, wantAccounts[u.Path])
		}
		if !sameScore(u.SummaryScore, ref.summary["org"][0]) || !sameScore(u.Score, u.SummaryScore) ||
			!sameScore(u.SummaryScoreWithoutSuppressions, ref.summary["org"][1]) {
			t.Errorf("%s: summary %s (score %s, without suppressions %s), reference %s, %s", u.Path, fmtScore(u.SummaryScore),
				fmtScore(u.Score), fmtScore(u.SummaryScoreWithoutSuppressions), fmtScore(ref.summary["org"][0]), fmtScore(ref.summary["org"][1]))
		}
		if got := [3]int{u.SummaryControls.Passed, u.SummaryControls.Failed, u.SummaryControls.Unknown}; got != ref.summaryTally {
			t.Errorf("%s: summary controls %v, reference %v", u.Path, got, ref.summaryTally)
		}
		for _, s := range u.Standards {
			if !sameScore(s.Score, ref.standards[s.ID]) || [3]int{s.Passed, s.Failed, s.Unknown} != ref.tally[s.ID] {
				t.Errorf("%s %s: %s %d/%d/%d, reference %s %v", u.Path, s.ID, fmtScore(s.Score), s.Passed, s.Failed, s.Unknown, fmtScore(ref.standards[s.ID]), ref.tally[s.ID])
			}
		}
		wantTop := min(len(ref.failedAcc), ouTopControls)
		if len(u.TopFailedControls) != wantTop {
			t.Errorf("%s: %d top failed controls, want %d (%v)", u.Path, len(u.TopFailedControls), wantTop, ref.failedAcc)
		}
		for j, c := range u.TopFailedControls {
			if c.FailedAccounts != ref.failedAcc[c.ControlID] {
				t.Errorf("%s %s: failed in %d accounts, reference %d", u.Path, c.ControlID, c.FailedAccounts, ref.failedAcc[c.ControlID])
			}
			if j > 0 && c.FailedAccounts > u.TopFailedControls[j-1].FailedAccounts {
				t.Errorf("%s: top failed controls not ranked by accounts: %+v", u.Path, u.TopFailedControls)
			}
		}
		if len(u.Trend) != days {
			t.Fatalf("%s: %d trend points, want %d", u.Path, len(u.Trend), days)
		}
		for d, p := range u.Trend {
			if !sameScore(p.SummaryScore, refs[u.Path][d].summary["org"][0]) {
				t.Errorf("%s %s: trend %s, reference %s", u.Path, p.Date, fmtScore(p.SummaryScore), fmtScore(refs[u.Path][d].summary["org"][0]))
			}
		}
		if len(u.WeakestAccounts) != min(u.Accounts, ouWeakestAccounts) {
			t.Errorf("%s: weakest accounts %+v", u.Path, u.WeakestAccounts)
		}
	}
	for _, a := range r.Accounts {
		if a.OU != ou[a.AccountID] || a.Owner != "team-"+a.AccountID[11:] {
			t.Errorf("account %s: ou %q owner %q, want %q and team-%s", a.AccountID, a.OU, a.Owner, ou[a.AccountID], a.AccountID[11:])
		}
	}
}

// TestOUFailingInOneAccount: a control failing in one account of an OU fails it for the OU and
// every OU above, not for a sibling OU where it passes; the OU lists it with one failed account,
// and its weakest account comes first.
func TestOUFailingInOneAccount(t *testing.T) {
	const acc3 = "333333333333"
	accounts := []model.Account{
		{AccountID: acc1, Name: "prod-a", OU: "Workloads/Prod"},
		{AccountID: acc2, Name: "prod-b", OU: "Workloads/Prod"},
		{AccountID: acc3, Name: "dev", OU: "Workloads/Non-Prod"},
	}
	fs := []*model.Finding{
		ctl("a1", acc1, "us-east-1", "S3.1", "PASSED", fsbp, pci),
		ctl("a2", acc1, "us-east-1", "EC2.2", "PASSED", fsbp, pci),
		ctl("b1", acc2, "us-east-1", "S3.1", "FAILED", fsbp, pci),
		ctl("b2", acc2, "us-east-1", "EC2.2", "PASSED", fsbp, pci),
		ctl("c1", acc3, "us-east-1", "S3.1", "PASSED", fsbp, pci),
		ctl("c2", acc3, "us-east-1", "EC2.2", "PASSED", fsbp),
	}
	st := storetest.New(t)
	snap := snapData{at: t0, ctls: testCtl, fs: fs, accounts: accounts}.write(t, st)
	r, err := Build(context.Background(), st, snap, Options{Now: pinned})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]report.OrganizationalUnit{}
	for _, u := range r.OrganizationalUnits {
		got[u.Path] = u
	}
	for path, want := range map[string]float64{"Workloads": 50, "Workloads/Prod": 50, "Workloads/Non-Prod": 100} {
		u, ok := got[path]
		if !ok {
			t.Fatalf("no OU %s among %d", path, len(r.OrganizationalUnits))
		}
		if !sameScore(u.SummaryScore, pct(want)) {
			t.Errorf("%s: summary score %s, want %.0f (S3.1 fails in one account of Prod)", path, fmtScore(u.SummaryScore), want)
		}
	}
	prod := got["Workloads/Prod"]
	if len(prod.TopFailedControls) != 1 || prod.TopFailedControls[0].ControlID != "S3.1" || prod.TopFailedControls[0].FailedAccounts != 1 {
		t.Errorf("Prod top failed controls %+v, want S3.1 in 1 account", prod.TopFailedControls)
	}
	if len(got["Workloads/Non-Prod"].TopFailedControls) != 0 {
		t.Errorf("Non-Prod top failed controls %+v, want none", got["Workloads/Non-Prod"].TopFailedControls)
	}
	if w := prod.WeakestAccounts; len(w) != 2 || w[0].AccountID != acc2 || !sameScore(w[0].SummaryScore, pct(50)) {
		t.Errorf("Prod weakest accounts %+v, want %s (50%%) first", w, acc2)
	}
	if name := got["Workloads/Non-Prod"].Name; name != "Non-Prod" {
		t.Errorf("name %q, want the path's last segment", name)
	}
	if fmt.Sprint(prod.Trend[0].Date) != "2025-02-01" || prod.Change != nil {
		t.Errorf("one snapshot: trend %+v, change %v; want one point and no change", prod.Trend, prod.Change)
	}
}

// TestTrendPoints: a long window is thinned to at most ouTrendPoints snapshots, keeping its first
// and last (the report's); a short one is kept whole.
func TestTrendPoints(t *testing.T) {
	for _, n := range []int{1, 5, ouTrendPoints, ouTrendPoints + 1, 30, 90, 91, 400} {
		win := make([]windowSnap, n)
		for i := range win {
			win[i].id = int64(i)
		}
		got := trendPoints(win)
		if len(got) > ouTrendPoints || got[0].id != 0 || got[len(got)-1].id != int64(n-1) || (n <= ouTrendPoints && len(got) != n) {
			t.Errorf("%d snapshots: %d points, first %d, last %d", n, len(got), got[0].id, got[len(got)-1].id)
		}
		for i := 1; i < len(got); i++ {
			if got[i].id <= got[i-1].id {
				t.Errorf("%d snapshots: points out of order: %v", n, got)
			}
		}
	}
}
