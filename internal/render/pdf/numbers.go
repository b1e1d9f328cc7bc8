package pdf

import (
	"math"
	"strconv"
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

func validScore(p *float64) bool {
	return p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0)
}

// pct prints a score: "78%", "n/a" for no score.
func pct(p *float64) string {
	if !validScore(p) {
		return "n/a"
	}
	return strconv.Itoa(report.RoundPercent(*p)) + "%"
}

// points returns the change between two scores in whole points as they print (64.5% -> 65.4%
// prints 65% -> 65% and 0, not +1), as the text report's progress line does, so the PDF and the
// text agree. Without both scores it falls back to the change itself. ok is false when there is
// no change to print.
func points(sp *report.StandardProgress) (n int, ok bool) {
	switch {
	case sp == nil:
		return 0, false
	case validScore(sp.BaselineScore) && validScore(sp.CurrentScore):
		return report.RoundPercent(*sp.CurrentScore) - report.RoundPercent(*sp.BaselineScore), true
	case validScore(sp.Change):
		return report.RoundPercent(*sp.Change), true
	}
	return 0, false
}

func signed(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// count prints a count with thousands separators: 1,247.
func (d *doc) count(n int64) string { return d.num.Sprintf("%d", n) }

// targetStatus says where a standard stands against the target, in the text report's words.
func targetStatus(sp *report.StandardProgress, target float64) string {
	switch {
	case sp == nil || !validScore(sp.CurrentScore):
		return ""
	case *sp.CurrentScore >= target:
		return "target met"
	case sp.OnTrack && sp.ProjectedDate != nil:
		return "on track: target by " + *sp.ProjectedDate
	case sp.OffTrackReason != "":
		return "off track: " + sp.OffTrackReason
	}
	return "off track"
}

// progressOf returns the progress of the standard with the given id, nil without one.
func (d *doc) progressOf(id string) *report.StandardProgress {
	for i := range d.r.Progress.Standards {
		if d.r.Progress.Standards[i].ID == id {
			return &d.r.Progress.Standards[i]
		}
	}
	return nil
}

func shortName(short, name string) string {
	if short != "" {
		return short
	}
	return name
}

// dateAs rewrites a report date (YYYY-MM-DD) in layout; anything else is printed as it is.
func dateAs(s, layout string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format(layout)
}

func (d *doc) hasHistory() bool { return d.r.Progress.Snapshots > 1 }
