package xlsx

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

// testDiff has one item of each kind, two fixed.
func testDiff() *report.Diff {
	to := takenAt
	from := to.Add(-7 * 24 * time.Hour)
	return &report.Diff{
		From:   report.DiffSnapshot{ID: 3, TakenAt: from, Date: from.Format(time.DateOnly)},
		To:     report.DiffSnapshot{ID: 10, TakenAt: to, Date: to.Format(time.DateOnly)},
		Counts: report.DiffCounts{Fixed: 2, NewlyFailing: 1, NewlySuppressed: 1, NewlyDisabled: 1, AccountsJoined: 1, AccountsLeft: 1, NotComparable: 1},
		Fixed: []report.DiffItem{
			{ControlID: "IAM.6", AccountID: "111122223333", Severity: "CRITICAL", Title: "Hardware MFA", OU: "Security"},
			{ControlID: "S3.1", AccountID: "444455556666", Severity: "MEDIUM", Title: "S3 block public access", OU: "Workloads/Prod"},
		},
		NewlyFailing:    []report.DiffItem{{ControlID: "EC2.19", AccountID: "111122223333", Severity: "CRITICAL", Title: "Ports", OU: "Security"}},
		NewlySuppressed: []report.DiffItem{{ControlID: "EC2.2", AccountID: "444455556666", Severity: "HIGH", Title: "Default SG"}},
		NewlyDisabled:   []report.DiffItem{{ControlID: "KMS.4", AccountID: "444455556666", Severity: "MEDIUM", Title: "KMS rotation"}},
		AccountsJoined:  []report.DiffAccount{{AccountID: "777788889999", Name: "payments-dev", OU: "Workloads/Non-Prod"}},
		AccountsLeft:    []report.DiffAccount{{AccountID: "123412341234", Name: "old-sandbox", OU: "Sandbox"}},
		NotComparable:   []report.DiffItem{{ControlID: "S3.1", AccountID: "555566667777", Severity: "MEDIUM", Title: "S3 block public access"}},
	}
}

// TestRenderDiff reads the diff workbook back: the counts on the Summary, one row per change on
// Changes in list order, accounts with their names.
func TestRenderDiff(t *testing.T) {
	d := testDiff()
	var buf bytes.Buffer
	if err := RenderDiff(context.Background(), &buf, d); err != nil {
		t.Fatal(err)
	}
	f := open(t, buf.Bytes())
	if got, want := f.GetSheetList(), []string{sheetDiffSummary, sheetDiffChanges}; !slices.Equal(got, want) {
		t.Errorf("sheets %q, want %q", got, want)
	}
	sum := readSheet(t, f, sheetDiffSummary)
	sum.wantCount("Value", summaryRow(t, sum, "From snapshot"), 3)
	sum.wantCount("Value", summaryRow(t, sum, "To snapshot"), 10)
	sum.wantTime("Value", summaryRow(t, sum, "To (UTC)"), takenAt)
	sum.wantCount("Value", summaryRow(t, sum, "Fixed"), 2)
	sum.wantCount("Value", summaryRow(t, sum, "Accounts left"), 1)
	sum.wantCount("Value", summaryRow(t, sum, "Not comparable (not collected in one snapshot)"), 1)

	s := readSheet(t, f, sheetDiffChanges)
	if got, want := s.rowCount(), 9; got != want {
		t.Fatalf("Changes rows = %d, want %d (header and 8 changes)", got, want)
	}
	s.wantAutoFilter(buf.Bytes(), 8)
	wantKinds := []string{changeFixed, changeFixed, changeNewlyFailing, changeNewlySuppressed, changeNewlyDisabled,
		changeAccountJoined, changeAccountLeft, changeNotComparable}
	for i, k := range wantKinds {
		s.wantText("Change", i+1, k)
	}
	s.wantText("Control ID", 1, "IAM.6")
	s.wantText("Severity", 1, "CRITICAL")
	s.wantText("OU", 1, "Security")
	s.wantText("Account ID", 4, "444455556666")
	s.wantText("Title", 4, "Default SG")
	s.wantText("Account name", 6, "payments-dev")
	s.wantText("OU", 6, "Workloads/Non-Prod")
	s.wantText("Control ID", 6, "")
	s.wantText("Account ID", 8, "555566667777")

	var again bytes.Buffer
	if err := RenderDiff(context.Background(), &again, d); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two renders of one diff differ")
	}
}

// TestSinceLastWeekSheet: the report's week on its own sheet, its counts on the Summary, and a
// line saying why when there is no snapshot a week earlier.
func TestSinceLastWeekSheet(t *testing.T) {
	r := testReport(false)
	r.SinceLastWeek = testDiff()
	f := open(t, render(t, r))
	s := readSheet(t, f, sheetSinceLastWeek)
	if got := s.rowCount(); got != 9 {
		t.Errorf("Since Last Week rows = %d, want 9", got)
	}
	s.wantText("Change", 3, changeNewlyFailing)
	s.wantText("Control ID", 3, "EC2.19")
	sum := readSheet(t, f, sheetSummary)
	sum.wantCount("Value", summaryRow(t, sum, "Newly failing"), 1)
	sum.wantCount("Value", summaryRow(t, sum, "Accounts joined"), 1)
	if summaryRow(t, sum, "Since last week (2025-02-16 to 2025-02-23)") == 0 {
		t.Error("no Since last week section")
	}

	r.SinceLastWeek = nil
	f = open(t, render(t, r))
	rows, err := f.GetRows(sheetSinceLastWeek)
	if err != nil || len(rows) != 2 {
		t.Fatalf("Since Last Week without a snapshot a week before: %q (%v)", rows, err)
	}
}
