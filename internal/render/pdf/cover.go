package pdf

import (
	"cmp"
	"fmt"
	"strings"
)

// cover is page 1: who, when, the one number, and whether it covers the whole organization.
func (d *doc) cover() {
	r, f := d.r, d.f
	f.AddPage()
	band := 84.0
	d.fill(navy)
	f.Rect(0, 0, d.pw, band, "F")
	d.font(sans, "B", 10, onNavy)
	d.text(marginX, 20, d.cw, "AWS SECURITY HUB · COMPLIANCE REPORT", "L")
	d.font(sans, "B", 28, white)
	y := 30.0
	for _, l := range d.wrap(cmp.Or(r.Organization, "Organization"), d.cw, 2) {
		d.text(marginX, y, d.cw, l, "L")
		y += lh(28)
	}
	d.font(sans, "", 15, onNavy)
	when := dateAs(r.ReportDate, "2 January 2006")
	if sc := r.Scope; sc != nil {
		// A routed report: whose accounts, on the first line a reader sees.
		when = fmt.Sprintf("%s · %s (%d accounts)", when, sc.Title(), sc.Accounts)
	}
	d.text(marginX, y+2, d.cw, d.fit(when, d.cw), "L")
	if st := r.Stale; st != nil {
		// Old data must not pass for new: a red strip across the foot of the band, above the
		// score, where a reader on a phone cannot miss it.
		h := 16.0
		d.fill(bad)
		f.Rect(0, band-h, d.pw, h, "F")
		d.font(sans, "B", 9.5, white)
		ly := band - h + 3
		for _, l := range d.wrap(st.Sentence(), d.cw, 2) {
			d.text(marginX, ly, d.cw, l, "L")
			ly += lh(9.5)
		}
	}

	y = band + 18
	d.font(sans, "B", 12, muted)
	d.text(marginX, y, d.cw, "Summary score", "L")
	d.font(sans, "B", 84, navy)
	d.text(marginX, y+4, d.cw, pct(r.SummaryScore), "L")
	y += 4 + lh(84)
	d.font(sans, "", 10.5, muted)
	// The headline counts each control once (AWS's worked example); the mean of the standard
	// scores is named beside it, since AWS's page also calls the summary that mean.
	what := fmt.Sprintf("%s of %s controls pass, each counted once across %d standards. Mean of standard scores: %s.",
		d.count(int64(r.SummaryControls.Passed)), d.count(int64(r.SummaryControls.Scored())), len(r.Standards), pct(r.SummaryScoreMeanOfStandards))
	switch len(r.Standards) {
	case 0:
		what = "No standard is enabled, so there is no score."
	case 1:
		what = fmt.Sprintf("%s of %s controls of the one standard enabled pass.",
			d.count(int64(r.SummaryControls.Passed)), d.count(int64(r.SummaryControls.Scored())))
	}
	for _, l := range d.wrap(what, d.cw, 2) {
		d.text(marginX, y, d.cw, l, "L")
		y += lh(10.5)
	}

	y += 10
	d.font(sans, "B", 12, muted)
	d.text(marginX, y, d.cw, "Standards", "L")
	y += lh(12) + 1
	names := make([]string, 0, len(r.Standards))
	for _, s := range r.Standards {
		names = append(names, shortName(s.ShortName, s.Name))
	}
	list := strings.Join(names, "  ·  ")
	if list == "" {
		list = "none enabled"
	}
	d.font(sans, "", 14, ink)
	for _, l := range d.wrap(list, d.cw, 3) {
		d.text(marginX, y, d.cw, l, "L")
		y += lh(14)
	}

	d.coverBox()
}

// coverBox is the snapshot and its coverage, at the foot of the cover: a partial snapshot is
// said where it cannot be missed.
func (d *doc) coverBox() {
	r, f := d.r, d.f
	h := 52.0
	y := d.ph - 22 - h
	d.fill(zebra)
	f.Rect(marginX, y, d.cw, h, "F")
	status, sc := "COMPLETE", good
	if !r.Coverage.Complete {
		status, sc = "PARTIAL", bad
	}
	d.fill(sc)
	f.Rect(marginX, y, 1.6, h, "F")

	x, w := marginX+7, d.cw-14
	y += 6
	d.font(sans, "B", 11, muted)
	d.text(x, y, w, "Coverage", "L")
	d.font(sans, "B", 11, sc)
	d.text(x, y, w, status, "R")
	y += lh(11) + 2
	d.font(sans, "B", 20, ink)
	d.text(x, y, w, fmt.Sprintf("%s/%s", d.count(int64(r.Coverage.Collected)), d.count(int64(r.Coverage.Expected))), "L")
	y += lh(20)
	d.font(sans, "", 10, muted)
	line := "account/region pairs collected"
	if !r.Coverage.Complete {
		line += "; the others are not counted in any score"
	}
	d.text(x, y, w, d.fit(line, w), "L")
	y += lh(10) + 3
	d.font(sans, "", 9.5, muted)
	for _, l := range []string{
		fmt.Sprintf("Accounts collected: %s/%s", d.count(int64(r.Snapshot.AccountsCollected)), d.count(int64(r.Snapshot.AccountsExpected))),
		fmt.Sprintf("Snapshot %d, taken %s, source %s", r.Snapshot.ID, r.Snapshot.TakenAt.UTC().Format("2006-01-02 15:04 UTC"), cmp.Or(r.Snapshot.Source, "unknown")),
	} {
		d.text(x, y, w, d.fit(l, w), "L")
		y += lh(9.5)
	}
}
