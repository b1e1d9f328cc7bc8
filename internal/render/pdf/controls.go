package pdf

import (
	"cmp"
	"fmt"
)

// controls is the table of the controls failing in the most accounts.
func (d *doc) controls() {
	r := d.r
	d.y += 6 // under the severity chart when it left room; h1 breaks the page when not
	total := 0
	for _, c := range r.TopFailedControls {
		total = max(total, c.TotalAccounts)
	}
	total = cmp.Or(total, r.Snapshot.AccountsCollected)
	sub := fmt.Sprintf("Controls failing in the most accounts (of %s collected), most first. 7d: change in failing accounts since 7 days ago.", d.count(int64(total)))
	list := r.TopFailedControls[:min(len(r.TopFailedControls), maxControls)]
	if len(list) == 0 {
		d.h1("Top failed controls", sub, 10)
		d.paragraph("No control fails.", 11, good)
		return
	}
	cols := []column{
		{"Control", 0.20, "L"},
		{"Title", 0.46, "L"},
		{"Severity", 0.13, "L"},
		{"Accounts", 0.12, "R"},
		{"7d", 0.09, "R"},
	}
	const size = 9.5
	d.font(sans, "", size, ink)
	titles := make([][]string, len(list))
	rowH := func(i int) float64 { return float64(len(titles[i]))*lh(size) + 4 }
	tableH := 10.0 // the header
	for i, c := range list {
		titles[i] = d.wrap(c.Title, cols[1].width(d)-3, 2)
		tableH += rowH(i)
	}
	// The whole table under its title when it fits on a page, rather than a row or two
	// carried over to the next.
	keep := 40.0
	if tableH <= d.ph-marginTop-marginBot-d.h1Height(sub) {
		keep = tableH
	}
	d.h1("Top failed controls", sub, keep)
	d.table(cols, len(list), rowH, func(i int, y float64, xs []float64) {
		c := list[i]
		y += 2
		d.shrink(sans, "B", size, 7.5, ink, c.ControlID, cols[0].width(d)-2)
		d.text(xs[0], y, cols[0].width(d)-2, d.fit(c.ControlID, cols[0].width(d)-2), "L")
		d.font(sans, "", size, ink)
		for j, l := range titles[i] {
			d.text(xs[1], y+float64(j)*lh(size), cols[1].width(d)-3, l, "L")
		}
		sev := severityOf(c.Severity)
		d.fill(sev.color)
		d.f.Circle(xs[2]+1.2, y+lh(size)/2, 1.1, "F")
		d.font(sans, "", size, ink)
		d.text(xs[2]+3.6, y, cols[2].width(d)-3.6, d.fit(sev.name, cols[2].width(d)-3.6), "L")
		d.font(sans, "B", size, ink)
		d.text(xs[3], y, cols[3].width(d)-1, fmt.Sprintf("%d/%d", c.FailedAccounts, c.TotalAccounts), "R")
		ch, cc := "—", faint
		if c.Change7d != nil {
			ch = signed(*c.Change7d)
			switch {
			case *c.Change7d > 0:
				cc = bad // more accounts failing
			case *c.Change7d < 0:
				cc = good
			}
		}
		d.font(sans, "B", size, cc)
		d.text(xs[4], y, cols[4].width(d)-1, ch, "R")
	})
	if more := len(r.TopFailedControls) - len(list); more > 0 {
		d.y += 2
		d.paragraph(fmt.Sprintf("… and %s more failing controls.", d.count(int64(more))), 9, muted)
	}
}
