package analyze

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

// TestOUScoresMatchIndependentCalculation: every OU's summary score, standard scores, failed
// accounts per control and trend are the plain-Go reference's organization figures over the
// findings of the OU's accounts (those in it and below it); an account without an OU is in none.
// The trend has a point for every daily snapshot of the window (more than a fortnight's, so none
// is skipped), each that day's reference, whether the accounts' control statuses come from what
// Summarize stored at commit or, for snapshots stored before migration 009, from the history.
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
	st := storetest.Open(t, filepath.Join(t.TempDir(), "s.duckdb"), store.Options{OnCommit: Summarize})
	days := 17
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
	stored := checkOUs(t, "stored at commit", st, last, ou, refs, days)
	// Snapshots summarized before migration 009 have no account statuses.
	for _, q := range []string{`DELETE FROM snapshot_account_controls WHERE snapshot_id % 2 = 0`,
		`DELETE FROM snapshot_account_controls_stored WHERE snapshot_id % 2 = 0`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if got := checkOUs(t, "half from the history", st, last, ou, refs, days); !bytes.Equal(got, stored) {
		t.Errorf("the report differs when half the account statuses come from the history:\n%s\n%s", got, stored)
	}
}

// checkOUs builds the report on last and compares its OUs with the references of each day (refs,
// per OU path, oldest first); it returns the report's JSON.
func checkOUs(t *testing.T, how string, st *store.Store, last model.Snapshot, ou map[string]string, refs map[string][]reference, days int) []byte {
	t.Helper()
	r, err := Build(context.Background(), st, last, Options{Now: pinned})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.OrganizationalUnits) != 3 {
		t.Fatalf(how+": %d OUs (%+v), want Workloads, Workloads/Non-Prod, Workloads/Prod", len(r.OrganizationalUnits), r.OrganizationalUnits)
	}
	wantAccounts := map[string]int{"Workloads": 3, "Workloads/Prod": 2, "Workloads/Non-Prod": 1}
	for i, u := range r.OrganizationalUnits {
		if want := []string{"Workloads", "Workloads/Non-Prod", "Workloads/Prod"}[i]; u.Path != want {
			t.Fatalf(how+": OU %d is %s, want %s", i, u.Path, want)
		}
		ref := refs[u.Path][days-1]
		if u.Accounts != wantAccounts[u.Path] {
			t.Errorf(how+": %s: %d accounts, want %d", u.Path, u.Accounts, wantAccounts[u.Path])
		}
		if !sameScore(u.SummaryScore, ref.summary["org"][0]) || !sameScore(u.Score, u.SummaryScore) ||
			!sameScore(u.SummaryScoreWithoutSuppressions, ref.summary["org"][1]) {
			t.Errorf(how+": %s: summary %s (score %s, without suppressions %s), reference %s, %s", u.Path, fmtScore(u.SummaryScore),
				fmtScore(u.Score), fmtScore(u.SummaryScoreWithoutSuppressions), fmtScore(ref.summary["org"][0]), fmtScore(ref.summary["org"][1]))
		}
		if got := [3]int{u.SummaryControls.Passed, u.SummaryControls.Failed, u.SummaryControls.Unknown}; got != ref.summaryTally {
			t.Errorf(how+": %s: summary controls %v, reference %v", u.Path, got, ref.summaryTally)
		}
		for _, s := range u.Standards {
			if !sameScore(s.Score, ref.standards[s.ID]) || [3]int{s.Passed, s.Failed, s.Unknown} != ref.tally[s.ID] {
				t.Errorf(how+": %s %s: %s %d/%d/%d, reference %s %v", u.Path, s.ID, fmtScore(s.Score), s.Passed, s.Failed, s.Unknown, fmtScore(ref.standards[s.ID]), ref.tally[s.ID])
			}
		}
		wantTop := min(len(ref.failedAcc), ouTopControls)
		if len(u.TopFailedControls) != wantTop {
			t.Errorf(how+": %s: %d top failed controls, want %d (%v)", u.Path, len(u.TopFailedControls), wantTop, ref.failedAcc)
		}
		for j, c := range u.TopFailedControls {
			if c.FailedAccounts != ref.failedAcc[c.ControlID] {
				t.Errorf(how+": %s %s: failed in %d accounts, reference %d", u.Path, c.ControlID, c.FailedAccounts, ref.failedAcc[c.ControlID])
			}
			if j > 0 && c.FailedAccounts > u.TopFailedControls[j-1].FailedAccounts {
				t.Errorf(how+": %s: top failed controls not ranked by accounts: %+v", u.Path, u.TopFailedControls)
			}
		}
		if len(u.Trend) != days {
			t.Fatalf(how+": %s: %d trend points, want %d", u.Path, len(u.Trend), days)
		}
		for d, p := range u.Trend {
			if want := t0.Add(time.Duration(d-days+1) * 24 * time.Hour).Format("2006-01-02"); p.Date != want {
				t.Errorf(how+": %s point %d: date %s, want %s", u.Path, d, p.Date, want)
			}
			if !sameScore(p.SummaryScore, refs[u.Path][d].summary["org"][0]) {
				t.Errorf(how+": %s %s: trend %s, reference %s", u.Path, p.Date, fmtScore(p.SummaryScore), fmtScore(refs[u.Path][d].summary["org"][0]))
			}
		}
		if len(u.WeakestAccounts) != min(u.Accounts, ouWeakestAccounts) {
			t.Errorf(how+": %s: weakest accounts %+v", u.Path, u.WeakestAccounts)
		}
	}
	for _, a := range r.Accounts {
		if a.OU != ou[a.AccountID] || a.Owner != "team-"+a.AccountID[11:] {
			t.Errorf(how+": account %s: ou %q owner %q, want %q and team-%s", a.AccountID, a.OU, a.Owner, ou[a.AccountID], a.AccountID[11:])
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
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

// TestSummarizeBackfillsAccountControls: snapshots summarized before migration 009 (no account
// control statuses, unmarked) get exactly the statuses the commit would have stored when the next
// snapshot is committed, in more than one batch.
func TestSummarizeBackfillsAccountControls(t *testing.T) {
	st := storetest.Open(t, filepath.Join(t.TempDir(), "s.duckdb"), store.Options{OnCommit: Summarize})
	const old = backfillBatch + 2
	var last model.Snapshot
	for day := range old {
		last = writeSnap(t, st, t0.Add(time.Duration(day-old)*24*time.Hour), testCtl, randomEstate(uint64(day+60)))
	}
	dump := func() []string {
		rows, err := st.DB().Query(`SELECT snapshot_id, account_id, control_id, status, status_all FROM snapshot_account_controls
			WHERE snapshot_id <= ? ORDER BY ALL`, last.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id int64
			var acc, ctl string
			var s, sa int
			if err := rows.Scan(&id, &acc, &ctl, &s, &sa); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %s %s %d %d", id, acc, ctl, s, sa))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := dump()
	if len(want) < old {
		t.Fatalf("%d account control statuses stored over %d snapshots", len(want), old)
	}
	for _, q := range []string{`DELETE FROM snapshot_account_controls`, `DELETE FROM snapshot_account_controls_stored`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	writeSnap(t, st, t0, testCtl, randomEstate(99))
	if got := dump(); !slices.Equal(got, want) {
		t.Errorf("backfilled %d account control statuses, committed %d; first differences:\n%v\n%v", len(got), len(want), got[:min(len(got), 5)], want[:5])
	}
	var unmarked int
	if err := st.DB().QueryRow(`SELECT count(*) FROM snapshot_summarized ANTI JOIN snapshot_account_controls_stored USING (snapshot_id)`).Scan(&unmarked); err != nil || unmarked != 0 {
		t.Errorf("%d snapshots still without account control statuses (%v)", unmarked, err)
	}
}
