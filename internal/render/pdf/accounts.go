package pdf

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/hubreport/hubreport/internal/report"
)

// accounts is the table of the weakest accounts.
func (d *doc) accounts() {
	r := d.r
	d.newPage()
	d.h1("Weakest accounts", fmt.Sprintf(
		"The %d accounts of %s with the lowest score (the mean of their standard scores), with their score per standard. n/a: no control had data.",
		min(maxAccounts, len(r.Accounts)), d.count(int64(len(r.Accounts)))), 30)
	if len(r.Accounts) == 0 {
		d.paragraph("No account was collected.", 10, muted)
		return
	}
	list := weakest(r.Accounts, maxAccounts)

	// Account and overall score take fixed shares; the standards share the rest.
	cols := []column{{"Account", 0.34, "L"}, {"Score", 0.12, "R"}}
	rest := 1 - 0.46
	for _, s := range r.Standards {
		cols = append(cols, column{shortName(s.ShortName, s.Name), rest / float64(len(r.Standards)), "R"})
	}
	const size = 9.5
	h := lh(size) + lh(8) + 3.5
	d.table(cols, len(list), func(int) float64 { return h }, func(i int, y float64, xs []float64) {
		a := list[i]
		y += 1.75
		w := cols[0].width(d) - 2
		d.font(sans, "B", size, ink)
		d.text(xs[0], y, w, d.fit(cmp.Or(a.Name, a.AccountID), w), "L")
		d.font(mono, "", 8, muted)
		d.text(xs[0], y+lh(size), w, d.fit(a.AccountID, w), "L")
		mid := y + (h-3.5)/2 - lh(size)/2
		d.font(sans, "B", size+1, scoreColor(a.SummaryScore, r.Progress.TargetScore))
		d.text(xs[1], mid-0.3, cols[1].width(d), pct(a.SummaryScore), "R")
		for j, s := range r.Standards {
			sc := accountScore(a, s.ID)
			c := ink
			switch {
			case !validScore(sc):
				c = faint
			case r.Progress.TargetScore > 0 && float64(report.RoundPercent(*sc)) >= r.Progress.TargetScore:
				c = good
			}
			d.font(sans, "", size, c)
			d.text(xs[2+j], mid, cols[2+j].width(d)-1, pct(sc), "R")
		}
	})
}

// weakest returns the n accounts with the lowest score, accounts without a score last; ties in
// name then id order, so the list does not depend on the order of the report.
func weakest(accounts []report.AccountScores, n int) []report.AccountScores {
	list := slices.Clone(accounts)
	slices.SortStableFunc(list, func(a, b report.AccountScores) int {
		va, vb := validScore(a.SummaryScore), validScore(b.SummaryScore)
		switch {
		case va && !vb:
			return -1
		case !va && vb:
			return 1
		case va && vb && *a.SummaryScore != *b.SummaryScore:
			return cmp.Compare(*a.SummaryScore, *b.SummaryScore)
		}
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.AccountID, b.AccountID))
	})
	return list[:min(n, len(list))]
}

func accountScore(a report.AccountScores, standardID string) *float64 {
	for _, s := range a.Standards {
		if s.ID == standardID {
			return s.Score
		}
	}
	return nil
}

// scoreColor marks an account's score at or over the target green and one under half red; the
// rest stays ink, so that colour draws the eye only to the extremes. The per-standard cells get
// green only: in a table of the weakest accounts, red everywhere would say nothing.
func scoreColor(p *float64, target float64) rgb {
	switch {
	case !validScore(p):
		return faint
	case target > 0 && float64(report.RoundPercent(*p)) >= target:
		return good
	case report.RoundPercent(*p) < 50:
		return bad
	}
	return ink
}

// gaps lists the account/region pairs the snapshot could not read, if any.
func (d *doc) gaps() {
	r := d.r
	if len(r.Coverage.Gaps) == 0 {
		return
	}
	d.y += 8
	d.h2("Coverage gaps", 30)
	d.paragraph(fmt.Sprintf("%s account/region pairs were not read; their controls are not counted in any score above.",
		d.count(int64(len(r.Coverage.Gaps)))), 9.5, muted)
	d.y += 3
	names := make(map[string]string, len(r.Accounts)) // lookups only; output follows the gaps' order
	for _, a := range r.Accounts {
		names[a.AccountID] = a.Name
	}
	cols := []column{{"Account", 0.32, "L"}, {"Region", 0.17, "L"}, {"Status", 0.15, "L"}, {"Reason", 0.36, "L"}}
	const size = 9
	d.font(sans, "", size, ink)
	reasons := make([][]string, len(r.Coverage.Gaps))
	for i, g := range r.Coverage.Gaps {
		reasons[i] = d.wrap(cmp.Or(g.Reason, "—"), cols[3].width(d)-1, 3)
	}
	d.table(cols, len(r.Coverage.Gaps), func(i int) float64 {
		return float64(max(len(reasons[i]), 2))*lh(size) + 3
	}, func(i int, y float64, xs []float64) {
		g := r.Coverage.Gaps[i]
		y += 1.5
		w := cols[0].width(d) - 2
		d.font(sans, "B", size, ink)
		if name := names[g.AccountID]; name != "" {
			d.text(xs[0], y, w, d.fit(name, w), "L")
			d.font(mono, "", 7.5, muted)
			d.text(xs[0], y+lh(size), w, d.fit(g.AccountID, w), "L")
		} else {
			d.font(mono, "", size, ink)
			d.text(xs[0], y, w, d.fit(g.AccountID, w), "L")
		}
		d.font(sans, "", size, ink)
		d.text(xs[1], y, cols[1].width(d)-2, d.fit(g.Region, cols[1].width(d)-2), "L")
		d.font(sans, "B", size, bad)
		d.text(xs[2], y, cols[2].width(d)-2, d.fit(g.Status, cols[2].width(d)-2), "L")
		d.font(sans, "", size, ink)
		for j, l := range reasons[i] {
			d.text(xs[3], y+float64(j)*lh(size), cols[3].width(d)-1, l, "L")
		}
	})
}

// warnings lists what the collection or import could not read or left out without failing (an
// unreadable OU tree, skipped records, the control enablement of some collected pairs), if
// anything: the log is not where a reader looks.
func (d *doc) warnings() {
	ws, eu := d.r.Coverage.Warnings, d.r.Coverage.EnablementUnknown
	if len(ws) == 0 && len(eu) == 0 {
		return
	}
	d.y += 8
	d.h2("Collection warnings", 30)
	d.paragraph("The snapshot was stored, but these were not read or were left out:", 9.5, muted)
	d.y += 3
	if len(eu) > 0 {
		d.paragraph(fmt.Sprintf("Control enablement unknown in %s collected account/region pair(s), the first %s %s (%s): "+
			"disabled controls there cannot be told apart; statuses come from the findings alone.",
			d.count(int64(len(eu))), eu[0].AccountID, eu[0].Region, eu[0].Reason), 9, ink)
		d.y += 2
	}
	for _, w := range ws {
		d.paragraph(w.Kind+": "+w.Message, 9, ink)
		d.y += 2
	}
}
