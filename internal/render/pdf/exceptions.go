package pdf

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hubreport/hubreport/internal/report"
)

// How many rows the exceptions section lists. An auditor reading the PDF wants the counts and the
// lapsed ones; the workbook's Exceptions sheet lists every suppressed finding.
const (
	maxExceptionControls = 5
	maxExpired           = 12
	maxInvalidListed     = 3
)

// exceptions is the governance of the suppressed findings: how many lack a justification or an
// expiry, which controls are suppressed most, and the exceptions that have expired. It shows the
// figures of the text report's EXCEPTIONS block.
func (d *doc) exceptions() {
	e := d.r.Exceptions
	if e.Total == 0 {
		// Said plainly, without a page of its own.
		d.y += 8
		d.h1("Exceptions", "", 10)
		d.paragraph("No suppressed findings: there is no accepted risk to review.", 10, muted)
		return
	}
	d.newPage()
	judged := fmt.Sprintf("the expiry date in the UserDefinedFields key %s", cmp.Or(e.ExpiryField, "exception_expires"))
	if e.MaxAgeDays > 0 {
		judged += fmt.Sprintf(", else %d days after the suppression", e.MaxAgeDays)
	}
	d.h1("Exceptions", fmt.Sprintf(
		"%s suppressed findings: accepted risks, not scored. Each is judged at the snapshot's date against %s.",
		d.count(e.Total), judged), 60)

	d.tiles([]tile{
		{"Expired", d.count(e.Expired), "renew or fix", e.Expired > 0},
		{fmt.Sprintf("Expiring in %d days", report.ExpiringWithinDays), d.count(e.ExpiringWithin30Days), "review soon", false},
		{"No expiry", d.count(e.NoExpiry), "open-ended", false},
		{"Invalid expiry", d.count(e.InvalidExpiry), "not a date", e.InvalidExpiry > 0},
		{"Without justification", d.count(e.WithoutJustification), "no note", e.WithoutJustification > 0},
	})
	d.invalidExpiries(e)
	d.y += 6
	d.suppressedControls(e)
	d.y += 6
	d.expired()
}

// tile is one figure of a row of tiles: a label, the figure, a note; alarm colours the figure.
type tile struct {
	label, value, note string
	alarm              bool
}

// tiles draws a row of figures, as the findings block of the summary page does.
func (d *doc) tiles(ts []tile) {
	const h, gap = 22.0, 2.5
	w := (d.cw - gap*float64(len(ts)-1)) / float64(len(ts))
	d.need(h)
	for i, t := range ts {
		x := marginX + float64(i)*(w+gap)
		d.fill(zebra)
		d.f.Rect(x, d.y, w, h, "F")
		d.font(sans, "", 8, muted)
		d.text(x+2.5, d.y+2.5, w-5, d.fit(t.label, w-5), "L")
		c := ink
		if t.alarm {
			c = bad
		}
		d.font(sans, "B", 16, c)
		d.text(x+2.5, d.y+2.5+lh(8), w-5, d.fit(t.value, w-5), "L")
		d.font(sans, "", 8, muted)
		d.text(x+2.5, d.y+2.5+lh(8)+lh(16), w-5, d.fit(t.note, w-5), "L")
	}
	d.y += h
}

// invalidExpiries names the first expiry values that are not dates, for whoever must fix them.
func (d *doc) invalidExpiries(e report.Exceptions) {
	if len(e.InvalidExpiries) == 0 {
		return
	}
	d.y += 3
	for _, v := range e.InvalidExpiries[:min(maxInvalidListed, len(e.InvalidExpiries))] {
		d.paragraph(fmt.Sprintf("Invalid %s: %q on %s %s %s %s", e.ExpiryField, v.Value, v.AccountID, v.Region,
			cmp.Or(v.ControlID, "-"), v.ResourceID), 8.5, muted)
	}
	if more := e.InvalidExpiry - int64(min(maxInvalidListed, len(e.InvalidExpiries))); more > 0 {
		d.paragraph(fmt.Sprintf("… and %s more invalid expiry values.", d.count(more)), 8.5, muted)
	}
}

