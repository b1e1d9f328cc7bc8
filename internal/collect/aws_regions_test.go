package collect_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
)

// scores are the figures of a report that depend on what was collected.
type scores struct {
	Summary, SummaryWithoutSuppressions *float64
	Standards                           []report.StandardScore
	Accounts                            []report.AccountScores
}

func scoresOf(r *report.Report) scores {
	return scores{r.SummaryScore, r.SummaryScoreWithoutSuppressions, r.Standards, r.Accounts}
}

// TestAWSRegionsModeMatchesAggregator: with AWS's quotas on in the emulator, regions mode reads
// every finding exactly once (the home region holds every region's findings, the linked regions
// their own), covers each account in each region, and gives the report the same scores as
// aggregator mode.
func TestAWSRegionsModeMatchesAggregator(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5, FindingsPerAccount: 300}, fakeaws.Options{Aggregator: true})
	if srv.Options().Unlimited {
		t.Fatal("quotas are off: the test must run with AWS's quotas")
	}
	want := activeFindings(srv)
	type result struct {
		findings []*model.Finding
		coverage []coverageRow
		scores   scores
		status   string
	}
	results := map[string]result{}
	for _, mode := range []string{collect.ModeAggregator, collect.ModeRegions} {
		src, err := collect.NewAWSSource(awsConfig(srv, hs.URL), collect.AWSOptions{Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		before := srv.Stats()
		st, snap, err := storeSnapshot(t, src)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if after := srv.Stats(); mode == collect.ModeRegions && after.Requests["GetFindings"]-before.Requests["GetFindings"] < len(srv.Regions()) {
			t.Errorf("regions mode sent %d GetFindings requests, fewer than one per region", after.Requests["GetFindings"]-before.Requests["GetFindings"])
		}
		r, err := analyze.Build(t.Context(), st, snap, analyze.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := storedFindings(t, st, snap.ID)
		t.Run(mode, func(t *testing.T) { checkExactlyOnce(t, want, got) })
		results[mode] = result{got, coverageOf(t, st, snap.ID), scoresOf(r), snap.Status}
	}
	agg, reg := results[collect.ModeAggregator], results[collect.ModeRegions]
	if !reflect.DeepEqual(reg.coverage, agg.coverage) {
		t.Errorf("coverage differs:\nregions    %v\naggregator %v", reg.coverage, agg.coverage)
	}
	if reg.status != agg.status {
		t.Errorf("snapshot status: regions %s, aggregator %s", reg.status, agg.status)
	}
	if !reflect.DeepEqual(reg.scores, agg.scores) {
		t.Errorf("scores differ:\nregions    %+v\naggregator %+v", reg.scores, agg.scores)
	}
	if reg.scores.Summary == nil || len(reg.scores.Standards) == 0 || len(reg.scores.Accounts) == 0 {
		t.Errorf("the report has no scores to compare: %+v", reg.scores)
	}
	// Coverage has each account in each region, and counts what was read there.
	perPair := map[[2]string]int64{}
	for _, f := range want {
		perPair[[2]string{f.AccountID, f.Region}]++
	}
	regions := map[string]bool{}
	for _, c := range reg.coverage {
		regions[c.region] = true
		if c.findings != perPair[[2]string{c.account, c.region}] {
			t.Errorf("coverage %s/%s: %d findings, the estate has %d", c.account, c.region, c.findings, perPair[[2]string{c.account, c.region}])
		}
	}
	if len(regions) != len(srv.Regions()) || len(reg.coverage) != len(regions)*len(srv.Accounts()) {
		t.Errorf("coverage: %d rows over regions %v; want each of the %d accounts in each of %v", len(reg.coverage), regions, len(srv.Accounts()), srv.Regions())
	}
}

// TestAWSRegionsModeRegionOff: a region where Security Hub is off answers the administrator with
// InvalidAccessException. It is recorded as not_enabled for every account there, the rest is
// read, and the snapshot is stored as partial (as for any gap; `collect` exits 3).
func TestAWSRegionsModeRegionOff(t *testing.T) {
	probe, err := demoaws.New(demoaws.Config{Accounts: 4}, fakeaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	off := probe.Regions()[len(probe.Regions())-1]
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 4, FindingsPerAccount: 200}, fakeaws.Options{Aggregator: true, DisabledRegions: []string{"*:" + off}})
	src, err := collect.NewAWSSource(awsConfig(srv, hs.URL), collect.AWSOptions{Mode: collect.ModeRegions})
	if err != nil {
		t.Fatal(err)
	}
	st, snap, err := storeSnapshot(t, src)
	if err != nil {
		t.Fatalf("a region with Security Hub off must not fail the run: %v", err)
	}
	if snap.Status != model.StatusPartial {
		t.Errorf("snapshot status %s, want partial", snap.Status)
	}
	checkExactlyOnce(t, activeFindings(srv), storedFindings(t, st, snap.ID)) // the estate serves nothing of the region
	var offRows int
	for _, c := range coverageOf(t, st, snap.ID) {
		if c.region != off {
			if c.status != model.CoverageCollected {
				t.Errorf("%s/%s: %s, want collected", c.account, c.region, c.status)
			}
			continue
		}
		offRows++
		if c.status != model.CoverageNotEnabled {
			t.Errorf("%s/%s: %s, want %s", c.account, c.region, c.status, model.CoverageNotEnabled)
		}
	}
	if offRows != len(srv.Accounts()) {
		t.Errorf("%d coverage rows for %s, want one per account (%d)", offRows, off, len(srv.Accounts()))
	}
	var reason string
	if err := st.DB().QueryRowContext(t.Context(), `SELECT any_value(reason) FROM coverage WHERE snapshot_id = ? AND region = ?`, snap.ID, off).Scan(&reason); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(reason, "InvalidAccessException: ") {
		t.Errorf("reason %q, want AWS's InvalidAccessException", reason)
	}
}

// TestAWSRegionsModeFindsUnlistedRegions: an aggregator linking ALL_REGIONS lists none, so regions
// mode asks the home region which regions its findings come from, then reads each once.
func TestAWSRegionsModeFindsUnlistedRegions(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Aggregator: true, AggregatorLinksAll: true, Unlimited: true})
	got, plan, err := collectWith(t, t.Context(), srv, hs.URL, collect.AWSOptions{Mode: collect.ModeRegions})
	if err != nil {
		t.Fatal(err)
	}
	if !plan.AllRegionsLinked || !slices.Equal(plan.AggregatorRegions, []string{srv.HomeRegion()}) {
		t.Errorf("plan: AllRegionsLinked %v, aggregator regions %v; want true and only the home region listed", plan.AllRegionsLinked, plan.AggregatorRegions)
	}
	if gotR, wantR := slices.Sorted(slices.Values(plan.Regions)), slices.Sorted(slices.Values(srv.Regions())); !slices.Equal(gotR, wantR) {
		t.Errorf("regions read %v, want %v", plan.Regions, srv.Regions())
	}
	if plan.Regions[0] != srv.HomeRegion() {
		t.Errorf("regions %v: the home region first", plan.Regions)
	}
	checkExactlyOnce(t, activeFindings(srv), got.Findings)
}

// TestAWSRegionsModePartWayIsFatal: a region that fails after some of its findings went to the
// sink fails the run, as the aggregator's stream does: the findings are not held back per region,
// so keeping the snapshot would keep part of a region. (The emulator allows one GetFindings per
// region and then almost nothing; the client does not pace and gives up after two attempts.)
func TestAWSRegionsModePartWayIsFatal(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2, FindingsPerAccount: 1000}, fakeaws.Options{Aggregator: true, GetFindingsRate: 0.001, GetFindingsBurst: 1})
	src, err := collect.NewAWSSource(awsConfig(srv, hs.URL), collect.AWSOptions{Mode: collect.ModeRegions, MaxAttempts: 2,
		GetFindingsQuota: collect.Unpaced, CatalogQuota: collect.Unpaced})
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := storeSnapshot(t, src)
	if err == nil || !strings.Contains(err.Error(), "failed after") || !strings.Contains(err.Error(), "TooManyRequestsException") {
		t.Fatalf("err = %v, want a region that failed part-way, throttled", err)
	}
	snaps, err := st.Snapshots(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 0 {
		t.Errorf("%d snapshots stored, want none", len(snaps))
	}
}
