// Package pdf renders the executive report: the PDF a CISO opens on a phone and reads in two
// minutes. It presents the content of the text report (templates/report.txt.tmpl) for that
// reader: big numbers, one column, charts drawn as vectors, the detail left to the workbook.
//
// It is a subpackage of render because it carries a heavy dependency (fpdf and the embedded
// fonts), which the other renderers should not pull in.
package pdf

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/hubreport/hubreport/internal/report"
)

// Options are the choices of the caller.
type Options struct {
	// PageSize is "A4" (the default when empty) or "Letter", in any case.
	PageSize string
}

// PageSizeError is returned for a page size Render does not know; the CLI reports it as a usage
// error.
type PageSizeError struct {
	PageSize string
}

func (e *PageSizeError) Error() string {
	return fmt.Sprintf("unknown page size %q (known: A4, Letter)", e.PageSize)
}

// How many rows the tables show. The PDF is a summary; the workbook lists everything.
const (
	maxControls = 15
	maxAccounts = 15
)

// Render writes the PDF report of r to w. Nothing is written unless the whole document rendered.
// The output depends on r and opt only: the same report gives the same bytes.
func Render(ctx context.Context, w io.Writer, r *report.Report, opt Options) error {
	if r == nil {
		return errors.New("render pdf: nil report")
	}
	size, err := pageSize(opt.PageSize)
	if err != nil {
		return fmt.Errorf("render pdf: %w", err)
	}
	d := newDoc(r, size)
	for _, section := range []func(){
		d.cover, d.summary, d.trends, d.severities, d.controls, d.accounts, d.gaps, d.methodology,
	} {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("render pdf: %w", err)
		}
		section()
		if err := d.f.Error(); err != nil {
			return fmt.Errorf("render pdf: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := d.f.Output(&buf); err != nil {
		return fmt.Errorf("render pdf: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("render pdf: %w", err)
	}
	return nil
}

func pageSize(s string) (string, error) {
	switch {
	case s == "" || strings.EqualFold(s, "A4"):
		return "A4", nil
	case strings.EqualFold(s, "Letter"):
		return "Letter", nil
	}
	return "", &PageSizeError{PageSize: s}
}

// Layout, in millimetres. The margins are narrow for print because the reader is a phone: every
// millimetre of margin shrinks the text on a small screen.
const (
	marginX   = 16.0 // left and right
	marginTop = 24.0 // below the running header
	marginBot = 18.0 // above the running footer
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

// doc is one document being drawn. y is the cursor: the top of the next thing drawn.
type doc struct {
	f      *fpdf.Fpdf
	r      *report.Report
	pw, ph float64 // page size
	cw     float64 // content width
	y      float64
	num    *message.Printer
}

func newDoc(r *report.Report, size string) *doc {
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: size})
	d := &doc{f: f, r: r, num: message.NewPrinter(language.English)}
	d.pw, d.ph = f.GetPageSize()
	d.cw = d.pw - 2*marginX

	// Determinism: the dates come from the report, not the clock, and fpdf writes its
	// internal catalogs in sorted order rather than map order.
	stamp := r.GeneratedAt
	if stamp.IsZero() {
		stamp = r.Snapshot.TakenAt
	}
	if stamp.IsZero() {
		stamp = time.Unix(0, 0) // fpdf would use the clock for a zero time
	}
	f.SetCreationDate(stamp.UTC())
	f.SetModificationDate(stamp.UTC())
	f.SetCatalogSort(true)
	f.SetCompression(true)

	f.SetTitle(clean(fmt.Sprintf("%s – Security Hub compliance report %s", r.Organization, r.ReportDate)), true)
	f.SetSubject("AWS Security Hub compliance report", true)
	f.SetCreator("hubreport", true)
	f.SetAuthor(clean(r.Organization), true)
	f.SetLang("en")

	f.SetMargins(marginX, marginTop, marginX)
	// Pages break where the code decides (need), never in the middle of a row or under a
	// table header.
	f.SetAutoPageBreak(false, marginBot)
	// Text is placed at exact positions; padding is added explicitly where wanted.
	f.SetCellMargin(0)
	f.AliasNbPages("{nb}")
	addFonts(f)
	f.SetHeaderFunc(d.header)
	f.SetFooterFunc(d.footer)
	f.SetLineCapStyle("round")
	f.SetLineJoinStyle("round")
	return d
}

// header and footer run on every page but the cover.
func (d *doc) header() {
	if d.f.PageNo() == 1 {
		return
	}
	half := d.cw/2 - 2
	d.font(sans, "B", 8, faint)
	d.text(marginX, 9, half, d.fit(d.r.Organization, half), "L")
	title, c := "AWS Security Hub compliance report", faint
	if st := d.r.Stale; st != nil {
		// Every page says so: a page is often forwarded on its own.
		title, c = fmt.Sprintf("STALE DATA: snapshot of %s, %s old on %s", st.SnapshotDate, st.Age(), st.RunDate), bad
	}
	d.font(sans, "", 8, c)
	d.text(d.pw-marginX-half, 9, half, d.fit(title, half), "R")
	d.hrule(marginX, d.pw-marginX, 15, 0.2, rule)
}

func (d *doc) footer() {
	if d.f.PageNo() == 1 {
		return
	}
	y := d.ph - 12
	d.hrule(marginX, d.pw-marginX, y-2, 0.2, rule)
	d.font(sans, "", 8, faint)
	// The page count is left-aligned because fpdf substitutes "{nb}" after layout, so a
	// right-aligned cell would be measured with the alias rather than the number. Its digits
	// are in the font subset because the last page prints its own number, which is the count,
	// in this font.
	d.text(marginX, y, d.cw/2, fmt.Sprintf("Page %d of {nb}", d.f.PageNo()), "L")
	right := fmt.Sprintf("Snapshot %d · %s", d.r.Snapshot.ID, d.r.ReportDate)
	d.text(d.pw-marginX-d.cw/2, y, d.cw/2, d.fit(right, d.cw/2), "R")
}

// newPage starts a content page.
func (d *doc) newPage() {
	d.f.AddPage()
	d.y = marginTop
}

// need starts a new page unless h millimetres fit below the cursor.
func (d *doc) need(h float64) {
	if d.y+h > d.ph-marginBot {
		d.newPage()
	}
}

// room is the height left on the page below the cursor.
func (d *doc) room() float64 { return d.ph - marginBot - d.y }

// ---- drawing primitives ----

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

// ---- numbers ----

func validScore(p *float64) bool {
	return p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0)
}

