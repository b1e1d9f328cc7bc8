package xlsx

import (
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/report"
)

// TestRenderWarnings checks that the Summary sheet's Coverage section lists each warning the
// snapshot was stored with and the pairs whose control enablement is unknown, and that a report
// without either has no such rows.
func TestRenderWarnings(t *testing.T) {
	r := testReport(false)
	r.Coverage.Warnings = []report.Warning{
		{Kind: "ou_tree_unreadable", Message: "cannot read the organization's OU tree (AccessDeniedException on ListRoots)"},
		{Kind: "records_skipped", Message: "events.json: 2 skipped, OCSF class 2004 (Detection Finding) (the first at byte 17)"},
	}
	r.Coverage.EnablementUnknown = []report.CoverageGap{
		{AccountID: "444455556666", Region: "eu-west-1", Status: "collected", Reason: "AccessDenied on ListSecurityControlDefinitions"},
	}
	s := readSheet(t, open(t, render(t, r)), sheetSummary)
	coverage := summaryRow(t, s, "Coverage")
	scores := summaryRow(t, s, "Scores")
	for _, w := range r.Coverage.Warnings {
		row := summaryRow(t, s, "Warning: "+w.Kind)
		if row <= coverage || row >= scores {
			t.Errorf("Warning: %s is row %d, outside the Coverage section (rows %d-%d)", w.Kind, row, coverage, scores)
		}
		if got := s.text("Value", row); got != w.Message {
			t.Errorf("Warning: %s: got %q, want %q", w.Kind, got, w.Message)
		}
	}
	row := summaryRow(t, s, "Control enablement unknown")
	if got, want := s.text("Value", row), "1 collected pair(s), the first 444455556666 eu-west-1 (AccessDenied on ListSecurityControlDefinitions)"; !strings.HasPrefix(got, want) {
		t.Errorf("Control enablement unknown: got %q, want it to start %q", got, want)
	}

	rows, err := open(t, render(t, testReport(false))).GetRows(sheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if len(row) > 0 && (strings.HasPrefix(row[0], "Warning:") || row[0] == "Control enablement unknown") {
			t.Errorf("a report without warnings has the Summary row %q", row[0])
		}
	}
}
