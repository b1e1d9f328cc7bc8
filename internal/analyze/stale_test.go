package analyze

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

func TestStaleness(t *testing.T) {
	taken := time.Date(2025, 2, 23, 6, 0, 0, 0, time.UTC)
	limit := 36 * time.Hour
	tests := []struct {
		name   string
		now    time.Time
		maxAge time.Duration
		want   *report.Staleness
	}{
		{"within the limit", taken.Add(35 * time.Hour), limit, nil},
		{"at the limit", taken.Add(limit), limit, nil},
		{"just past the limit", taken.Add(limit + time.Second), limit,
			&report.Staleness{SnapshotDate: "2025-02-23", RunDate: "2025-02-24", AgeDays: 1, MaxAgeHours: 36}},
		{"two days old", taken.Add(48 * time.Hour), limit,
			&report.Staleness{SnapshotDate: "2025-02-23", RunDate: "2025-02-25", AgeDays: 2, MaxAgeHours: 36}},
		// Dates, not hours: the same day later gives the same Staleness, so the same bytes.
		{"two days old, late that day", time.Date(2025, 2, 25, 23, 59, 0, 0, time.UTC), limit,
			&report.Staleness{SnapshotDate: "2025-02-23", RunDate: "2025-02-25", AgeDays: 2, MaxAgeHours: 36}},
		{"in another zone", taken.Add(48 * time.Hour).In(time.FixedZone("UTC-10", -10*3600)), limit,
			&report.Staleness{SnapshotDate: "2025-02-23", RunDate: "2025-02-25", AgeDays: 2, MaxAgeHours: 36}},
		{"check off", taken.Add(1000 * time.Hour), 0, nil},
		{"snapshot ahead of the clock", taken.Add(-time.Hour), limit, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := staleness(taken, tt.now, tt.maxAge); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := (&report.Staleness{AgeDays: 1}).Age(); got != "1 day" {
		t.Errorf("Age of one day: %q", got)
	}
}

// TestBuildIgnoresTheClock checks that the report is a function of the snapshot: two clocks, a
// day apart and both within the limit, give the same report, dated by the snapshot; a clock past
// the limit only adds Stale.
func TestBuildIgnoresTheClock(t *testing.T) {
	st := storetest.New(t)
	taken := time.Date(2025, 2, 9, 6, 0, 0, 0, time.UTC)
	snap := writeSnap(t, st, taken.Add(123*time.Millisecond), testCtl, fixtureDay0())
	build := func(now time.Time) *report.Report {
		t.Helper()
		r, err := Build(context.Background(), st, snap, Options{Now: func() time.Time { return now }, MaxSnapshotAge: 36 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := build(taken.Add(time.Hour)), build(taken.Add(25*time.Hour))
	if !a.GeneratedAt.Equal(taken) {
		t.Errorf("GeneratedAt %v, want the snapshot's time to the second, %v", a.GeneratedAt, taken)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two clocks within the limit give different reports")
	}
	if a.Stale != nil {
		t.Errorf("a report an hour after its snapshot is stale: %+v", a.Stale)
	}
	c := build(taken.Add(48 * time.Hour))
	if c.Stale == nil || c.Stale.AgeDays != 2 || c.Stale.RunDate != "2025-02-11" {
		t.Fatalf("a report two days after its snapshot: Stale %+v", c.Stale)
	}
	c.Stale = nil
	if !reflect.DeepEqual(a, c) {
		t.Errorf("a stale report differs in more than Stale")
	}
}
