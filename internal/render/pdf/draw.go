package pdf

import (
	"strings"
	"unicode"
)

// rgb is a colour. The palette is restrained: one dark blue for structure, one blue for data,
// green and red only for good and bad, and the severity scale.
type rgb struct{ r, g, b int }

var (
	ink     = rgb{27, 36, 51}    // body text
	muted   = rgb{91, 100, 114}  // secondary text
	faint   = rgb{138, 147, 160} // axis labels, running header and footer
	rule    = rgb{213, 218, 225} // table rules, grid lines
	zebra   = rgb{243, 245, 248} // alternate table rows, boxes
	navy    = rgb{20, 40, 75}    // headings, cover band
	accent  = rgb{47, 109, 181}  // data series
	tint    = rgb{221, 232, 246} // area under a series
	good    = rgb{30, 123, 69}
	bad     = rgb{180, 35, 24}
	white   = rgb{255, 255, 255}
	onNavy  = rgb{196, 208, 226} // secondary text on the cover band
	severes = []severity{
		{"CRITICAL", "Critical", rgb{122, 18, 18}},
		{"HIGH", "High", rgb{201, 62, 28}},
		{"MEDIUM", "Medium", rgb{214, 150, 0}},
		{"LOW", "Low", rgb{70, 120, 170}},
		{"INFORMATIONAL", "Informational", rgb{150, 160, 170}},
	}
)

type severity struct {
	label string // as in the findings
	name  string // as printed
	color rgb
}

// severityOf returns how a severity label prints; an unknown label prints as it is, in grey.
func severityOf(label string) severity {
	for _, s := range severes {
		if strings.EqualFold(label, s.label) {
			return s
		}
	}
	return severity{label, label, faint}
}

func (d *doc) font(family, style string, size float64, c rgb) {
	d.f.SetFont(family, style, size)
	d.f.SetTextColor(c.r, c.g, c.b)
}

func (d *doc) fill(c rgb)   { d.f.SetFillColor(c.r, c.g, c.b) }
func (d *doc) stroke(c rgb) { d.f.SetDrawColor(c.r, c.g, c.b) }

// lh is the line height in millimetres of text of size pt.
func lh(pt float64) float64 { return pt * 25.4 / 72 * 1.3 }

// text draws one line of s, already cleaned and fitted, in a box of width w whose top is y,
// one line of the current font high, aligned "L", "C" or "R".
func (d *doc) text(x, y, w float64, s, align string) {
	size, _ := d.f.GetFontSize()
	d.f.SetXY(x, y)
	d.f.CellFormat(w, lh(size), s, "", 0, align+"M", false, 0, "")
}

func (d *doc) hrule(x1, x2, y, width float64, c rgb) {
	d.f.SetLineWidth(width)
	d.stroke(c)
	d.f.Line(x1, y, x2, y)
}

// clean replaces control characters (a newline in a title from AWS) with spaces, so that data
// can break neither a line nor a table row. It also replaces characters beyond the Basic
// Multilingual Plane (emoji) with U+FFFD: fpdf writes text as 16-bit codes and the Go fonts
// have no such glyphs, so they could not print anyway, and fpdf's width table has 65536 entries
// and would index past its end on U+10000.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case r > 0xFFFF:
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

// fit returns s, cleaned, shortened with an ellipsis if it is wider than w in the current font.
func (d *doc) fit(s string, w float64) string {
	s = strings.TrimSpace(clean(s))
	if d.f.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	// The longest prefix that fits with the ellipsis, found by bisection.
	lo, hi := 0, len(rs)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if d.f.GetStringWidth(strings.TrimRight(string(rs[:mid]), " ")+"…") <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimRight(string(rs[:lo]), " ") + "…"
}

// wrap splits s into at most limit lines (0: no limit) of width w in the current font; the last
// line ends with an ellipsis when s does not fit.
func (d *doc) wrap(s string, w float64, limit int) []string {
	s = strings.TrimSpace(clean(s))
	lines := d.f.SplitText(s, w)
	if len(lines) == 0 {
		return []string{""}
	}
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	if limit > 0 && len(lines) > limit {
		lines = append(lines[:limit-1], d.fit(strings.Join(lines[limit-1:], " "), w))
	}
	return lines
}

// paragraph draws s wrapped to the content width at the cursor and moves the cursor below it.
func (d *doc) paragraph(s string, size float64, c rgb) {
	d.font(sans, "", size, c)
	for _, l := range d.wrap(s, d.cw, 0) {
		d.need(lh(size))
		d.text(marginX, d.y, d.cw, l, "L")
		d.y += lh(size)
	}
}

// h1 starts a section: a title and an optional one-paragraph explanation. keep is the height
// that must fit under it on the same page, so that a heading never ends a page.
func (d *doc) h1(title, sub string, keep float64) {
	d.need(d.h1Height(sub) + keep)
	d.font(sans, "B", 18, navy)
	d.text(marginX, d.y, d.cw, title, "L")
	d.y += lh(18)
	if sub != "" {
		d.y += 1
		d.paragraph(sub, 9.5, muted)
	}
	d.y += 5
}

// h1Height is the height h1 takes with the subtitle sub. It leaves the subtitle's font set.
func (d *doc) h1Height(sub string) float64 {
	h := lh(18) + 5
	if sub != "" {
		d.font(sans, "", 9.5, muted)
		h += 1 + float64(len(d.wrap(sub, d.cw, 0)))*lh(9.5)
	}
	return h
}

// h2 starts a subsection; keep is the height that must fit under it on the same page.
func (d *doc) h2(title string, keep float64) {
	d.need(lh(13) + 3 + keep)
	d.font(sans, "B", 13, navy)
	d.text(marginX, d.y, d.cw, title, "L")
	d.y += lh(13) + 2
}

// shrink sets the font at the largest size from size down to least at which s fits in w.
func (d *doc) shrink(family, style string, size, least float64, c rgb, s string, w float64) {
	d.font(family, style, size, c)
	for size > least && d.f.GetStringWidth(s) > w {
		size -= 0.5
		d.f.SetFontSize(size)
	}
}
