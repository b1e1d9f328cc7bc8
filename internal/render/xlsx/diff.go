package xlsx

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/hubreport/hubreport/internal/report"
)

// Sheets of the diff workbook (`reporter diff --format xlsx`) and of the report's week.
const (
	sheetDiffSummary   = "Summary"
	sheetDiffChanges   = "Changes"
	sheetSinceLastWeek = "Since Last Week"
)

// Change kinds as the Change column spells them, in the order rows are written.
const (
	changeFixed           = "Fixed"
	changeNewlyFailing    = "Newly failing"
	changeNewlySuppressed = "Newly suppressed"
	changeNewlyDisabled   = "Newly disabled"
	changeAccountJoined   = "Account joined"
	changeAccountLeft     = "Account left"
	changeNotComparable   = "Not comparable"
)

// RenderDiff writes d as a workbook: a Summary sheet (the two snapshots and the counts) and a
// Changes sheet with one row per change and a Change column to filter on. Nothing is written to
// w unless the whole workbook was built.
func RenderDiff(ctx context.Context, w io.Writer, d *report.Diff) error {
	if d == nil {
		return errors.New("render diff xlsx: nil diff")
	}
	return renderBook(ctx, w, "render diff xlsx", func(b *book) error { return b.buildDiff(d) })
}

func (b *book) buildDiff(d *report.Diff) error {
	if err := b.f.SetSheetName("Sheet1", sheetDiffSummary); err != nil {
		return err
	}
	if _, err := b.f.NewSheet(sheetDiffChanges); err != nil {
		return err
	}
	t := b.newTable(sheetDiffSummary, []column{{"Item", 46}, {"Value", 34}}, 0)
	section := func(title string) {
		t.add(excelize.Cell{StyleID: b.st.section, Value: title}, excelize.Cell{StyleID: b.st.section})
	}
	item := func(name string, v any) { t.add(excelize.Cell{StyleID: b.st.label, Value: name}, v) }
	section("Snapshots compared")
	item("From snapshot", b.count(d.From.ID))
	item("From (UTC)", b.stamp(d.From.TakenAt))
	item("To snapshot", b.count(d.To.ID))
	item("To (UTC)", b.stamp(d.To.TakenAt))
	b.diffCounts(d.Counts, section, item)
	if err := t.done(); err != nil {
		return fmt.Errorf("%s: %w", sheetDiffSummary, err)
	}
	if err := b.changes(sheetDiffChanges, d); err != nil {
		return fmt.Errorf("%s: %w", sheetDiffChanges, err)
	}
	b.f.SetActiveSheet(0)
	b.sortContentTypes()
	p := &excelize.DocProperties{Creator: "hubreport", LastModifiedBy: "hubreport", Title: "Security Hub changes",
		Description: fmt.Sprintf("Changes from snapshot %d (%s) to snapshot %d (%s)", d.From.ID, d.From.Date, d.To.ID, d.To.Date)}
	if !d.To.TakenAt.IsZero() {
		// From the snapshot, not the clock: the same diff gives the same file.
		p.Created = d.To.TakenAt.UTC().Format("2006-01-02T15:04:05Z")
		p.Modified = p.Created
	}
	return b.f.SetDocProps(p)
}

// diffCounts adds a diff's counts to a Summary sheet.
func (b *book) diffCounts(c report.DiffCounts, section func(string), item func(string, any)) {
	section("Changes (control-account pairs; suppressed or disabled failures are not fixes)")
	for _, x := range []struct {
		name string
		n    int
	}{
		{changeFixed, c.Fixed}, {changeNewlyFailing, c.NewlyFailing}, {changeNewlySuppressed, c.NewlySuppressed},
		{changeNewlyDisabled, c.NewlyDisabled}, {"Accounts joined", c.AccountsJoined}, {"Accounts left", c.AccountsLeft},
		{changeNotComparable + " (not collected in one snapshot)", c.NotComparable},
	} {
		item(x.name, b.count(int64(x.n)))
	}
}

// changes writes one row per item of d's lists on sheet: the pairs, then the accounts.
func (b *book) changes(sheet string, d *report.Diff) error {
	t := b.newTable(sheet, []column{
		{"Change", 18}, {"Severity", 11}, {"Control ID", 13}, {"Title", 60}, {"Account ID", 15}, {"Account name", 24}, {"OU", 22},
	}, 1)
	pairs := func(kind string, items []report.DiffItem) {
		for _, it := range items {
			t.add(b.text(kind), b.text(it.Severity), b.text(it.ControlID), b.text(it.Title), b.text(it.AccountID), nil, b.text(it.OU))
		}
	}
	accounts := func(kind string, items []report.DiffAccount) {
		for _, a := range items {
			t.add(b.text(kind), nil, nil, nil, b.text(a.AccountID), b.text(a.Name), b.text(a.OU))
		}
	}
	pairs(changeFixed, d.Fixed)
	pairs(changeNewlyFailing, d.NewlyFailing)
	pairs(changeNewlySuppressed, d.NewlySuppressed)
	pairs(changeNewlyDisabled, d.NewlyDisabled)
	accounts(changeAccountJoined, d.AccountsJoined)
	accounts(changeAccountLeft, d.AccountsLeft)
	pairs(changeNotComparable, d.NotComparable)
	t.autoFilter()
	return t.done()
}

// sinceLastWeek fills the report's "Since Last Week" sheet: the first items of each list of
// Report.SinceLastWeek (the Summary has the counts), or a line saying there is no snapshot a
// week earlier.
func (b *book) sinceLastWeek(_ context.Context, r *report.Report) error {
	if r.SinceLastWeek == nil {
		t := b.newTable(sheetSinceLastWeek, []column{{"Change", 80}}, 0)
		t.add(b.text("No snapshot a week (within a day) before this report's: nothing to compare with."))
		return t.done()
	}
	return b.changes(sheetSinceLastWeek, r.SinceLastWeek)
}

// sinceLastWeekSummary adds the week's counts to the report's Summary sheet.
func (b *book) sinceLastWeekSummary(d *report.Diff, section func(string), item func(string, any)) {
	if d == nil {
		return
	}
	section(fmt.Sprintf("Since last week (%s to %s)", d.From.Date, d.To.Date))
	b.diffCounts(d.Counts, func(string) {}, item)
}
