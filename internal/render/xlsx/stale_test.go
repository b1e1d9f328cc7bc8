package xlsx

import (
	"testing"

	"github.com/hubreport/hubreport/internal/report"
)

// TestRenderStale checks that the Summary sheet of a stale report says so in its Report section,
// and that a fresh one has no such row.
func TestRenderStale(t *testing.T) {
	r := testReport(false)
	r.Stale = &report.Staleness{SnapshotDate: "2025-02-23", RunDate: "2025-02-25", AgeDays: 2, MaxAgeHours: 36}
	s := readSheet(t, open(t, render(t, r)), sheetSummary)
	row := summaryRow(t, s, "STALE DATA")
	if date := summaryRow(t, s, "Report date"); row != date+1 {
		t.Errorf("STALE DATA is row %d, want %d (right under Report date)", row, date+1)
	}
	if got, want := s.text("Value", row), r.Stale.Sentence(); got != want {
		t.Errorf("STALE DATA: got %q, want %q", got, want)
	}

	rows, err := open(t, render(t, testReport(false))).GetRows(sheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if len(row) > 0 && row[0] == "STALE DATA" {
			t.Errorf("a fresh report's Summary has a STALE DATA row")
		}
	}
}
