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
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hubreport/hubreport/internal/report"
)

// Sheet names, in workbook order. Users and macros find sheets by name: keep them stable.
const (
	sheetSummary     = "Summary"
	sheetStandards   = "Scores by Standard"
	sheetAccounts    = "Scores by Account"
	sheetTopControls = "Top Failed Controls"
	sheetFindings    = "Failed Findings"
	sheetTrend       = "Trend"
	sheetSuppressed  = "Suppressed"
	sheetExceptions  = "Exceptions"
	sheetPlan        = "Remediation Plan"
	sheetMethod      = "Methodology"
)

var sheetOrder = []string{
	sheetSummary, sheetStandards, sheetAccounts, sheetTopControls, sheetPlan,
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
func Render(ctx context.Context, w io.Writer, r *report.Report) (err error) {
	if r == nil {
		return errors.New("render xlsx: nil report")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("render xlsx: %w", err)
	}
	f := excelize.NewFile()
	defer func() {
		// Close removes the stream writers' temporary files.
		if cerr := f.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("render xlsx: close: %w", cerr))
		}
	}()
	b, err := newBook(f)
	if err != nil {
		return fmt.Errorf("render xlsx: %w", err)
	}
	if err := b.build(ctx, r); err != nil {
		return fmt.Errorf("render xlsx: %w", err)
	}
	if err := b.write(w); err != nil {
		return fmt.Errorf("render xlsx: write: %w", err)
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
		{sheetTopControls, b.topControls},
		{sheetPlan, b.remediationPlan},
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

// column is a table column: its header and width in characters.
type column struct {
	title string
	width float64
}

// tableSheet is a sheet written in normal mode (excelize keeps it in memory): for the short
// tables, which also need what the StreamWriter cannot do (conditional formats, charts). The
// first error sticks and is returned by done, so that sheet code reads as a list of rows.
type tableSheet struct {
	b     *book
	name  string
	row   int // last row written
	width int // columns of the header
	err   error
}

// newTable writes the header row of sheet, sets the column widths and freezes the header and
// the first freezeCols columns.
func (b *book) newTable(sheet string, cols []column, freezeCols int) *tableSheet {
	t := &tableSheet{b: b, name: sheet, width: len(cols)}
	hdr := make([]any, len(cols))
	for i, c := range cols {
		hdr[i] = excelize.Cell{StyleID: b.st.header, Value: c.title}
		name, err := excelize.ColumnNumberToName(i + 1)
		if err == nil {
			err = b.f.SetColWidth(sheet, name, name, c.width)
		}
		t.fail(err)
	}
	t.add(hdr...)
	t.fail(b.f.SetPanes(sheet, freezePanes(freezeCols)))
	return t
}

func (t *tableSheet) fail(err error) {
	if t.err == nil && err != nil {
		t.err = err
	}
}

// done returns the first error met writing the sheet.
func (t *tableSheet) done() error { return t.err }

// add writes the next row. A value is nil (empty cell), an excelize.Cell (its Value may be nil
// for a styled empty cell) or a plain value.
func (t *tableSheet) add(values ...any) {
	t.row++
	if t.err != nil {
		return
	}
	for i, v := range values {
		if v == nil {
			continue
		}
		ref, err := excelize.CoordinatesToCellName(i+1, t.row)
		if err != nil {
			t.fail(err)
			return
		}
		style := 0
		if c, ok := v.(excelize.Cell); ok {
			v, style = c.Value, c.StyleID
		}
		if v != nil {
			if err := t.b.f.SetCellValue(t.name, ref, v); err != nil {
				t.fail(fmt.Errorf("%s: %w", ref, err))
				return
			}
		}
		if style != 0 {
			if err := t.b.f.SetCellStyle(t.name, ref, ref, style); err != nil {
				t.fail(fmt.Errorf("%s: %w", ref, err))
				return
			}
		}
	}
}

// autoFilter puts filter buttons on the header over every row written so far.
func (t *tableSheet) autoFilter() {
	if t.err == nil {
		t.fail(autoFilter(t.b.f, t.name, t.width, t.row))
	}
}

func autoFilter(f *excelize.File, sheet string, cols, rows int) error {
	last, err := excelize.CoordinatesToCellName(cols, max(rows, 1))
	if err != nil {
		return err
	}
	return f.AutoFilter(sheet, "A1:"+last, nil)
}

// freezePanes freezes the header row and the first cols columns, so that the column titles (and
// the account a row belongs to) stay in view while scrolling.
func freezePanes(cols int) *excelize.Panes {
	topLeft, _ := excelize.CoordinatesToCellName(cols+1, 2)
	pane := "bottomLeft"
	if cols > 0 {
		pane = "bottomRight"
	}
	return &excelize.Panes{
		Freeze: true, XSplit: cols, YSplit: 1, TopLeftCell: topLeft, ActivePane: pane,
		Selection: []excelize.Selection{{SQRef: topLeft, ActiveCell: topLeft, Pane: pane}},
	}
}

// streamTable is a sheet written through a StreamWriter: for the lists that can run to a
// million rows. Rows must be added in order and Flush called once at the end.
type streamTable struct {
	b     *book
	sw    *excelize.StreamWriter
	name  string
	row   int
	width int
}

// newStreamTable sets the widths and panes (which the StreamWriter needs before any row) and
// writes the header row.
func (b *book) newStreamTable(sheet string, cols []column) (*streamTable, error) {
	sw, err := b.f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	t := &streamTable{b: b, sw: sw, name: sheet, width: len(cols)}
	hdr := make([]any, len(cols))
	for i, c := range cols {
		hdr[i] = excelize.Cell{StyleID: b.st.header, Value: c.title}
	}
	// Last column first: the StreamWriter writes <col> elements in the reverse order of the
	// calls (excelize sorts them only in normal mode), and Excel wants them ascending.
	for i := len(cols) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, cols[i].width); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(freezePanes(0)); err != nil {
		return nil, err
	}
	if err := t.add(hdr); err != nil {
		return nil, err
	}
	return t, nil
}

