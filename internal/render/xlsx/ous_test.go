package xlsx

import (
	"testing"

	"github.com/hubreport/hubreport/internal/report"
)

// TestOUsSheet reads the OUs sheet back: a row per OU in the report's order, with its accounts,
// summary score (a percentage), change, top failed control and weakest account, and per-standard
// scores; an OU without failures or accounts with data leaves those cells empty.
func TestOUsSheet(t *testing.T) {
	r := testReport(false)
	f := func(x float64) *float64 { return &x }
	std := r.Standards[0]
	r.OrganizationalUnits = []report.OrganizationalUnit{
		{Name: "Workloads", Path: "Workloads", Accounts: 3, SummaryScore: f(61.5), Change: f(4.25),
			SummaryControls:   report.SummaryControls{Passed: 80, Failed: 50},
			Standards:         []report.OUStandardScore{{ID: std.ID, Score: f(55)}},
			TopFailedControls: []report.OUFailedControl{{ControlID: "S3.1", Title: "S3 block public access", Severity: "MEDIUM", FailedAccounts: 2}},
			WeakestAccounts:   []report.OUAccount{{AccountID: "444455556666", Name: "payments-prod", SummaryScore: f(40)}}},
		{Name: "Prod", Path: "Workloads/Prod", Accounts: 1},
	}
	data := render(t, r)
	s := readSheet(t, open(t, data), sheetOUs)
	if got := s.rowCount(); got != 3 {
		t.Fatalf("rows = %d, want a header and 2 OUs", got)
	}
	s.wantText("OU", 1, "Workloads")
	s.wantCount("Accounts", 1, 3)
	s.wantScore("Summary score", 1, f(61.5))
	if v, _, ok := s.number("Change (pts)", 1); !ok || v != 4.25 {
		t.Errorf("change = %v (%v), want 4.25", v, ok)
	}
	s.wantCount("Failed controls", 1, 50)
	s.wantText("Top failed control", 1, "S3.1")
	s.wantCount("Failed accounts", 1, 2)
	s.wantText("Weakest account", 1, "payments-prod (444455556666)")
	s.wantScore("Weakest score", 1, f(40))
	s.wantScore(standardLabel(std.ShortName, std.Name, std.ID), 1, f(55))
	s.wantText("OU", 2, "Workloads/Prod")
	s.wantScore("Summary score", 2, nil)
	s.wantText("Top failed control", 2, "")
}
