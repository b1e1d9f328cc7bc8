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

// diffCounts are a diff's counts in progress's terms (accounts joined aside).
func diffCounts(d *report.Diff) progressCounts {
	c := d.Counts
	return progressCounts{c.Fixed, c.NewlyFailing, c.NewlySuppressed, c.NewlyDisabled, c.AccountsLeft, c.NotComparable}
}

// pairsOf lists a diff list as "control@account (ou)" strings, in order.
func pairsOf(items []report.DiffItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, fmt.Sprintf("%s@%s %s %q %s", it.ControlID, it.AccountID, it.Severity, it.Title, it.OU))
	}
	return out
}

func accountsOf(items []report.DiffAccount) []string {
	out := []string{}
	for _, a := range items {
		out = append(out, fmt.Sprintf("%s %s %s", a.AccountID, a.Name, a.OU))
	}
	return out
}

// TestDiffByHand: one of each kind of change between two hand-built snapshots, worked out by
// hand, checked against progress and the independent reference.
func TestDiffByHand(t *testing.T) {
	const acc3, acc4 = "333333333333", "444444444444"
	t7 := t0.Add(7 * 24 * time.Hour)
	s31 := ctl("s31", acc1, "us-east-1", "S3.1", "FAILED", fsbp, pci)
	ec2 := ctl("ec2", acc1, "us-east-1", "EC2.2", "FAILED", fsbp, pci)
	rds := ctl("rds", acc1, "us-east-1", "RDS.1", "PASSED", fsbp)
	ct := ctl("ct", acc1, "us-east-1", "CloudTrail.2", "FAILED", fsbp)
	rds2 := ctl("rds2", acc2, "us-east-1", "RDS.1", "FAILED", fsbp)
	s33 := ctl("s33", acc3, "eu-west-1", "S3.1", "FAILED", fsbp)
	s34 := ctl("s34", acc4, "us-east-1", "S3.1", "FAILED", fsbp)
	set := func(f *model.Finding, edit func(*model.Finding)) *model.Finding { return with(f, edit) }
	accounts := []model.Account{{AccountID: acc1, Name: "prod-app", OU: "Workloads/Prod"},
		{AccountID: acc2, Name: "old-sandbox", OU: "Sandbox"}, {AccountID: acc3, Name: "eu-data", OU: "Workloads/Prod"}}
	base := snapData{at: t0, fs: []*model.Finding{s31, ec2, rds, ct, rds2, s33}, accounts: accounts}
	now := snapData{at: t7,
		fs: []*model.Finding{
			set(s31, func(f *model.Finding) { f.ComplianceStatus = "PASSED" }),   // fixed
			set(ec2, func(f *model.Finding) { f.WorkflowStatus = "SUPPRESSED" }), // suppressed: not fixed
			set(rds, func(f *model.Finding) { f.ComplianceStatus = "FAILED" }),   // newly failing
			set(ct, func(f *model.Finding) { f.RecordState = "ARCHIVED" }),       // disabled: not fixed
			s34, // acc4 joined, failing
		},
		disabled: []model.DisabledControl{{AccountID: acc1, Region: "us-east-1", StandardID: fsbp, ControlID: "CloudTrail.2", Source: model.DisabledByAssociation}},
		// acc2 left; acc3's region could not be read.
		coverage: []model.Coverage{{AccountID: acc1, Region: "us-east-1", Status: model.CoverageCollected},
			{AccountID: acc3, Region: "eu-west-1", Status: model.CoverageDenied, Reason: "AccessDenied"},
			{AccountID: acc4, Region: "us-east-1", Status: model.CoverageCollected}},
		accounts: []model.Account{accounts[0], accounts[2], {AccountID: acc4, Name: "new-team", OU: "Workloads/Non-Prod"}},
	}
	st := storetest.New(t)
	ctx := context.Background()
	from, to := base.write(t, st), now.write(t, st)
	d, err := BuildDiff(ctx, st, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"fixed":            {`S3.1@111111111111 MEDIUM "S3 block public access" Workloads/Prod`},
		"newly_failing":    {`RDS.1@111111111111 CRITICAL "RDS snapshots private" Workloads/Prod`},
		"newly_suppressed": {`EC2.2@111111111111 HIGH "Default SG" Workloads/Prod`},
		"newly_disabled":   {`CloudTrail.2@111111111111 MEDIUM "CloudTrail encryption" Workloads/Prod`},
		// A joined account was not collected in the earlier snapshot: its failures are not new
		// failures of a pair that was read before, as in progress.
		"not_comparable":  {`S3.1@333333333333 MEDIUM "S3 block public access" Workloads/Prod`, `S3.1@444444444444 MEDIUM "S3 block public access" Workloads/Non-Prod`},
		"accounts_left":   {"222222222222 old-sandbox Sandbox"},
		"accounts_joined": {"444444444444 new-team Workloads/Non-Prod"},
	}
	got := map[string][]string{
		"fixed": pairsOf(d.Fixed), "newly_failing": pairsOf(d.NewlyFailing), "newly_suppressed": pairsOf(d.NewlySuppressed),
		"newly_disabled": pairsOf(d.NewlyDisabled), "not_comparable": pairsOf(d.NotComparable),
		"accounts_left": accountsOf(d.AccountsLeft), "accounts_joined": accountsOf(d.AccountsJoined),
	}
	for k, w := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(w) {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	wantCounts := progressCounts{fixed: 1, newlyFailing: 1, newlySuppressed: 1, newlyDisabled: 1, accountsLeft: 1, notComparable: 2}
	if c := diffCounts(d); c != wantCounts {
		t.Errorf("counts %+v, want %+v", c, wantCounts)
	}
	if ref, _ := referenceProgress(base, now); ref != wantCounts {
		t.Errorf("reference %+v, want %+v", ref, wantCounts)
	}
	r, err := Build(ctx, st, to, Options{Now: pinned})
	if err != nil {
		t.Fatal(err)
	}
	if p := countsOf(r.Progress); p != wantCounts {
		t.Errorf("progress %+v, want %+v", p, wantCounts)
	}
	if d.From.ID != from.ID || d.To.ID != to.ID || d.From.Date != "2025-02-01" || d.To.Date != "2025-02-08" {
		t.Errorf("from %+v to %+v", d.From, d.To)
	}
	// The report's snapshot is a week after the other: SinceLastWeek is this diff.
	if r.SinceLastWeek == nil || fmt.Sprint(*r.SinceLastWeek) != fmt.Sprint(*d) {
		t.Errorf("since last week %+v, want %+v", r.SinceLastWeek, d)
	}
	if _, err := BuildDiff(ctx, st, to, from); err == nil {
		t.Error("a diff from a later snapshot to an earlier one: no error")
	}
	same, err := BuildDiff(ctx, st, to, to)
	if err != nil {
		t.Fatal(err)
	}
	if same.Counts != (report.DiffCounts{}) {
		t.Errorf("a snapshot against itself: %+v", same.Counts)
	}
}

// TestDiffMatchesProgress builds a history of random changes and compares the diff from the
// window's first snapshot to its last with progress's counts and the independent reference, and
// the weekly report's SinceLastWeek with the diff of the last week.
func TestDiffMatchesProgress(t *testing.T) {
	var seen progressCounts
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			hist := []snapData{{at: t0, fs: randomEstate(seed)}}
			for i := 1; i < 3; i++ {
				hist = append(hist, randomChange(seed*10+uint64(i), hist[i-1], t0.Add(time.Duration(i)*7*24*time.Hour)))
			}
			st := storetest.New(t)
			ctx := context.Background()
			snaps := make([]model.Snapshot, len(hist))
			for i, h := range hist {
				snaps[i] = h.write(t, st)
			}
			first, last := snaps[0], snaps[len(snaps)-1]
			r, err := Build(ctx, st, last, Options{Now: pinned})
			if err != nil {
				t.Fatal(err)
			}
			d, err := BuildDiff(ctx, st, first, last)
			if err != nil {
				t.Fatal(err)
			}
			got, p := diffCounts(d), countsOf(r.Progress)
			if got != p {
				t.Errorf("diff %+v, progress %+v", got, p)
			}
			if ref, _ := referenceProgress(hist[0], hist[len(hist)-1]); got != ref {
				t.Errorf("diff %+v, reference %+v", got, ref)
			}
			week, err := BuildDiff(ctx, st, snaps[len(snaps)-2], last)
			if err != nil {
				t.Fatal(err)
			}
			if ref, _ := referenceProgress(hist[len(hist)-2], hist[len(hist)-1]); diffCounts(week) != ref {
				t.Errorf("last week %+v, reference %+v", diffCounts(week), ref)
			}
			slw := r.SinceLastWeek
			if slw == nil || slw.Counts != week.Counts || slw.From != week.From {
				t.Fatalf("since last week %+v, want the last week's diff %+v", slw, week)
			}
			if g, w := pairsOf(slw.Fixed), pairsOf(head(week.Fixed, report.SinceLastWeekItems)); fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("since last week fixed %q, want %q", g, w)
			}
			if len(slw.NewlyFailing) != min(week.Counts.NewlyFailing, report.SinceLastWeekItems) {
				t.Errorf("since last week lists %d newly failing of %d", len(slw.NewlyFailing), week.Counts.NewlyFailing)
			}
			seen.add(got)
			seen.add(diffCounts(week))
		})
	}
	seen.wantEach(t)
}
