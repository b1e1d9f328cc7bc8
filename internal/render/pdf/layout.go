package pdf

import (
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/hubreport/hubreport/internal/report"
)

// Layout, in millimetres. The margins are narrow for print because the reader is a phone: every
// millimetre of margin shrinks the text on a small screen.
const (
	marginX   = 16.0 // left and right
	marginTop = 24.0 // below the running header
	marginBot = 18.0 // above the running footer
)

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

	who := r.Organization
	if r.Scope != nil {
		who += " · " + r.Scope.Title()
	}
	f.SetTitle(clean(fmt.Sprintf("%s – Security Hub compliance report %s", who, r.ReportDate)), true)
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
	who := d.r.Organization
	if sc := d.r.Scope; sc != nil {
		// A page forwarded on its own still says whose accounts it covers.
		who += " · " + sc.Title()
	}
	d.text(marginX, 9, half, d.fit(who, half), "L")
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
