package report

import (
	"fmt"
	"strconv"
)

// Staleness says that a report shows old data: its snapshot was older than
// report.max_snapshot_age when the report was built, so collection has not stored a newer one.
//
// It is stated in dates, not in hours: a stale report built again on the same day (a retried
// delivery) is the same file, byte for byte. Built on a later day it differs, and should: its
// data is older still. A report that is not stale carries nothing of the clock.
type Staleness struct {
	// SnapshotDate is the date of the snapshot (the report's report_date), RunDate the date the
	// report was built, both in UTC.
	SnapshotDate string `json:"snapshot_date"`
	RunDate      string `json:"run_date"`
	// AgeDays is the number of days from SnapshotDate to RunDate (at least 1: the limit is at
	// least a day, config.Validate sees to it).
	AgeDays int `json:"age_days"`
	// MaxAgeHours is report.max_snapshot_age in hours.
	MaxAgeHours float64 `json:"max_age_hours"`
}

// Age is how old the snapshot was when the report was made, in days: "2 days".
func (s *Staleness) Age() string {
	if s == nil {
		return ""
	}
	if s.AgeDays == 1 {
		return "1 day"
	}
	return strconv.Itoa(s.AgeDays) + " days"
}

// Sentence is the warning every format prints at the top of a stale report, in one wording.
func (s *Staleness) Sentence() string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("STALE DATA: this report was made on %s from the snapshot of %s, %s old; "+
		"the limit is %s hours (report.max_snapshot_age). No newer snapshot was collected.",
		s.RunDate, s.SnapshotDate, s.Age(), strconv.FormatFloat(s.MaxAgeHours, 'f', -1, 64))
}
