package pdf

import (
	"fmt"
	"strings"

	"github.com/hubreport/hubreport/internal/report"
)

// ous is the OU scorecard: one row per OU path with its summary score, the change over the
// window and the control failing in most of its accounts. No OUs (no account has one): no page.
func (d *doc) ous() {
	r := d.r
	if len(r.OrganizationalUnits) == 0 {
		return
	}
	d.newPage()
	d.h1("Organizational units", "Each OU's summary score over its accounts and those of the OUs below it (a control failing in any of them fails it), "+
		"the change since the window's first snapshot, and the control failing in most of its accounts.", 30)
	cols := []column{{"OU", 0.3, "L"}, {"Score", 0.11, "R"}, {"Change", 0.11, "R"}, {"Top failure", 0.48, "L"}}
	const size = 9.5
	h := lh(size) + lh(8) + 3.5
	d.table(cols, len(r.OrganizationalUnits), func(int) float64 { return h }, func(i int, y float64, xs []float64) {
		ou := r.OrganizationalUnits[i]
		y += 1.75
		w := cols[0].width(d) - 2
		// Children are indented under their parent, so the tree reads without repeating the path.
		depth := float64(strings.Count(ou.Path, "/")) * 3
		d.font(sans, "B", size, ink)
		d.text(xs[0]+depth, y, w-depth, d.fit(ou.Name, w-depth), "L")
		d.font(sans, "", 8, muted)
		d.text(xs[0]+depth, y+lh(size), w-depth, d.fit(fmt.Sprintf("%s accounts", d.count(int64(ou.Accounts))), w-depth), "L")
		// Score, change and top failure on the name's line: a row reads left to right as one line.
		d.font(sans, "B", size, scoreColor(ou.SummaryScore, r.Progress.TargetScore))
		d.text(xs[1], y, cols[1].width(d), pct(ou.SummaryScore), "R")
		d.font(sans, "", size, ink)
		d.text(xs[2], y, cols[2].width(d), change(ou), "R")
		w = cols[3].width(d) - 1
		if len(ou.TopFailedControls) == 0 {
			d.font(sans, "", size, faint)
			d.text(xs[3]+3, y, w-3, "no failing control", "L")
			return
		}
		c := ou.TopFailedControls[0]
		d.font(sans, "B", size, ink)
		d.text(xs[3]+3, y, w-3, d.fit(fmt.Sprintf("%s (%s of %s accounts)", c.ControlID, d.count(int64(c.FailedAccounts)), d.count(int64(ou.Accounts))), w-3), "L")
		d.font(sans, "", 8, muted)
		d.text(xs[3]+3, y+lh(size), w-3, d.fit(c.Title, w-3), "L")
	})
}

// change is an OU's change in whole points as printed ("+3 pts"), from the scores as rounded, as
// the text report computes it; "—" without a baseline.
func change(ou report.OrganizationalUnit) string {
	b := ou.Baseline()
	if !validScore(b) || !validScore(ou.SummaryScore) {
		return "—"
	}
	return signed(report.RoundPercent(*ou.SummaryScore)-report.RoundPercent(*b)) + " pts"
}
