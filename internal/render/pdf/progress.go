package pdf

import (
	"fmt"
	"math"
	"strconv"

	"github.com/hubreport/hubreport/internal/report"
)

// trends draws a score chart per standard over the progress window.
func (d *doc) trends() {
	p := d.r.Progress
	d.newPage()
	sub := fmt.Sprintf("Score of each standard at every snapshot from %s to %s (%s snapshots).", p.From, p.To, d.count(int64(p.Snapshots)))
	if p.TargetScore > 0 {
		sub += fmt.Sprintf(" Dashed: the target, %s.", targetText(p.TargetScore))
	}
	if hasPartial(p) {
		sub += " Open squares: partial snapshots (not every account/region was read), where a score may move for that reason alone."
	}
	if !d.hasHistory() {
		sub = "Only one snapshot so far: the trend starts today."
	}
	d.h1(fmt.Sprintf("%d-day trend", p.WindowDays), sub, 52)
	if len(p.Standards) == 0 {
		d.paragraph("No standard has a score history yet.", 10, muted)
		d.y += 4
		return
	}
	// Up to 66 mm a chart; smaller, down to 48, when that keeps them all on one page, so the
	// standards can be compared at a glance. The changes paragraph follows the charts; room is
	// kept for it (and 1 mm against rounding) so it stays on their page.
	changes, changesH := "", 0.0
	if d.hasHistory() {
		changes = changesText(p, d.count)
		d.font(sans, "", 9.5, muted)
		changesH = float64(len(d.wrap(changes, d.cw, 0))) * lh(9.5)
	}
	h := min(66, max(48, (d.room()-changesH-1)/float64(len(p.Standards))))
	for i := range p.Standards {
		d.need(h)
		d.trendChart(marginX, d.y, d.cw, h-6, &p.Standards[i], p.TargetScore)
		d.y += h
	}
	if changes != "" {
		d.paragraph(changes, 9.5, muted)
	}
}

// changesText says what changed between the window's first snapshot and the report's, with the
// changes that are not fixes on their own, and the time to remediate with its caveats.
func changesText(p report.Progress, count func(int64) string) string {
	n := func(x int) string { return count(int64(x)) }
	s := fmt.Sprintf("Since %s: %s control-account pairs fixed, %s newly failing (pairs read and enabled in both snapshots). "+
		"Not counted as fixes or failures: %s newly suppressed, %s newly disabled, %s accounts left, %s not comparable (not collected). ",
		p.From, n(p.Fixed), n(p.NewlyFailing), n(p.NewlySuppressed), n(p.NewlyDisabled), n(p.AccountsLeft), n(p.NotComparable))
	if p.MedianDaysToRemediate != nil {
		return s + fmt.Sprintf("Median days to remediate: %s (over %s remediated; %s failures still open).",
			strconv.FormatFloat(math.Round(*p.MedianDaysToRemediate*10)/10, 'f', -1, 64), n(p.Remediated), n(p.StillOpen))
	}
	return s + fmt.Sprintf("Median days to remediate: too few remediations (%s) for a median; %s failures still open.", n(p.Remediated), n(p.StillOpen))
}

// hasPartial: some point of the window is a partial snapshot.
func hasPartial(p report.Progress) bool {
	for _, pt := range p.Series {
		if pt.Partial {
			return true
		}
	}
	for _, sp := range p.Standards {
		for _, pt := range sp.Series {
			if pt.Partial {
				return true
			}
		}
	}
	return false
}

// targetText prints the configured target: "90%", "85.5%".
func targetText(t float64) string {
	return strconv.FormatFloat(math.Round(t*10)/10, 'f', -1, 64) + "%"
}

// severities is the bar chart of active findings by severity. It follows the trends on their
// last page when it fits, else it heads the page of the top failed controls: alone on a page it
// would waste one.
func (d *doc) severities() {
	h := severityChartHeight() + 4
	d.y += 2
	d.h2("Active findings by severity", h)
	d.severityChart(marginX, d.y, d.cw, severityCounts(d.r.Findings))
	d.y += h
}