// pct prints a score: "78%", "n/a" for no score.
func pct(p *float64) string {
	if !validScore(p) {
		return "n/a"
	}
	return strconv.Itoa(report.RoundPercent(*p)) + "%"
}

// points returns the change between two scores in whole points as they print (64.5% -> 65.4%
// prints 65% -> 65% and 0, not +1), as the text report's progress line does, so the PDF and the
// text agree. Without both scores it falls back to the change itself. ok is false when there is
// no change to print.
func points(sp *report.StandardProgress) (n int, ok bool) {
	switch {
	case sp == nil:
		return 0, false
	case validScore(sp.BaselineScore) && validScore(sp.CurrentScore):
		return report.RoundPercent(*sp.CurrentScore) - report.RoundPercent(*sp.BaselineScore), true
	case validScore(sp.Change):
		return report.RoundPercent(*sp.Change), true
	}
	return 0, false
}

func signed(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// count prints a count with thousands separators: 1,247.
func (d *doc) count(n int64) string { return d.num.Sprintf("%d", n) }

// targetStatus says where a standard stands against the target, in the text report's words.
func targetStatus(sp *report.StandardProgress, target float64) string {
	switch {
	case sp == nil || !validScore(sp.CurrentScore):
		return ""
	case *sp.CurrentScore >= target:
		return "target met"
	case sp.OnTrack && sp.ProjectedDate != nil:
		return "on track: target by " + *sp.ProjectedDate
	case sp.OffTrackReason != "":
		return "off track: " + sp.OffTrackReason
	}
	return "off track"
}

// progressOf returns the progress of the standard with the given id, nil without one.
func (d *doc) progressOf(id string) *report.StandardProgress {
	for i := range d.r.Progress.Standards {
		if d.r.Progress.Standards[i].ID == id {
			return &d.r.Progress.Standards[i]
		}
	}
	return nil
}

func shortName(short, name string) string {
	if short != "" {
		return short
	}
	return name
}

// dateAs rewrites a report date (YYYY-MM-DD) in layout; anything else is printed as it is.
func dateAs(s, layout string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format(layout)
}

func (d *doc) hasHistory() bool { return d.r.Progress.Snapshots > 1 }

// ---- sections ----

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
	d.text(marginX, y+2, d.cw, dateAs(r.ReportDate, "2 January 2006"), "L")
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

// methodology is the appendix: how the numbers are made and why they may differ from the
// console. The wording follows README.md, "How the numbers are computed"; keep them in step.
func (d *doc) methodology() {
	d.newPage()
	d.h1("Methodology", "How the scores and statuses in this report are computed. AWS has no public API for the security score, so this report rebuilds it from the Security Hub findings, following the method of the Security Hub user guide (\"Calculating security scores\", \"Evaluating compliance status\").", 30)
	for _, s := range methodText {
		d.need(lh(11) + 2 + 2*lh(9.5))
		d.font(sans, "B", 11, navy)
		d.text(marginX, d.y, d.cw, s.title, "L")
		d.y += lh(11) + 0.5
		d.paragraph(s.body, 9.5, ink)
		d.y += 3.5
	}
}

var methodText = []struct{ title, body string }{
	{"Which findings count",
		"Control findings only, consolidated or legacy per-standard, each mapped to one security control id. Archived findings and findings whose workflow is SUPPRESSED do not count."},
	{"Control status",
		"In a scope (an account, or the organization), over the findings of all its regions: FAILED if any finding is FAILED; else UNKNOWN if any is WARNING or NOT_AVAILABLE; else PASSED if any is PASSED; else NO_DATA. A control failing in one account or region fails for the organization. A disabled control is out of scope."},
	{"Scores",
		"A standard's score is PASSED / (PASSED + FAILED + UNKNOWN) over its controls; NO_DATA controls are left out. A control shared by several standards counts once in each. The summary score (organization and each account) counts each control once across all standards: unique PASSED controls over unique PASSED + FAILED + UNKNOWN controls, a control failing in any of its standards failing it; controls with no data are left out, as AWS leaves them out. This is the calculation and worked example of AWS's \"Calculating security scores\" page (357 of 515 unique controls = 69%, where the mean of its five standard scores would be 52%), although the same page's opening paragraph calls the summary \"the average of the standard security scores\"; this report follows the calculation and its example. The mean of the standard scores is shown beside the summary, labelled \"mean of standard scores\". Scores print rounded to a whole percent, half away from zero; n/a means no control had data, which is not 0%. The score without suppressions counts suppressed findings too, to show what suppressions hide."},
	{"Top failed controls",
		"The number of distinct accounts where the control is FAILED (in any standard), over the accounts collected in the snapshot; ranked by that count, then severity, then failed resources. The 7-day change compares with the snapshot nearest to 7 days earlier (within a day); — means there is none."},
	{"Findings",
		"Active: an ACTIVE record whose workflow is NEW or NOTIFIED and whose compliance status is FAILED, WARNING or absent (GuardDuty, Inspector, Macie...), counted by severity label. Suppressed: ACTIVE and SUPPRESSED. Remediated this month: control findings seen FAILED in one snapshot and PASSED, RESOLVED or archived in a later one taken in the report date's calendar month; by automation when the fixing change carries an automation marker."},
	{"Trend",
		"The score of each standard at every snapshot of the window. The change is the last snapshot against the first, in points of the printed scores. The target date comes from a least-squares line through the window's scores; on track when it falls within the target horizon, otherwise off track with the reason (score falling or flat, or the date beyond the horizon). Open squares mark partial snapshots. Fixed and newly failing count only control-account pairs read and enabled in both snapshots (FAILED to PASSED, and to FAILED); failures suppressed or disabled since, accounts that left and pairs not read in both are counted on their own. Time to remediate runs from each finding's FirstObservedAt, and is shown as a median only over at least 5 remediations, beside the failures still open."},
	{"Coverage",
		"Every snapshot records which account/region pairs were collected and which were not, and why. A pair that was not collected is listed and its controls are not counted, never silently taken as passing; the snapshot is then marked PARTIAL."},
	{"Why numbers can differ from the console",
		"The console scores one account (or the administrator's aggregated view) from its live control states; this report scores a snapshot as it was collected. Differences come from findings updated between the two, from controls AWS evaluates but has not yet written findings for (NO_DATA here), and from the console's own rounding."},
}

// ---- tables ----

// column is a table column: its share of the content width and its alignment.
type column struct {
	title string
	share float64
	align string
}

func (c column) width(d *doc) float64 { return c.share * d.cw }

// table draws rows under a header that repeats on every page the table spans. A row never
// splits, and the header never ends a page: it moves to the next page with the first row.
func (d *doc) table(cols []column, rows int, height func(i int) float64, draw func(i int, y float64, xs []float64)) {
	xs := make([]float64, len(cols))
	x := marginX
	for i, c := range cols {
		xs[i] = x
		x += c.width(d)
	}
	const size = 8.5
	d.font(sans, "B", size, muted)
	heads := make([][]string, len(cols))
	lines := 1
	for i, c := range cols {
		heads[i] = d.wrap(c.title, c.width(d)-3, 2) // keep a gap between neighbouring titles
		lines = max(lines, len(heads[i]))
	}
	hh := float64(lines)*lh(size) + 3
	header := func() {
		d.font(sans, "B", size, muted)
		for i, c := range cols {
			top := d.y + hh - 1.5 - float64(len(heads[i]))*lh(size) // bottom-aligned
			for j, l := range heads[i] {
				w := c.width(d) - 1
				if c.align != "R" {
					w = c.width(d)
				}
				d.text(xs[i], top+float64(j)*lh(size), w, l, c.align)
			}
		}
		d.y += hh
		d.hrule(marginX, marginX+d.cw, d.y, 0.35, navy)
	}
	if rows > 0 {
		d.need(hh + height(0))
	}
	header()
	for i := range rows {
		h := height(i)
		if d.room() < h {
			d.newPage()
			header()
		}
		if i%2 == 1 {
			d.fill(zebra)
			d.f.Rect(marginX, d.y, d.cw, h, "F")
		}
		draw(i, d.y, xs)
		d.y += h
	}
	d.hrule(marginX, marginX+d.cw, d.y, 0.2, rule)
	d.y += 2
}