// suppressedControls lists the controls with the most exceptions.
func (d *doc) suppressedControls(e report.Exceptions) {
	list := e.ByControl[:min(maxExceptionControls, len(e.ByControl))]
	if len(list) == 0 {
		return
	}
	cols := []column{{"Control", 0.18, "L"}, {"Title", 0.52, "L"}, {"Severity", 0.15, "L"}, {"Exceptions", 0.15, "R"}}
	const size = 9
	d.font(sans, "", size, ink)
	titles := make([][]string, len(list))
	tableH := 10.0
	for i, c := range list {
		titles[i] = d.wrap(c.Title, cols[1].width(d)-3, 2)
		tableH += float64(len(titles[i]))*lh(size) + 3
	}
	d.h2("Most suppressed controls", tableH)
	d.table(cols, len(list), func(i int) float64 { return float64(len(titles[i]))*lh(size) + 3 }, func(i int, y float64, xs []float64) {
		c := list[i]
		y += 1.5
		d.font(sans, "B", size, ink)
		d.text(xs[0], y, cols[0].width(d)-2, d.fit(c.ControlID, cols[0].width(d)-2), "L")
		d.font(sans, "", size, ink)
		for j, l := range titles[i] {
			d.text(xs[1], y+float64(j)*lh(size), cols[1].width(d)-3, l, "L")
		}
		d.severityCell(c.Severity, xs[2], y, cols[2].width(d), size)
		d.font(sans, "B", size, ink)
		d.text(xs[3], y, cols[3].width(d)-1, d.count(c.Count), "R")
	})
	if more := len(e.ByControl) - len(list); more > 0 {
		d.paragraph(fmt.Sprintf("… and %s more controls with exceptions.", d.count(int64(more))), 8.5, muted)
	}
}

// severityCell draws a severity as a coloured dot and its name in a cell of width w.
func (d *doc) severityCell(label string, x, y, w, size float64) {
	sev := severityOf(label)
	d.fill(sev.color)
	d.f.Circle(x+1.2, y+lh(size)/2, 1.1, "F")
	d.font(sans, "", size, ink)
	d.text(x+3.6, y, w-3.6, d.fit(sev.name, w-3.6), "L")
}

