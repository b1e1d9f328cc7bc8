// Package xlsx renders a report.Report as an Excel workbook for the analyst who filters it to
// plan the week's remediation. It lives apart from package render because excelize is a heavy
// dependency that the other formats do not need.
//
// Units: scores are stored as fractions (0-1) with a percent number format, so that Excel shows
// "87.5%" and formulas, sorting, charts and conditional formats see the number Excel users
// expect for a percentage. report.Report keeps percentages 0-100; a cell holds the report's
// value divided by 100. Changes of a score (percentage points) are stored the same way. A score
// the report does not have (nil) is an empty cell, never 0. Dates and times are Excel date
// numbers in UTC with a date format; counts are numbers.
package xlsx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hubreport/hubreport/internal/report"
)

// Sheet names, in workbook order. Users and macros find sheets by name: keep them stable.
const (
	sheetSummary     = "Summary"
	sheetStandards   = "Scores by Standard"
	sheetAccounts    = "Scores by Account"
	sheetOUs         = "OUs"
	sheetTopControls = "Top Failed Controls"
	sheetFindings    = "Failed Findings"
	sheetTrend       = "Trend"
	sheetSuppressed  = "Suppressed"
	sheetExceptions  = "Exceptions"
	sheetPlan        = "Remediation Plan"
	sheetMethod      = "Methodology"
)

var sheetOrder = []string{
	sheetSummary, sheetStandards, sheetAccounts, sheetOUs, sheetTopControls, sheetPlan, sheetSinceLastWeek,
	sheetFindings, sheetTrend, sheetSuppressed, sheetExceptions, sheetMethod,
}

// maxDataRows is how many data rows a sheet can hold under its header: Excel stops at
// 1,048,576 rows. Longer lists are cut (they are sorted most severe first) and the Summary
// says how many rows were left out, rather than writing a file Excel refuses to open. A
// variable so that the test can lower it instead of writing a million rows.
var maxDataRows = excelize.TotalRows - 1

// ctxCheckEvery is how often (in rows) the long sheets look at ctx.
const ctxCheckEvery = 10000

// Render writes r to w as an .xlsx workbook. Nothing is written to w unless the whole workbook
// was built. Large lists go through excelize's StreamWriter, which spools rows to a temporary
// file and writes strings inline (no shared-strings table), so memory stays flat in the number
// of failed findings; the cost moves to the temporary directory, about 850 MB per million rows
// (the uncompressed sheet, then its compressed copy), removed before Render returns.
func Render(ctx context.Context, w io.Writer, r *report.Report) error {
	if r == nil {
		return errors.New("render xlsx: nil report")
	}
	return renderBook(ctx, w, "render xlsx", func(b *book) error { return b.build(ctx, r) })
}

// renderBook builds a workbook with build and writes it to w; errors start with what.
func renderBook(ctx context.Context, w io.Writer, what string, build func(*book) error) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	f := excelize.NewFile()
	defer func() {
		// Close removes the stream writers' temporary files.
		if cerr := f.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("%s: close: %w", what, cerr))
		}
	}()
	b, err := newBook(f)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := build(b); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := b.write(w); err != nil {
		return fmt.Errorf("%s: write: %w", what, err)
	}
	return nil
}

// book is a workbook being built, with the styles its cells use.
type book struct {
	f  *excelize.File
	st styles
}

// styles are the cell style ids, created once per workbook.
type styles struct {
	header   int // table header rows
	section  int // Summary section lines
	label    int // Summary item names
	wrap     int // long prose
	pct      int // scores, 0-1 shown as percent
	points   int // score changes, signed percent
	count    int // integer counts
	signed   int // signed integer changes
	decimal  int // days, one decimal
	date     int // calendar dates
	datetime int // timestamps (UTC)
}

func newBook(f *excelize.File) (*book, error) {
	b := &book{f: f}
	var err error
	style := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(s)
		return id
	}
	numFmt := func(code string) *excelize.Style { return &excelize.Style{CustomNumFmt: &code} }
	b.st = styles{
		header: style(&excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#DDEBF7"}},
			Border:    []excelize.Border{{Type: "bottom", Color: "#8EA9DB", Style: 1}},
			Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
		}),
		section: style(&excelize.Style{
			Font: &excelize.Font{Bold: true},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#F2F2F2"}},
		}),
		label:    style(&excelize.Style{Alignment: &excelize.Alignment{Indent: 1}}),
		wrap:     style(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}),
		pct:      style(numFmt("0.0%")),
		points:   style(numFmt("+0.0%;-0.0%;0.0%")),
		count:    style(numFmt("#,##0")),
		signed:   style(numFmt("+#,##0;-#,##0;0")),
		decimal:  style(numFmt("0.0")),
		date:     style(numFmt("yyyy-mm-dd")),
		datetime: style(numFmt("yyyy-mm-dd hh:mm")),
	}
	if err != nil {
		return nil, fmt.Errorf("styles: %w", err)
	}
	return b, nil
}

