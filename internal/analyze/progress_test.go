package analyze

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

// snapData is what one snapshot of a progress test is written from, and what the reference reads.
type snapData struct {
	at       time.Time
	stds     []model.Standard // nil: testStd
	ctls     []model.Control
	fs       []*model.Finding
	coverage []model.Coverage // nil: the store derives it from the findings (all collected)
	disabled []model.DisabledControl
	accounts []model.Account
}

func (d snapData) write(t *testing.T, st *store.Store) model.Snapshot {
	t.Helper()
	ctx := context.Background()
	ctls := d.ctls
	if ctls == nil {
		ctls = testCtl
	}
	stds := d.stds
	if stds == nil {
		stds = testStd
	}
	w, err := st.BeginSnapshot(ctx, model.SnapshotMeta{TakenAt: d.at, Source: "test", Organization: "org"}, stds, ctls)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range d.fs {
		if err := w.AddFinding(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range d.coverage {
		if err := w.AddCoverage(c); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range d.accounts {
		if err := w.AddAccount(a); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range d.disabled {
		if err := w.AddDisabledControl(x); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// progressCounts are the progress lines a test compares.
type progressCounts struct {
	fixed, newlyFailing, newlySuppressed, newlyDisabled, accountsLeft, notComparable int
}

func (c *progressCounts) add(o progressCounts) {
	c.fixed += o.fixed
	c.newlyFailing += o.newlyFailing
	c.newlySuppressed += o.newlySuppressed
	c.newlyDisabled += o.newlyDisabled
	c.accountsLeft += o.accountsLeft
	c.notComparable += o.notComparable
}

// wantEach fails t unless every outcome occurred somewhere (the sum over a test's cases): else
// the comparison proves less than it seems.
func (c progressCounts) wantEach(t *testing.T) {
	t.Helper()
	if c.fixed == 0 || c.newlyFailing == 0 || c.newlySuppressed == 0 || c.newlyDisabled == 0 ||
		c.accountsLeft == 0 || c.notComparable == 0 {
		t.Errorf("some outcome never occurred over the seeds: %+v", c)
	}
}

func countsOf(p report.Progress) progressCounts {
	return progressCounts{p.Fixed, p.NewlyFailing, p.NewlySuppressed, p.NewlyDisabled, p.AccountsLeft, p.NotComparable}
}

// referenceProgress is an independent, naive implementation of the progress rules over the raw
// findings, coverage and disablements of two snapshots (see pairChangesSQL for the rule in words):
// the counts, and per control the failing accounts before and now over comparable pairs.
func referenceProgress(base, now snapData) (progressCounts, map[string][2]int) {
	type point struct{ region, std string }
	type pair struct{ account, control string }
	snaps := []snapData{base, now}
	points := map[pair]map[point]bool{}
	accounts := [2]map[string]bool{{}, {}}
	collected := [2]map[[2]string]bool{{}, {}}
	for i, d := range snaps {
		for _, f := range d.fs {
			accounts[i][f.AccountID] = true
			if d.coverage == nil {
				collected[i][[2]string{f.AccountID, f.Region}] = true
			}
			if f.ControlID == "" {
				continue
			}
			k := pair{f.AccountID, f.ControlID}
			if points[k] == nil {
				points[k] = map[point]bool{}
			}
			for _, s := range f.Standards {
				points[k][point{f.Region, s}] = true
			}
		}
		for _, c := range d.coverage {
			accounts[i][c.AccountID] = true
			if c.Status == model.CoverageCollected {
				collected[i][[2]string{c.AccountID, c.Region}] = true
			}
		}
	}
	disabledAt := func(i int, k pair, p point) bool {
		ctls := snaps[i].ctls
		if ctls == nil {
			ctls = testCtl
		}
		for _, c := range ctls {
			if c.Disabled && c.StandardID == p.std && c.ControlID == k.control {
				return true
			}
		}
		for _, x := range snaps[i].disabled {
			if x.AccountID == k.account && x.Region == p.region && x.StandardID == p.std && x.ControlID == k.control {
				return true
			}
		}
		return false
	}
	// status by AWS's rule over the pair's active findings at points not disabled.
	status := func(i int, k pair, countSuppressed bool) string {
		has := map[string]bool{}
		for _, f := range snaps[i].fs {
			if f.AccountID != k.account || f.ControlID != k.control || f.RecordState != "ACTIVE" ||
				(f.WorkflowStatus == "SUPPRESSED" && !countSuppressed) {
				continue
			}
			for _, s := range f.Standards {
				if !disabledAt(i, k, point{f.Region, s}) {
					has[f.ComplianceStatus] = true
				}
			}
		}
		return referenceStatus(has)
	}
	var c progressCounts
	for a := range accounts[0] {
		if !accounts[1][a] {
			c.accountsLeft++
		}
	}
	perControl := map[string][2]int{}
	for k, pts := range points {
		allCollected, disabled := true, [2]bool{true, true}
		for p := range pts {
			for i := range 2 {
				allCollected = allCollected && collected[i][[2]string{k.account, p.region}]
				disabled[i] = disabled[i] && disabledAt(i, k, p)
			}
		}
		before, nowSt, nowAll := status(0, k, false), status(1, k, false), status(1, k, true)
		if before != "FAILED" && nowSt != "FAILED" {
			continue
		}
		left := !accounts[1][k.account]
		switch {
		case left:
		case !allCollected:
			c.notComparable++
		case disabled[0]:
		case disabled[1]:
			if before == "FAILED" {
				c.newlyDisabled++
			}
		case before == "FAILED" && nowSt == "PASSED":
			c.fixed++
		case before == "FAILED" && nowAll == "FAILED" && nowSt != "FAILED":
			c.newlySuppressed++
		case before != "FAILED" && nowSt == "FAILED":
			c.newlyFailing++
		}
		if left || !allCollected || disabled[0] || disabled[1] {
			continue
		}
		pc := perControl[k.control]
		if before == "FAILED" {
			pc[0]++
		}
		if nowAll == "FAILED" {
			pc[1]++
		}
		perControl[k.control] = pc
	}
	for id, pc := range perControl {
		if pc[0] == pc[1] {
			delete(perControl, id)
		}
	}
	return c, perControl
}

// buildProgress writes the snapshots and builds the report of the last.
func buildProgress(t *testing.T, opt Options, snaps ...snapData) *report.Report {
	t.Helper()
	st := storetest.New(t)
	var last model.Snapshot
	for _, d := range snaps {
		last = d.write(t, st)
	}
	if opt.Now == nil {
		opt.Now = pinned
	}
	r, err := Build(context.Background(), st, last, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func controlChangesOf(p report.Progress) map[string][2]int {
	out := map[string][2]int{}
	for _, cs := range [][]report.ControlChange{p.FixedControls, p.RegressedControls} {
		for _, c := range cs {
			out[c.ControlID] = [2]int{c.AccountsBefore, c.AccountsNow}
		}
	}
	return out
}

// TestProgressCountsRealChangeOnly: the scenarios, each checked against the hand-worked
// counts and against referenceProgress.
func TestProgressCountsRealChangeOnly(t *testing.T) {
	t7 := t0.Add(7 * 24 * time.Hour)
	s31 := ctl("s31", acc1, "us-east-1", "S3.1", "FAILED", fsbp, pci)
	ec2 := ctl("ec2", acc1, "us-east-1", "EC2.2", "FAILED", fsbp, pci)
	rds2 := ctl("rds2", acc2, "us-east-1", "RDS.1", "FAILED", fsbp)
	ct2 := ctl("ct2", acc2, "us-east-1", "CloudTrail.2", "PASSED", fsbp)
	fixedF := func(f *model.Finding) *model.Finding {
		return with(f, func(f *model.Finding) { f.ComplianceStatus = "PASSED" })
	}
	suppressedF := func(f *model.Finding) *model.Finding {
		return with(f, func(f *model.Finding) { f.WorkflowStatus = "SUPPRESSED" })
	}
	archived := func(f *model.Finding) *model.Finding {
		return with(f, func(f *model.Finding) { f.RecordState = "ARCHIVED" })
	}
	collected := func(acc, region string) model.Coverage {
		return model.Coverage{AccountID: acc, Region: region, Status: model.CoverageCollected}
	}
	base := snapData{at: t0, fs: []*model.Finding{s31, ec2, rds2, ct2}}
	tests := []struct {
		name        string
		now         snapData
		want        progressCounts
		wantChanges map[string][2]int // control -> accounts failing before, now (most improved / regressed)
	}{
		{
			// The issue: one real fix (S3.1) and one suppression (EC2.2); we used to report fixed=2.
			name: "one fix and one suppression",
			now:  snapData{at: t7, fs: []*model.Finding{fixedF(s31), suppressedF(ec2), rds2, ct2}},
			want: progressCounts{fixed: 1, newlySuppressed: 1},
			// EC2.2's failure is suppressed, not fixed: it is no improvement.
			wantChanges: map[string][2]int{"S3.1": {1, 0}},
		},
		{
			// acc2 could not be read in the second snapshot: its RDS.1 failure is not a fix.
			name: "account not collected",
			now: snapData{at: t7, fs: []*model.Finding{s31, ec2},
				coverage: []model.Coverage{collected(acc1, "us-east-1"),
					{AccountID: acc2, Region: "us-east-1", Status: model.CoverageDenied, Reason: "AccessDenied"}}},
			want:        progressCounts{notComparable: 1},
			wantChanges: map[string][2]int{},
		},
		{
			// acc2 left the organization: no finding, no coverage, not among the accounts.
			name:        "account left",
			now:         snapData{at: t7, fs: []*model.Finding{s31, fixedF(ec2)}},
			want:        progressCounts{fixed: 1, accountsLeft: 1},
			wantChanges: map[string][2]int{"EC2.2": {1, 0}},
		},
		{
			// S3.1 disabled in acc1 for both its standards (AWS archives its findings), EC2.2 disabled
			// in one standard only (still enabled for PCI, where it is fixed), and RDS.1 newly failing
			// elsewhere while acc2's is fixed.
			name: "control disabled in the second",
			now: snapData{at: t7,
				fs: []*model.Finding{archived(s31), fixedF(ec2), fixedF(rds2), ct2,
					ctl("rds1", acc1, "us-east-1", "RDS.1", "FAILED", fsbp)},
				disabled: []model.DisabledControl{
					{AccountID: acc1, Region: "us-east-1", StandardID: fsbp, ControlID: "S3.1", Source: model.DisabledByAssociation},
					{AccountID: acc1, Region: "us-east-1", StandardID: pci, ControlID: "S3.1", Source: model.DisabledByAssociation},
					{AccountID: acc1, Region: "us-east-1", StandardID: fsbp, ControlID: "EC2.2", Source: model.DisabledByConfig},
				}},
			want: progressCounts{fixed: 2, newlyFailing: 1, newlyDisabled: 1},
			// S3.1 went from 1 failing account to none by being disabled: not "most improved".
			wantChanges: map[string][2]int{"EC2.2": {1, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := buildProgress(t, Options{}, base, tt.now)
			got := countsOf(r.Progress)
			if got != tt.want {
				t.Errorf("progress %+v, want %+v", got, tt.want)
			}
			ref, refChanges := referenceProgress(base, tt.now)
			if got != ref {
				t.Errorf("progress %+v, reference %+v", got, ref)
			}
			gotChanges := controlChangesOf(r.Progress)
			if fmt.Sprint(gotChanges) != fmt.Sprint(tt.wantChanges) || fmt.Sprint(gotChanges) != fmt.Sprint(refChanges) {
				t.Errorf("control changes %v, want %v, reference %v", gotChanges, tt.wantChanges, refChanges)
			}
		})
	}
}

// TestProgressMatchesIndependentCalculation compares the progress lines with referenceProgress
// over random pairs of estates: statuses, suppressions and archiving change, controls are disabled
// per account, region and standard, regions go uncollected and accounts leave.
func TestProgressMatchesIndependentCalculation(t *testing.T) {
	var seen progressCounts
	for seed := range uint64(10) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			base := snapData{at: t0, fs: randomEstate(seed)}
			now := randomChange(seed, base, t0.Add(7*24*time.Hour))
			r := buildProgress(t, Options{}, base, now)
			got := countsOf(r.Progress)
			ref, refChanges := referenceProgress(base, now)
			if got != ref {
				t.Errorf("progress %+v, reference %+v", got, ref)
			}
			if g := controlChangesOf(r.Progress); fmt.Sprint(g) != fmt.Sprint(refChanges) {
				t.Errorf("control changes %v, reference %v", g, refChanges)
			}
			seen.add(got)
		})
	}
	seen.wantEach(t)
}

// randomChange returns the snapshot at `at` that follows base: statuses, suppressions change,
// controls are disabled per account, region and standard, one account/region goes uncollected
// and one account leaves.
func randomChange(seed uint64, base snapData, at time.Time) snapData {
	rng := rand.New(rand.NewPCG(seed, 7))
	now := snapData{at: at}
	statuses := []string{"PASSED", "FAILED", "WARNING"}
	workflows := []string{"NEW", "NOTIFIED", "SUPPRESSED"}
	gone := fmt.Sprintf("%012d", 100000000000+rng.IntN(4))
	denied := [2]string{fmt.Sprintf("%012d", 100000000000+rng.IntN(4)), []string{"us-east-1", "eu-west-1"}[rng.IntN(2)]}
	regions := map[[2]string]bool{}
	for _, f := range base.fs {
		if f.AccountID == gone || (f.AccountID == denied[0] && f.Region == denied[1]) {
			continue // left, or not read: no finding in the second snapshot
		}
		regions[[2]string{f.AccountID, f.Region}] = true
		g := with(f, func(g *model.Finding) {
			if rng.IntN(3) == 0 {
				g.ComplianceStatus = statuses[rng.IntN(len(statuses))]
			}
			if rng.IntN(4) == 0 {
				g.WorkflowStatus = workflows[rng.IntN(len(workflows))]
			}
		})
		now.fs = append(now.fs, g)
		if rng.IntN(5) == 0 {
			std := f.Standards[rng.IntN(len(f.Standards))]
			now.disabled = append(now.disabled, model.DisabledControl{AccountID: f.AccountID, Region: f.Region,
				StandardID: std, ControlID: f.ControlID, Source: model.DisabledByConfig})
		}
	}
	for k := range regions {
		now.coverage = append(now.coverage, model.Coverage{AccountID: k[0], Region: k[1], Status: model.CoverageCollected})
	}
	if denied[0] != gone {
		now.coverage = append(now.coverage, model.Coverage{AccountID: denied[0], Region: denied[1], Status: model.CoverageThrottled, Reason: "throttled"})
	}
	sort.Slice(now.coverage, func(i, j int) bool {
		return now.coverage[i].AccountID+now.coverage[i].Region < now.coverage[j].AccountID+now.coverage[j].Region
	})
	return now
}

// TestTimeToRemediate: remediation age runs from FirstObservedAt, the median needs
// MinRemediationsForMedian fixes, and the failures still open are counted.
func TestTimeToRemediate(t *testing.T) {
	t7 := t0.Add(7 * 24 * time.Hour)
	firstSeen := []time.Duration{30, 2, 11, 45, 9, 60} // days before t0
	var base, now []*model.Finding
	for i, d := range firstSeen {
		f := with(ctl(fmt.Sprintf("r%d", i), acc1, "us-east-1", "S3.1", "FAILED", fsbp), func(f *model.Finding) {
			f.FirstObservedAt = t0.Add(-d * 24 * time.Hour)
			f.ResourceID = fmt.Sprintf("bucket-%d", i)
		})
		base = append(base, f)
		now = append(now, f)
	}
	for _, n := range []int{len(firstSeen) - 1, report.MinRemediationsForMedian - 1} {
		t.Run(fmt.Sprintf("%d fixed", n), func(t *testing.T) {
			fixed := append([]*model.Finding(nil), now...)
			var days []float64
			for i := range n {
				fixed[i] = with(fixed[i], func(f *model.Finding) { f.ComplianceStatus = "PASSED" })
				// Independently: from FirstObservedAt to the snapshot that showed the fix.
				days = append(days, t7.Sub(base[i].FirstObservedAt).Hours()/24)
			}
			r := buildProgress(t, Options{}, snapData{at: t0, fs: base}, snapData{at: t7, fs: fixed})
			p := r.Progress
			if p.Remediated != n || p.StillOpen != len(firstSeen)-n {
				t.Errorf("remediated %d, still open %d; want %d, %d", p.Remediated, p.StillOpen, n, len(firstSeen)-n)
			}
			if n < report.MinRemediationsForMedian {
				if p.MedianDaysToRemediate != nil {
					t.Errorf("median %s over %d fixes, want none below %d", fmtScore(p.MedianDaysToRemediate), n, report.MinRemediationsForMedian)
				}
				return
			}
			sort.Float64s(days)
			want := days[len(days)/2] // n is odd here
			if !sameScore(p.MedianDaysToRemediate, &want) {
				t.Errorf("median days %s, want %v (from FirstObservedAt), over %v", fmtScore(p.MedianDaysToRemediate), want, days)
			}
		})
	}
}

// TestPartialSnapshotsMarked: every series point of a partial snapshot says so, the others do not.
func TestPartialSnapshotsMarked(t *testing.T) {
	fs := fixtureDay0()
	partial := snapData{at: t0.Add(24 * time.Hour), fs: fs, coverage: []model.Coverage{
		{AccountID: acc1, Region: "us-east-1", Status: model.CoverageCollected},
		{AccountID: acc1, Region: "eu-west-1", Status: model.CoverageCollected},
		{AccountID: acc2, Region: "us-east-1", Status: model.CoverageCollected},
		{AccountID: acc2, Region: "eu-west-1", Status: model.CoverageDenied, Reason: "AccessDenied"},
	}}
	r := buildProgress(t, Options{TargetHorizonDays: 30}, snapData{at: t0, fs: fs}, partial, snapData{at: t0.Add(48 * time.Hour), fs: fs})
	want := []bool{false, true, false}
	p := r.Progress
	if len(p.Series) != 3 {
		t.Fatalf("series %+v", p.Series)
	}
	for i, pt := range p.Series {
		if pt.Partial != want[i] {
			t.Errorf("risk series point %d (%s): partial %v, want %v", i, pt.Date, pt.Partial, want[i])
		}
	}
	for _, sp := range p.Standards {
		for i, pt := range sp.Series {
			if pt.Partial != want[i] {
				t.Errorf("%s series point %d: partial %v, want %v", sp.ID, i, pt.Partial, want[i])
			}
		}
		// A flat score is off track, and says why.
		if sp.OnTrack || sp.OffTrackReason != "score flat" {
			t.Errorf("%s: on track %v, reason %q; want off track, \"score flat\"", sp.ID, sp.OnTrack, sp.OffTrackReason)
		}
	}
	if p.TargetHorizonDays != 30 {
		t.Errorf("target horizon %d, want the option's 30", p.TargetHorizonDays)
	}
}

// TestRemediationAgeOfARefailure: the first failure is aged from FirstObservedAt; a failure that
// comes back after a fix is aged from its own start, not from FirstObservedAt.
func TestRemediationAgeOfARefailure(t *testing.T) {
	st := storetest.New(t)
	firstObserved := t0.Add(-100 * 24 * time.Hour)
	day := func(d int) time.Time { return t0.Add(time.Duration(d) * 24 * time.Hour) }
	var last model.Snapshot
	for i, status := range []string{"FAILED", "PASSED", "FAILED", "PASSED"} {
		f := with(ctl("x", acc1, "us-east-1", "S3.1", status, fsbp), func(f *model.Finding) {
			f.FirstObservedAt, f.UpdatedAt = firstObserved, day(10*i)
		})
		last = snapData{at: day(10 * i), fs: []*model.Finding{f}}.write(t, st)
	}
	a := &analyzer{st: st, snap: last, opt: Options{Now: pinned}.withDefaults()}
	rem, err := a.remediations(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, x := range rem {
		got = append(got, x.days)
	}
	sort.Float64s(got)
	// Fixed at day 10 after failing since FirstObservedAt (110 days); failing again from day 20
	// (its UpdatedAt and first sight), fixed at day 30 (10 days).
	if want := []float64{10, 110}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("remediation ages %v, want %v", got, want)
	}
}

// TestDisablingIsNoRemediation: a failing finding archived because its control was disabled in
// its account and region is no remediation; one archived otherwise still is (archived as fixed).
func TestDisablingIsNoRemediation(t *testing.T) {
	failing := []*model.Finding{
		ctl("d1", acc1, "us-east-1", "S3.1", "FAILED", fsbp),
		ctl("d2", acc2, "us-east-1", "S3.1", "FAILED", fsbp),
	}
	archived := []*model.Finding{
		with(failing[0], func(f *model.Finding) { f.RecordState = "ARCHIVED" }),
		with(failing[1], func(f *model.Finding) { f.RecordState = "ARCHIVED" }),
	}
	r := buildProgress(t, Options{}, snapData{at: t0, fs: failing}, snapData{at: t0.Add(7 * 24 * time.Hour), fs: archived,
		disabled: []model.DisabledControl{{AccountID: acc1, Region: "us-east-1", StandardID: fsbp, ControlID: "S3.1", Source: model.DisabledByAssociation}}})
	if r.Progress.Remediated != 1 || r.Findings.RemediatedThisMonth != 1 {
		t.Errorf("remediated %d in the window, %d this month; want 1 and 1 (d2 only)", r.Progress.Remediated, r.Findings.RemediatedThisMonth)
	}
	if r.Progress.NewlyDisabled != 1 {
		t.Errorf("newly disabled %d, want 1 (S3.1 in acc1)", r.Progress.NewlyDisabled)
	}
}
