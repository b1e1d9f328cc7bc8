package collect_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

// BenchmarkCollectQuota collects 20 accounts x 3,000 findings with AWS's quotas enforced by the
// emulator (GetFindings 3/s burst 6 per account per region) and reports how close the run comes
// to the floor those quotas set: the slowest account/region needs pages/3 seconds whatever the
// client does. Run with -benchtime 1x; `make bench` does.
func BenchmarkCollectQuota(b *testing.B) {
	const accounts, perAccount = 20, 3000
	srv, hs := demoaws.NewTestServer(b, demoaws.Config{Accounts: accounts, FindingsPerAccount: perAccount}, fakeaws.Options{Aggregator: true})
	active := activeFindings(srv)
	pairs := map[[2]string]int{}
	for _, f := range active {
		pairs[[2]string{f.AccountID, f.Region}]++
	}
	maxPages, allPages := 0, 0
	for _, n := range pairs {
		p := (n + 99) / 100
		maxPages = max(maxPages, p)
		allPages += p
	}
	for _, mode := range []string{collect.ModeAccounts, collect.ModeAggregator} {
		b.Run(mode, func(b *testing.B) {
			// The aggregator reads everything as one account in one region.
			floor := float64(maxPages) / collect.DefaultGetFindingsQuota.Rate
			if mode == collect.ModeAggregator {
				floor = math.Ceil(float64(len(active))/100) / collect.DefaultGetFindingsQuota.Rate
			}
			for b.Loop() {
				before := srv.Stats()
				got, wall := timedCollect(b, srv, hs.URL, mode, len(active))
				after := srv.Stats()
				b.ReportMetric(wall, "wall-s")
				b.ReportMetric(float64(len(got.Findings))/wall, "findings/s")
				b.ReportMetric(floor, "floor-s")
				b.ReportMetric(wall/floor, "x-floor")
				b.ReportMetric(float64(after.Throttled-before.Throttled), "throttled")
				b.Logf("%s: %d findings, %d account/region pairs (%d pages, at most %d in one pair): %.1f s, %.0f findings/s, floor %.1f s, %.2fx the floor, %d requests throttled by the emulator",
					mode, len(got.Findings), len(pairs), allPages, maxPages, wall, float64(len(got.Findings))/wall, floor, wall/floor, after.Throttled-before.Throttled)
			}
		})
	}
}

// timedCollect collects in mode, checks that it got the want findings the estate has active, and
// returns them with the wall time in seconds.
func timedCollect(b *testing.B, srv *fakeaws.Server, url, mode string, want int) (*collect.Buffer, float64) {
	b.Helper()
	start := time.Now()
	got, _, err := collectWith(b, b.Context(), srv, url, collect.AWSOptions{Mode: mode})
	if err != nil {
		b.Fatal(err)
	}
	wall := time.Since(start).Seconds()
	if len(got.Findings) != want {
		b.Fatalf("%s: collected %d findings, want %d", mode, len(got.Findings), want)
	}
	return got, wall
}

// BenchmarkCollectRegions collects 20 accounts x 1,000 findings over the demo's 4 regions with
// AWS's quotas enforced by the emulator, in regions mode and in aggregator mode, and reports
// each one's wall time against the floor its quotas set: GetFindings allows a burst of 6 and then
// 3 pages of 100 a second, per account per region, so regions mode cannot beat the region with
// the most findings, (pages - 6) / 3 seconds, and aggregator mode, which reads every finding in
// the home region, (all pages - 6) / 3. Each mode gets its own emulator, so neither starts with
// buckets the other drained. Both must collect the same findings. Run with -benchtime 1x; `make
// bench` does.
func BenchmarkCollectRegions(b *testing.B) {
	const accounts, perAccount = 20, 1000
	burst, rate := float64(collect.DefaultGetFindingsQuota.Burst), collect.DefaultGetFindingsQuota.Rate
	floorOf := func(pages int) float64 { return max(float64(pages)-burst, 0) / rate }
	walls := map[string]float64{}
	keys := map[string][]string{}
	for _, mode := range []string{collect.ModeRegions, collect.ModeAggregator} {
		b.Run(mode, func(b *testing.B) {
			srv, hs := demoaws.NewTestServer(b, demoaws.Config{Accounts: accounts, FindingsPerAccount: perAccount}, fakeaws.Options{Aggregator: true})
			active := activeFindings(srv)
			perRegion := map[string]int{}
			for _, f := range active {
				perRegion[f.Region]++
			}
			busiest, pages := "", 0
			for r, n := range perRegion {
				if p := (n + 99) / 100; p > pages {
					busiest, pages = r, p
				}
			}
			floor := floorOf(pages)
			if mode == collect.ModeAggregator {
				floor = floorOf((len(active) + 99) / 100)
			}
			for b.Loop() {
				before := srv.Stats()
				got, wall := timedCollect(b, srv, hs.URL, mode, len(active))
				ks := make([]string, 0, len(got.Findings))
				for _, f := range got.Findings {
					ks = append(ks, key(f))
				}
				slices.Sort(ks)
				keys[mode], walls[mode] = ks, wall
				throttled := srv.Stats().Throttled - before.Throttled
				b.ReportMetric(wall, "wall-s")
				b.ReportMetric(floor, "floor-s")
				b.ReportMetric(wall/floor, "x-floor")
				b.ReportMetric(float64(throttled), "throttled")
				b.Logf("%s: %d findings (per region %v; busiest %s, %d pages): %.1f s, floor %.1f s, %.2fx the floor, %d requests throttled by the emulator",
					mode, len(got.Findings), perRegion, busiest, pages, wall, floor, wall/floor, throttled)
				// Aggregator mode runs second: compare it with regions mode's run.
				if mode == collect.ModeAggregator && keys[collect.ModeRegions] != nil {
					if !slices.Equal(keys[collect.ModeRegions], ks) {
						b.Fatal("regions and aggregator mode collected different findings")
					}
					b.ReportMetric(walls[collect.ModeRegions]/wall, "regions/aggregator")
					b.Logf("regions mode took %.2fx the time of aggregator mode (%.1f s against %.1f s), the same %d findings",
						walls[collect.ModeRegions]/wall, walls[collect.ModeRegions], wall, len(ks))
				}
			}
		})
	}
}
