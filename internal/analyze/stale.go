package analyze

import (
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

// staleness returns the Staleness of a snapshot taken at takenAt as seen at now, or nil when
// it is not older than maxAge (or maxAge is 0: no limit).
func staleness(takenAt, now time.Time, maxAge time.Duration) *report.Staleness {
	if maxAge <= 0 || now.Sub(takenAt) <= maxAge {
		return nil
	}
	snapDay := takenAt.UTC().Truncate(24 * time.Hour)
	runDay := now.UTC().Truncate(24 * time.Hour)
	return &report.Staleness{
		SnapshotDate: snapDay.Format(dateLayout),
		RunDate:      runDay.Format(dateLayout),
		AgeDays:      int(runDay.Sub(snapDay) / (24 * time.Hour)),
		MaxAgeHours:  maxAge.Hours(),
	}
}
