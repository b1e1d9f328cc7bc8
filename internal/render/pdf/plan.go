package pdf

import (
	"fmt"
)

// maxPlan is how many controls the remediation plan lists: a page of them. The workbook's
// Remediation plan sheet and report.json list every one with its accounts.
const maxPlan = 15

// plan is the remediation plan: the failing controls, most severe first, then the most failing
// accounts (the report's order), each with a link to AWS's remediation steps.
func (d *doc) plan() {
	p := d.r.RemediationPlan
	if len(p) == 0 {
		d.y += 8
		d.h1("Remediation plan", "", 10)
		d.paragraph("No control fails: there is nothing to remediate.", 10, good)
		return
	}
	d.newPage()
	list := p[:min(maxPlan, len(p))]
	d.h1("Remediation plan", fmt.Sprintf(
		"%s failing controls, most severe first, then the most failing accounts. \"How to fix\" opens AWS's remediation steps for the control.",
		d.count(int64(len(p)))), 40)
	cols := []column{
		{"Severity", 0.12, "L"}, {"Control", 0.17, "L"}, {"Title", 0.37, "L"}, {"Failed accounts", 0.10, "R"},
		{"Failed resources", 0.10, "R"}, {"How to fix", 0.14, "L"},
	}
	const size = 9.5
	d.font(sans, "", size, ink)
	titles := make([][]string, len(list))
	for i, c := range list {
		titles[i] = d.wrap(c.Title, cols[2].width(d)-3, 4)
	}
	rowH := func(i int) float64 { return float64(len(titles[i]))*lh(size) + 3 }
	d.table(cols, len(list), rowH, func(i int, y float64, xs []float64) {
		c := list[i]
		y += 1.5
		d.severityCell(c.Severity, xs[0], y, cols[0].width(d)-1, size)
		w := cols[1].width(d) - 2
		d.shrink(sans, "B", size, 7.5, ink, c.ControlID, w)
		d.text(xs[1], y, w, d.fit(c.ControlID, w), "L")
		d.font(sans, "", size, ink)
		for j, l := range titles[i] {
			d.text(xs[2], y+float64(j)*lh(size), cols[2].width(d)-3, l, "L")
		}
		d.font(sans, "B", size, ink)
		d.text(xs[3], y, cols[3].width(d)-1, d.count(int64(c.FailedAccounts)), "R")
		d.font(sans, "", size, ink)
		d.text(xs[4], y, cols[4].width(d)-1, d.count(int64(c.FailedResources)), "R")
		if c.RemediationURL == "" {
			d.font(sans, "", size, faint)
			d.text(xs[5]+3, y, cols[5].width(d)-3, "—", "L")
			return
		}
		label := "AWS steps"
		d.font(sans, "B", size, accent)
		lw := d.f.GetStringWidth(label)
		d.text(xs[5]+3, y, cols[5].width(d)-3, label, "L")
		d.hrule(xs[5]+3, xs[5]+3+lw, y+lh(size)-0.6, 0.2, accent)
		d.f.LinkString(xs[5]+3, y, lw, lh(size), c.RemediationURL)
	})
	if more := len(p) - len(list); more > 0 {
		d.paragraph(fmt.Sprintf("… and %s more failing controls — the workbook's Remediation plan sheet lists every one with its accounts.",
			d.count(int64(more))), 9, muted)
	}
}
