package xlsx

import (
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

// governedReport is testReport with each suppressed finding's governance filled in (one of each
// status) and a remediation plan of three controls.
func governedReport() *report.Report {
	r := testReport(false)
	statuses := []string{report.ExceptionExpired, report.ExceptionExpiring, report.ExceptionActive, report.ExceptionNoExpiry, report.ExceptionInvalid}
	for i := range r.Suppressed {
		s := &r.Suppressed[i]
		s.Since = s.NoteAt
		if s.Since.IsZero() {
			s.Since = takenAt.AddDate(0, -2, 0)
		}
		s.ExceptionStatus = statuses[i%len(statuses)]
		switch s.ExceptionStatus {
		case report.ExceptionInvalid:
			s.ExpiryValue = "end of Q3"
		case report.ExceptionNoExpiry:
		default:
			s.Expiry = takenAt.AddDate(0, 0, 10*(i%len(statuses))-5).Truncate(24 * time.Hour)
			s.ExpiryValue = s.Expiry.Format(time.DateOnly)
		}
	}
	a, b := r.Accounts[0], r.Accounts[1]
	r.RemediationPlan = []report.PlanItem{
		{ControlID: "IAM.6", Title: "Hardware MFA should be enabled for the root user", Severity: "CRITICAL", FailedAccounts: 2, FailedResources: 2,
			Accounts:       []report.PlanAccount{{AccountID: a.AccountID, Name: a.Name, OU: "Security"}, {AccountID: b.AccountID, Name: b.Name, OU: "Workloads/Prod"}},
			RemediationURL: "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-6"},
		{ControlID: "S3.1", Title: "S3 block public access", Severity: "MEDIUM", FailedAccounts: 1, FailedResources: 4,
			Accounts:       []report.PlanAccount{{AccountID: b.AccountID, Name: b.Name}},
			RemediationURL: "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-1"},
	}
	r.Exceptions = report.Exceptions{Total: int64(len(r.Suppressed)), Expired: 4, ExpiringWithin30Days: 4, NoExpiry: 4, InvalidExpiry: 4,
		WithoutJustification: 0, ExpiryField: "exception_expires", MaxAgeDays: 365}
	return r
}

// TestExceptionsSheet reads the Exceptions sheet back: a row per suppressed finding, in the
// report's order, with the account's OU, who, why, since, the expiry (the value as written when it
// is not a date) and the status.
func TestExceptionsSheet(t *testing.T) {
	r := governedReport()
	data := render(t, r)
	f := open(t, data)
	s := readSheet(t, f, sheetExceptions)
	if got, want := s.rowCount(), len(r.Suppressed)+1; got != want {
		t.Fatalf("rows = %d, want %d", got, want)
	}
	s.wantAutoFilter(data, len(r.Suppressed))
	s.wantFrozenHeader(0)
	ous := map[string]string{}
	for _, a := range r.Accounts {
		ous[a.AccountID] = a.OU
	}
	for i, x := range r.Suppressed {
		row := i + 1
		s.wantText("Account ID", row, x.AccountID)
		s.wantText("Account name", row, x.AccountName)
		s.wantText("OU", row, ous[x.AccountID])
		s.wantText("Control ID", row, x.ControlID)
		s.wantText("Resource ID", row, x.ResourceID)
		s.wantText("Suppressed by", row, x.NoteBy)
		s.wantText("Justification", row, x.Note)
		s.wantTime("Since (UTC)", row, x.Since)
		if x.ExceptionStatus == report.ExceptionInvalid {
			s.wantText("Expiry (UTC)", row, "end of Q3")
		} else {
			s.wantTime("Expiry (UTC)", row, x.Expiry)
		}
		s.wantText("Status", row, x.ExceptionStatus)
	}
	if ous[r.Suppressed[0].AccountID] == "" {
		t.Errorf("fixture: the first exception's account has no OU, so the OU column is not tested")
	}

	sum := readSheet(t, f, sheetSummary)
	want := map[string]int64{"Exceptions": r.Exceptions.Total, "Expired": 4, "Expiring within 30 days": 4, "Invalid expiry value": 4}
	rows, err := f.GetRows(sheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows[1:] {
		if n, ok := want[row[0]]; ok {
			sum.wantCount("Value", i+1, n)
			delete(want, row[0])
		}
	}
	if len(want) != 0 {
		t.Errorf("Summary lacks %v", want)
	}
}

// TestRemediationPlanSheet reads the plan back: one row per control in plan order, the accounts
// and their OUs, and the remediation page as a link.
func TestRemediationPlanSheet(t *testing.T) {
	r := governedReport()
	data := render(t, r)
	f := open(t, data)
	s := readSheet(t, f, sheetPlan)
	if got, want := s.rowCount(), len(r.RemediationPlan)+1; got != want {
		t.Fatalf("rows = %d, want %d", got, want)
	}
	s.wantAutoFilter(data, len(r.RemediationPlan))
	s.wantFrozenHeader(2)
	a, b := r.Accounts[0].AccountID, r.Accounts[1].AccountID
	s.wantCount("Rank", 1, 1)
	s.wantText("Control ID", 1, "IAM.6")
	s.wantText("Severity", 1, "CRITICAL")
	s.wantCount("Failed accounts", 1, 2)
	s.wantText("Accounts", 1, a+", "+b)
	s.wantText("OUs", 1, "Security, Workloads/Prod")
	s.wantText("Control ID", 2, "S3.1")
	s.wantCount("Failed resources", 2, 4)
	s.wantText("OUs", 2, "")
	s.wantText("Remediation", 2, r.RemediationPlan[1].RemediationURL)
	ok, link, err := f.GetCellHyperLink(sheetPlan, s.ref("Remediation", 1))
	if err != nil || !ok || link != r.RemediationPlan[0].RemediationURL {
		t.Errorf("Remediation link = %v %q (%v), want %q", ok, link, err, r.RemediationPlan[0].RemediationURL)
	}
}

func TestCellText(t *testing.T) {
	long := strings.Repeat("123456789012, ", 3000)
	got := cellText(long)
	if len(got) > maxCellChars || !strings.HasSuffix(got, "(cut: see report.json)") || strings.Contains(got, ", ...") {
		t.Errorf("cellText: %d chars, ends %q", len(got), got[len(got)-40:])
	}
	if cellText("a, b") != "a, b" {
		t.Errorf("a short text was changed")
	}
}
