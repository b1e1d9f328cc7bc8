package pdf

import (
	"fmt"
	"strings"

	"github.com/hubreport/hubreport/internal/report"
)

// summary is page 2: a score per standard with its change, and the findings in numbers.
func (d *doc) summary() {
	r := d.r
	d.newPage()
	sub := fmt.Sprintf("Scores on %s", r.ReportDate)
	if d.hasHistory() {
		sub += fmt.Sprintf(", with the change in points since %s (%d days).", r.Progress.From, r.Progress.WindowDays)
	} else {
		sub += ". History starts with this snapshot: changes appear from the next one."
	}
	d.h1("Executive summary", sub, 40)

	// The summary score once more, with what suppressions hide.
	d.font(sans, "B", 11, muted)
	d.text(marginX, d.y, d.cw, "Summary score", "L")
	d.font(sans, "B", 22, navy)
	d.text(marginX, d.y-1, d.cw*scoreCol, pct(r.SummaryScore), "R")
	d.y += lh(11)
	d.font(sans, "", 9, muted)
	note := "Each control counted once across the standards."
	if validScore(r.SummaryScoreWithoutSuppressions) {
		note += fmt.Sprintf(" %s if suppressed findings counted.", pct(r.SummaryScoreWithoutSuppressions))
	}
	note += fmt.Sprintf(" Mean of standard scores: %s.", pct(r.SummaryScoreMeanOfStandards))
	d.text(marginX, d.y, d.cw, note, "L")
	d.y += lh(9) + 3
	d.hrule(marginX, marginX+d.cw, d.y, 0.3, rule)
	d.y += 1

	for _, s := range r.Standards {
		d.standardRow(s)
	}
	if len(r.Standards) == 0 {
		d.paragraph("No standard is enabled.", 10, muted)
	}

	d.y += 8
	d.findings()
}

// scoreCol is where the scores of the summary page end, as a share of the content width.
const scoreCol = 0.74

// standardRow is one standard on the summary page: name, score bar, score and change.
func (d *doc) standardRow(s report.StandardScore) {
	const h = 21.0
	d.need(h)
	sp := d.progressOf(s.ID)
	y := d.y + 3
	left := d.cw * 0.52
	d.font(sans, "B", 12.5, ink)
	d.text(marginX, y, left, d.fit(shortName(s.ShortName, s.Name), left), "L")
	sub := ""
	if s.ShortName != "" && s.Name != s.ShortName {
		sub = s.Name
	}
	if s.Disabled > 0 {
		// Disabled everywhere: out of the score, said so beside it.
		sub = strings.TrimPrefix(sub+fmt.Sprintf(" · %d controls disabled, not scored", s.Disabled), " · ")
	}
	if sub != "" {
		d.font(sans, "", 8, muted)
		d.text(marginX, y+lh(12.5), left, d.fit(sub, left), "L")
	}
	d.scoreBar(marginX, y+lh(12.5)+lh(8)+1.2, left, s.Score, d.r.Progress.TargetScore)

	// The score, right-aligned in the middle column.
	scoreRight := marginX + d.cw*scoreCol
	d.font(sans, "B", 26, navy)
	d.text(marginX+left, y, scoreRight-marginX-left, pct(s.Score), "R")

	// The change, with an arrow, and where it leads.
	x := scoreRight + 5
	w := marginX + d.cw - x
	n, ok := points(sp)
	switch {
	case !d.hasHistory() || !ok:
		d.font(sans, "B", 12, faint)
		d.text(x, y+1.5, w, "—", "L")
	default:
		c := faint
		if n > 0 {
			c = good
		} else if n < 0 {
			c = bad
		}
		d.arrow(x+2, y+1.5+lh(12)/2, n, c)
		d.font(sans, "B", 12, c)
		d.text(x+6, y+1.5, w-6, signed(n)+" pts", "L")
	}
	if st := targetStatus(sp, d.r.Progress.TargetScore); st != "" && d.hasHistory() {
		d.font(sans, "", 8.5, muted)
		d.text(x, y+1.5+lh(12)+0.5, w, d.fit(st, w), "L")
	}
	d.y += h
	d.hrule(marginX, marginX+d.cw, d.y-1, 0.2, rule)
}

// findings is the findings block of the summary page.
func (d *doc) findings() {
	fs := d.r.Findings
	d.h2("Findings", 70)
	d.font(sans, "B", 26, navy)
	active := d.count(fs.Active)
	d.text(marginX, d.y, d.cw, active, "L")
	aw := d.f.GetStringWidth(active)
	d.font(sans, "", 12, muted)
	d.text(marginX+aw+3, d.y+lh(26)-lh(12)-1.2, d.cw, "active findings", "L")
	d.y += lh(26) + 3

	// One tile per severity: a colour strip, the count, the label.
	gap := 2.5
	tw := (d.cw - gap*float64(len(severes)-1)) / float64(len(severes))
	counts := severityCounts(fs)
	for i, s := range severes {
		x := marginX + float64(i)*(tw+gap)
		d.fill(zebra)
		d.f.Rect(x, d.y, tw, 18, "F")
		d.fill(s.color)
		d.f.Rect(x, d.y, tw, 1.4, "F")
		d.font(sans, "B", 15, ink)
		d.text(x+2.5, d.y+3.5, tw-5, d.count(counts[i]), "L")
		d.font(sans, "", 8.5, muted)
		d.text(x+2.5, d.y+3.5+lh(15), tw-5, d.fit(s.name, tw-5), "L")
	}
	d.y += 18 + 6

	// What moved: remediation, accepted exceptions, and the window's net fixes.
	type stat struct{ label, value, note string }
	stats := []stat{
		{"Remediated this month", d.count(fs.RemediatedThisMonth), d.count(fs.AutoRemediatedThisMonth) + " by automation"},
		{"Suppressed", d.count(fs.Suppressed), "accepted exceptions, not scored"},
	}
	if p := d.r.Progress; d.hasHistory() {
		stats = append(stats, stat{
			fmt.Sprintf("Fixed in %d days", p.WindowDays), d.count(int64(p.Fixed)),
			d.count(int64(p.NewlyFailing)) + " newly failing",
		})
	}
	sw := (d.cw - gap*float64(len(stats)-1)) / float64(len(stats))
	d.need(24)
	for i, s := range stats {
		x := marginX + float64(i)*(sw+gap)
		d.fill(zebra)
		d.f.Rect(x, d.y, sw, 24, "F")
		d.font(sans, "", 8.5, muted)
		d.text(x+3, d.y+2.5, sw-6, d.fit(s.label, sw-6), "L")
		d.font(sans, "B", 17, ink)
		d.text(x+3, d.y+2.5+lh(8.5), sw-6, s.value, "L")
		d.font(sans, "", 8.5, muted)
		d.text(x+3, d.y+2.5+lh(8.5)+lh(17), sw-6, d.fit(s.note, sw-6), "L")
	}
	d.y += 24
}

func severityCounts(fs report.FindingSummary) []int64 {
	return []int64{fs.Critical, fs.High, fs.Medium, fs.Low, fs.Informational}
}
