package pdf

import (
	"fmt"

	"github.com/hubreport/hubreport/internal/report"
)

// sinceLastWeek is what changed since the snapshot nearest a week before this one: the counts of
// every kind of change, then the first newly failing and fixed control-account pairs. It prints
// the report's SinceLastWeek, which `reporter diff` computes with the same code.
func (d *doc) sinceLastWeek() {
	s := d.r.SinceLastWeek
	d.y += 8
	if s == nil {
		d.h1("Since last week", "", 10)
		d.paragraph("No snapshot within a day of a week before this one: there is nothing to compare with.", 10, muted)
		return
	}
	c := s.Counts
	d.h1("Since last week", fmt.Sprintf("Snapshot %d (%s) against snapshot %d (%s). Only control-account pairs read and enabled in both count as fixed or newly failing: reporter diff lists every change between any two dates.",
		s.From.ID, s.From.Date, s.To.ID, s.To.Date), 60)
	d.tiles([]tile{
		{"Fixed", d.count(int64(c.Fixed)), "failed, now passed", false},
		{"Newly failing", d.count(int64(c.NewlyFailing)), "now failed", c.NewlyFailing > 0},
		{"Newly suppressed", d.count(int64(c.NewlySuppressed)), "accepted, not fixed", c.NewlySuppressed > 0},
		{"Newly disabled", d.count(int64(c.NewlyDisabled)), "out of scope", false},
		{"Accounts", fmt.Sprintf("+%d / -%d", c.AccountsJoined, c.AccountsLeft), "joined / left", false},
	})
	if c.NotComparable > 0 {
		d.paragraph(fmt.Sprintf("%s control-account pairs were not read in one of the two snapshots and are not compared.", d.count(int64(c.NotComparable))), 8.5, muted)
	}
	d.y += 4
	d.changes("Newly failing", s.NewlyFailing, c.NewlyFailing)
	d.y += 4
	d.changes("Fixed", s.Fixed, c.Fixed)
}

// changes lists the first control-account pairs of one kind of change, of total.
func (d *doc) changes(title string, items []report.DiffItem, total int) {
	if total == 0 {
		return
	}
	cols := []column{{"Severity", 0.14, "L"}, {"Control", 0.14, "L"}, {"Title", 0.48, "L"}, {"Account", 0.24, "L"}}
	const size = 8.5
	d.font(sans, "", size, ink)
	titles := make([][]string, len(items))
	for i, it := range items {
		titles[i] = d.wrap(it.Title, cols[2].width(d)-3, 2)
	}
	rowH := func(i int) float64 {
		lines := 1
		if items[i].OU != "" {
			lines = 2 // the account id, its OU beneath
		}
		return float64(max(len(titles[i]), lines))*lh(size) + 3
	}
	first := 0.0
	if len(items) > 0 {
		first = rowH(0)
	}
	d.h2(title, 10+first)
	d.table(cols, len(items), rowH, func(i int, y float64, xs []float64) {
		it := items[i]
		y += 1.5
		d.severityCell(it.Severity, xs[0], y, cols[0].width(d), size)
		d.font(sans, "B", size, ink)
		d.text(xs[1], y, cols[1].width(d)-2, d.fit(it.ControlID, cols[1].width(d)-2), "L")
		d.font(sans, "", size, ink)
		for j, l := range titles[i] {
			d.text(xs[2], y+float64(j)*lh(size), cols[2].width(d)-3, l, "L")
		}
		w := cols[3].width(d) - 1
		d.text(xs[3], y, w, d.fit(it.AccountID, w), "L")
		if it.OU != "" {
			d.font(sans, "", size, muted)
			d.text(xs[3], y+lh(size), w, d.fit(it.OU, w), "L")
		}
	})
	if more := total - len(items); more > 0 {
		d.paragraph(fmt.Sprintf("… and %s more — reporter diff lists every one.", d.count(int64(more))), 8.5, muted)
	}
}
