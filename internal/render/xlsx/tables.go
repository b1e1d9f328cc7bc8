package xlsx

import (
	"fmt"

	"github.com/xuri/excelize/v2"
)

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