// build adds every sheet, in order, and the document properties.
func (b *book) build(ctx context.Context, r *report.Report) error {
	// NewFile starts with "Sheet1": it becomes the Summary so that no empty sheet is left.
	if err := b.f.SetSheetName("Sheet1", sheetSummary); err != nil {
		return err
	}
	for _, name := range sheetOrder[1:] {
		if _, err := b.f.NewSheet(name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	for _, s := range []struct {
		name string
		fill func(context.Context, *report.Report) error
	}{
		{sheetSummary, b.summary},
		{sheetStandards, b.standards},
		{sheetAccounts, b.accounts},
		{sheetOUs, b.ous},
		{sheetTopControls, b.topControls},
		{sheetPlan, b.remediationPlan},
		{sheetSinceLastWeek, b.sinceLastWeek},
		{sheetFindings, b.failedFindings},
		{sheetTrend, b.trend},
		{sheetSuppressed, b.suppressed},
		{sheetExceptions, b.exceptions},
		{sheetMethod, b.methodology},
	} {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.fill(ctx, r); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	b.f.SetActiveSheet(0)
	b.sortContentTypes()
	return b.docProps(r)
}

// sortContentTypes puts the [Content_Types].xml defaults in a fixed order: AddChart adds the
// image extensions by ranging over a map, which would make two renders of one report differ.
func (b *book) sortContentTypes() {
	if b.f.ContentTypes == nil {
		return
	}
	d := b.f.ContentTypes.Defaults
	sort.SliceStable(d, func(i, j int) bool { return d[i].Extension < d[j].Extension })
}

// docProps fixes the core properties. excelize's template carries a fixed 2006 date; taking
// Created/Modified from the report (not the clock) makes the same report give the same file.
func (b *book) docProps(r *report.Report) error {
	stamp := r.GeneratedAt
	if stamp.IsZero() {
		stamp = r.Snapshot.TakenAt
	}
	p := &excelize.DocProperties{
		Creator:        "hubreport",
		LastModifiedBy: "hubreport",
		Title:          "Security Hub compliance report",
		Subject:        r.Organization,
		Description:    "AWS Security Hub compliance report for " + r.ReportDate,
	}
	if !stamp.IsZero() {
		p.Created = stamp.UTC().Format(time.RFC3339)
		p.Modified = p.Created
	}
	return b.f.SetDocProps(p)
}

// write saves the workbook to w. excelize's own Write assembles the whole zip in a bytes.Buffer
// (and iterates over its stream writers in map order); writing through orderedZip instead sends
// it straight to w, in a fixed entry order, so the bytes are reproducible and a million-row
// workbook is never held in memory whole.
func (b *book) write(w io.Writer) error {
	oz := newOrderedZip(w)
	defer oz.discard()
	b.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return oz })
	buf, err := b.f.WriteToBuffer()
	if err != nil {
		return err
	}
	if buf.Len() != 0 {
		// Only an encrypted workbook writes to the buffer after the zip; we never encrypt.
		return errors.New("unexpected workbook bytes outside the zip")
	}
	return oz.emit()
}

// Cell values. Each returns nil for "no value", which leaves the cell empty.

func (b *book) text(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// pct is a score (percent 0-100 in the report) as a fraction with a percent format.
func (b *book) pct(v *float64) any {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		// excelize would write NaN as the text "NaN"; no number is the honest cell.
		return nil
	}
	return excelize.Cell{StyleID: b.st.pct, Value: *v / 100}
}

// points is a change of score in percentage points, stored like pct.
func (b *book) points(v *float64) any {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return nil
	}
	return excelize.Cell{StyleID: b.st.points, Value: *v / 100}
}

func (b *book) count(n int64) any { return excelize.Cell{StyleID: b.st.count, Value: n} }

func (b *book) decimal(v *float64) any {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return nil
	}
	return excelize.Cell{StyleID: b.st.decimal, Value: *v}
}

// stamp is a timestamp, shown in UTC. Excel has no time zones: the header says UTC.
func (b *book) stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return excelize.Cell{StyleID: b.st.datetime, Value: t.UTC()}
}

// day is a report date ("2006-01-02") as an Excel date. A string that is not such a date is kept
// as text rather than failing the workbook.
func (b *book) day(s string) any {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return excelize.Cell{StyleID: b.st.date, Value: t}
}

// yesNo spells a flag for a filter drop-down; TRUE/FALSE reads worse to the audience.
func yesNo(v bool) string {
	if v {
		return "Yes"
	}
	return "No"
}

// enablementUnknown says in one cell what the text report says of the collected pairs whose
// control enablement could not be read: how many, the first, and what it means for the statuses.
func enablementUnknown(eu []report.CoverageGap) string {
	first := eu[0]
	return fmt.Sprintf("%d collected pair(s), the first %s %s (%s): disabled controls there cannot be told apart; statuses come from the findings alone",
		len(eu), first.AccountID, first.Region, first.Reason)
}