// add writes the next row; values is not kept, so callers reuse one slice.
func (t *streamTable) add(values []any) error {
	t.row++
	ref, err := excelize.CoordinatesToCellName(1, t.row)
	if err != nil {
		return err
	}
	return t.sw.SetRow(ref, values)
}

// flush adds the auto-filter over the rows written and ends the stream. The worksheet's
// autoFilter element is written after sheetData, at Flush, so setting it through the normal
// API before Flush is safe (the test checks it lands in the file).
func (t *streamTable) flush() error {
	if err := autoFilter(t.b.f, t.name, t.width, t.row); err != nil {
		return err
	}
	return t.sw.Flush()
}

// orderedZip is the excelize.ZipWriter behind book.write. Each entry is compressed as excelize
// writes it, into memory or, past spillSize, a temporary file; Close then writes the entries to
// the real zip in name order with their precomputed sizes and CRC. excelize creates the
// streamed sheets in map order, so without this two runs give differently ordered archives.
type orderedZip struct {
	zw      *zip.Writer
	entries []*zipEntry
}

func newOrderedZip(w io.Writer) *orderedZip { return &orderedZip{zw: zip.NewWriter(w)} }

// Create starts an entry; excelize writes it fully before creating the next.
func (z *orderedZip) Create(name string) (io.Writer, error) {
	if len(z.entries) > 0 {
		if err := z.entries[len(z.entries)-1].finish(); err != nil {
			return nil, err
		}
	}
	e, err := newZipEntry(name)
	if err != nil {
		return nil, err
	}
	z.entries = append(z.entries, e)
	return e, nil
}

// AddFS is part of excelize.ZipWriter; excelize does not call it when saving.
func (z *orderedZip) AddFS(fs.FS) error {
	return errors.New("orderedZip: AddFS not supported")
}

// Close ends the last entry. excelize calls it also after a failed save, so it writes nothing:
// emit does, once the save succeeded, so that a failure leaves w untouched.
func (z *orderedZip) Close() error {
	if len(z.entries) > 0 {
		return z.entries[len(z.entries)-1].finish()
	}
	return nil
}

// emit writes the entries in name order and the zip's directory.
func (z *orderedZip) emit() error {
	slices.SortFunc(z.entries, func(a, b *zipEntry) int { return strings.Compare(a.name, b.name) })
	for _, e := range z.entries {
		if err := e.copyTo(z.zw); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	return z.zw.Close()
}

// discard releases the entries' temporary files.
func (z *orderedZip) discard() {
	for _, e := range z.entries {
		e.release()
	}
	z.entries = nil
}

// spillSize is how much compressed data an entry keeps in memory before moving to a temporary
// file: the small parts stay in memory, the streamed sheets go to disk.
const spillSize = 8 << 20

// zipEntry is one compressed part of the workbook, waiting to be written in order.
type zipEntry struct {
	name string
	crc  hash.Hash32
	size uint64 // uncompressed
	fw   *flate.Writer
	data spool // compressed
	done bool
}

func newZipEntry(name string) (*zipEntry, error) {
	e := &zipEntry{name: name, crc: crc32.NewIEEE()}
	// Level 5 is what archive/zip uses by default: the file is the size excelize would write.
	fw, err := flate.NewWriter(&e.data, 5)
	if err != nil {
		return nil, err
	}
	e.fw = fw
	return e, nil
}

func (e *zipEntry) Write(p []byte) (int, error) {
	if e.done {
		return 0, fmt.Errorf("%s: write after the next entry began", e.name)
	}
	e.crc.Write(p)
	e.size += uint64(len(p))
	return e.fw.Write(p)
}

func (e *zipEntry) finish() error {
	if e.done {
		return nil
	}
	e.done = true
	if err := e.fw.Close(); err != nil {
		return fmt.Errorf("%s: %w", e.name, err)
	}
	return e.data.err
}

func (e *zipEntry) copyTo(zw *zip.Writer) error {
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               e.name,
		Method:             zip.Deflate,
		CRC32:              e.crc.Sum32(),
		CompressedSize64:   e.data.n,
		UncompressedSize64: e.size,
	})
	if err != nil {
		return err
	}
	r, err := e.data.reader()
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

func (e *zipEntry) release() { e.data.release() }

// spool holds bytes in memory up to spillSize, then in a temporary file.
type spool struct {
	mem bytes.Buffer
	tmp *os.File
	n   uint64
	err error // sticky: flate.Writer would otherwise hide a failed write until Close
}

func (s *spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.n += uint64(len(p))
	if s.tmp == nil && s.mem.Len()+len(p) <= spillSize {
		return s.mem.Write(p)
	}
	if s.tmp == nil {
		if s.tmp, s.err = os.CreateTemp("", "hubreport-xlsx-*"); s.err != nil {
			return 0, s.err
		}
		if _, s.err = s.mem.WriteTo(s.tmp); s.err != nil {
			return 0, s.err
		}
		s.mem = bytes.Buffer{}
	}
	var n int
	n, s.err = s.tmp.Write(p)
	return n, s.err
}

func (s *spool) reader() (io.Reader, error) {
	if s.tmp == nil {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	return io.NewSectionReader(s.tmp, 0, int64(s.n)), nil
}

func (s *spool) release() {
	if s.tmp != nil {
		name := s.tmp.Name()
		_ = s.tmp.Close()
		_ = os.Remove(name)
		s.tmp = nil
	}
	s.mem = bytes.Buffer{}
}