// expired lists the expired exceptions, the longest lapsed first.
func (d *doc) expired() {
	var list []*report.SuppressedFinding
	var total int
	for i := range d.r.Suppressed {
		if s := &d.r.Suppressed[i]; s.ExceptionStatus == report.ExceptionExpired {
			total++
			list = append(list, s)
		}
	}
	// The report may carry fewer suppressed findings than it counts (a routed or trimmed one):
	// the count is the report's.
	total = max(total, int(d.r.Exceptions.Expired))
	if total == 0 {
		d.h2("Expired exceptions", 10)
		d.paragraph("None: no exception has passed its expiry.", 10, good)
		return
	}
	if len(list) == 0 {
		// A report read back from report.json carries the counts but not the findings.
		d.h2("Expired exceptions", 10)
		d.paragraph(fmt.Sprintf("%s expired exceptions — the workbook lists every one.", d.count(int64(total))), 10, bad)
		return
	}
	slices.SortStableFunc(list, func(a, b *report.SuppressedFinding) int {
		return cmp.Or(a.Expiry.Compare(b.Expiry), cmp.Compare(a.AccountID, b.AccountID),
			cmp.Compare(a.ControlID, b.ControlID), cmp.Compare(a.ResourceID, b.ResourceID))
	})
	list = list[:min(maxExpired, len(list))]
	cols := []column{
		{"Account", 0.17, "L"}, {"Control and resource", 0.24, "L"}, {"Suppressed by", 0.20, "L"},
		{"Justification", 0.27, "L"}, {"Expired", 0.12, "L"},
	}
	const size = 8.5
	d.font(sans, "", size, ink)
	notes := make([][]string, len(list))
	res := make([][]string, len(list))
	by := make([][]string, len(list))
	for i, s := range list {
		notes[i] = d.wrap(cmp.Or(s.Note, "— (no justification)"), cols[3].width(d)-2, 3)
		by[i] = d.wrapAt(cmp.Or(s.NoteBy, "—"), cols[2].width(d)-2, 3)
	}
	d.font(mono, "", 7.5, muted)
	for i, s := range list {
		res[i] = d.wrap(cmp.Or(s.ResourceID, "—"), cols[1].width(d)-2, 3)
	}
	rowH := func(i int) float64 {
		return max(float64(max(len(notes[i]), len(by[i])))*lh(size), lh(size)+float64(len(res[i]))*lh(7.5)) + 3
	}
	d.h2("Expired exceptions", 10+rowH(0))
	d.table(cols, len(list), rowH, func(i int, y float64, xs []float64) {
		s := list[i]
		y += 1.5
		d.accountCell(xs[0], y, cols[0].width(d)-2, s.AccountName, s.AccountID, size)
		w := cols[1].width(d) - 2
		d.font(sans, "B", size, ink)
		d.text(xs[1], y, w, d.fit(cmp.Or(s.ControlID, s.ProductName, "—"), w), "L")
		d.font(mono, "", 7.5, muted)
		for j, l := range res[i] {
			d.text(xs[1], y+lh(size)+float64(j)*lh(7.5), w, l, "L")
		}
		d.font(sans, "", size, ink)
		for j, l := range by[i] {
			d.text(xs[2], y+float64(j)*lh(size), cols[2].width(d)-2, l, "L")
		}
		for j, l := range notes[i] {
			d.text(xs[3], y+float64(j)*lh(size), cols[3].width(d)-2, l, "L")
		}
		d.font(sans, "B", size, bad)
		d.text(xs[4], y, cols[4].width(d), d.fit(expiryText(s), cols[4].width(d)), "L")
	})
	if more := total - len(list); more > 0 {
		d.paragraph(fmt.Sprintf("… and %s more expired exceptions — the workbook lists every one.", d.count(int64(more))), 9, muted)
	}
}

// accountCell draws an account as its name in bold over its id in small monospace (the id
// alone when it has no name), in a cell of width w.
func (d *doc) accountCell(x, y, w float64, name, id string, size float64) {
	d.font(sans, "B", size, ink)
	d.text(x, y, w, d.fit(cmp.Or(name, id), w), "L")
	d.font(mono, "", 7.5, muted)
	d.text(x, y+lh(size), w, d.fit(id, w), "L")
}

// expiryText prints an exception's expiry as a date (the field's value when it has none).
func expiryText(s *report.SuppressedFinding) string {
	if s.Expiry.IsZero() {
		return cmp.Or(s.ExpiryValue, "—")
	}
	return s.Expiry.UTC().Format("2006-01-02")
}

// wrapAt wraps an identifier without spaces (an email, a role ARN) into at most limit lines of
// width w in the current font, breaking after an '@', '/' or ':' where it can, so that
// "someone@example.com" breaks as "someone@" and "example.com" rather than mid-word.
func (d *doc) wrapAt(s string, w float64, limit int) []string {
	s = strings.TrimSpace(clean(s))
	if d.f.GetStringWidth(s) <= w || strings.Contains(s, " ") {
		return d.wrap(s, w, limit)
	}
	var parts []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "@/:")
		if i < 0 {
			parts, s = append(parts, s), ""
			break
		}
		parts, s = append(parts, s[:i+1]), s[i+1:]
	}
	var lines []string
	line := ""
	for _, p := range parts {
		if line != "" && d.f.GetStringWidth(line+p) > w {
			lines, line = append(lines, line), ""
		}
		line += p
	}
	lines = append(lines, line)
	// A part wider than the column is broken by wrap, and the lines are capped as wrap caps them.
	var out []string
	for _, l := range lines {
		out = append(out, d.wrap(l, w, 0)...)
	}
	if limit > 0 && len(out) > limit {
		out = append(out[:limit-1], d.fit(strings.Join(out[limit-1:], ""), w))
	}
	return out
}
