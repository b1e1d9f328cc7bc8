package collect_test

import (
	"math"
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
				start := time.Now()
				got, _, err := collectWith(b, b.Context(), srv, hs.URL, collect.AWSOptions{Mode: mode})
				if err != nil {
					b.Fatal(err)
				}
				wall := time.Since(start).Seconds()
				if len(got.Findings) != len(active) {
					b.Fatalf("collected %d findings, want %d", len(got.Findings), len(active))
				}
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
