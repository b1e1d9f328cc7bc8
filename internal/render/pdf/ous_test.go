package pdf_test

import (
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/render/pdf"
	"github.com/hubreport/hubreport/internal/report"
)

// TestOUPage reads the OU scorecard back from the PDF's text: one row per OU with its score and
// change as the text report rounds them and its top failure; a report without OUs has no page.
func TestOUPage(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	trend := func(from, to *float64) []report.OUTrendPoint {
		return []report.OUTrendPoint{{Date: "2025-02-16", SummaryScore: from}, {Date: "2025-02-23", SummaryScore: to}}
	}
	r := sampleReport(variant{})
	r.OrganizationalUnits = []report.OrganizationalUnit{
		{Name: "Security", Path: "Security", Accounts: 4, SummaryScore: f(84.6), Trend: trend(f(81.2), f(84.6)),
			TopFailedControls: []report.OUFailedControl{{ControlID: "IAM.6", Title: "Hardware MFA should be enabled for the root user", FailedAccounts: 2}}},
		{Name: "Workloads", Path: "Workloads", Accounts: 30, SummaryScore: f(61.4), Trend: trend(f(64.5), f(61.4)),
			TopFailedControls: []report.OUFailedControl{{ControlID: "S3.1", Title: "S3 general purpose buckets should have block public access settings enabled", FailedAccounts: 18}}},
		{Name: "Non-Prod", Path: "Workloads/Non-Prod", Accounts: 18, SummaryScore: nil, Trend: trend(nil, nil)},
	}
	path, _ := renderFile(t, "ous", r, pdf.Options{})
	pp := pages(t, path)
	var page string
	for _, p := range pp {
		if strings.Contains(p, "Organizational units") {
			page = p
		}
	}
	if page == "" {
		t.Fatalf("no Organizational units page among %d pages", len(pp))
	}
	for _, want := range [][]string{
		{"Security", "85%", "+4 pts", "IAM.6 (2 of 4 accounts)"},
		{"Workloads", "61%", "-4 pts", "S3.1 (18 of 30 accounts)"},
		{"Non-Prod", "n/a", "—", "no failing control"},
	} {
		if got := lineWith(page, want...); got == "" {
			t.Errorf("no line with %q on the OU page:\n%s", want, page)
		}
	}

	r.OrganizationalUnits = nil
	path, _ = renderFile(t, "no-ous", r, pdf.Options{})
	if all := strings.Join(pages(t, path), "\f"); strings.Contains(all, "Organizational units") {
		t.Error("a report without OUs has an OU page")
	}
}
