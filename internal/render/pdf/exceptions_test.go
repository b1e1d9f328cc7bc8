package pdf_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/render/pdf"
	"github.com/hubreport/hubreport/internal/report"
)

// withExceptions adds governed exceptions and a remediation plan to a sample report: expired
// exceptions beyond what the PDF lists, one with a long justification and resource, invalid
// expiries, and a plan longer than a page with long titles.
func withExceptions(r *report.Report, expired, plan int) *report.Report {
	at := r.Snapshot.TakenAt
	statuses := []string{report.ExceptionActive, report.ExceptionExpiring, report.ExceptionNoExpiry, report.ExceptionInvalid}
	var counts = map[string]int64{}
	for k := range expired + 20 {
		a := r.Accounts[k%len(r.Accounts)]
		s := report.SuppressedFinding{AccountID: a.AccountID, AccountName: a.Name, Region: "eu-west-1",
			ControlID: controls[k%len(controls)].id, Severity: "HIGH", ResourceID: fmt.Sprintf("arn:aws:s3:::bucket-%03d", k),
			Note: "Risk accepted until 2025-01-31: legacy vendor integration, RISK-4711", NoteBy: "mei.chen@example.com",
			Since: at.AddDate(0, -4, 0)}
		if k < expired {
			s.ExceptionStatus = report.ExceptionExpired
			// The last one lapsed first, so it must come first.
			s.Expiry = time.Date(2025, 2, 20-k%15, 0, 0, 0, 0, time.UTC)
			if k == expired-1 {
				s.Expiry = time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
				s.ControlID, s.AccountName = "EC2.99", zurich
				s.NoteBy = "arn:aws:sts::151213342451:assumed-role/SecurityAdmin/mei.chen@example.com"
				s.ResourceID = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123456789abcdef0-with-a-very-long-suffix-that-wraps"
				s.Note = strings.Repeat("A compensating control is documented in the risk register and reviewed every quarter. ", 4)
			}
		} else {
			s.ExceptionStatus = statuses[k%len(statuses)]
			if s.ExceptionStatus == report.ExceptionInvalid {
				s.ExpiryValue = "next quarter"
			}
		}
		counts[s.ExceptionStatus]++
		r.Suppressed = append(r.Suppressed, s)
	}
	r.Exceptions = report.Exceptions{Total: int64(len(r.Suppressed)), WithoutJustification: 3,
		Expired: counts[report.ExceptionExpired], ExpiringWithin30Days: counts[report.ExceptionExpiring],
		NoExpiry: counts[report.ExceptionNoExpiry], InvalidExpiry: counts[report.ExceptionInvalid],
		ExpiryField: "exception_expires",
		InvalidExpiries: []report.InvalidExpiry{{AccountID: "444455556666", Region: "eu-west-1", ControlID: "S3.1",
			ResourceID: "arn:aws:s3:::payments-logs", Value: "next quarter"}},
		ByControl: []report.ExceptionControl{
			{ControlID: "S3.1", Title: "S3 general purpose buckets should have block public access settings enabled", Severity: "MEDIUM", Count: 12},
			{ControlID: "EC2.19", Title: controls[1].title, Severity: "CRITICAL", Count: 5},
			{ControlID: "KMS.4", Title: "AWS KMS key rotation should be enabled", Severity: "MEDIUM", Count: 3},
		}}
	sev := []string{"CRITICAL", "HIGH", "MEDIUM", "LOW"}
	for k := range plan {
		c := controls[k%len(controls)]
		id := c.id
		if k >= len(controls) {
			id = fmt.Sprintf("Plan.%d", k)
		}
		r.RemediationPlan = append(r.RemediationPlan, report.PlanItem{ControlID: id, Title: c.title,
			Severity: sev[k*len(sev)/plan], FailedAccounts: 50 - k, FailedResources: 1000 + k,
			RemediationURL: "https://docs.aws.amazon.com/securityhub/latest/userguide/x-controls.html#" + strings.ToLower(id)})
	}
	return r
}

func TestRenderExceptionsAndPlan(t *testing.T) {
	for _, size := range []string{"A4", "Letter"} {
		t.Run(size, func(t *testing.T) {
			const expired, plan = 17, 22
			r := withExceptions(sampleReport(variant{}), expired, plan)
			path, raw := renderFile(t, "exceptions-"+size, r, pdf.Options{PageSize: size})
			pp := pages(t, path)
			all := strings.Join(pp, "\n")
			flat := spaces.ReplaceAllString(all, " ")

			exc, pl, meth := pageOf(pp, "Exceptions\n"), pageOf(pp, "Remediation plan\n"), pageOf(pp, "Methodology\n")
			if exc == 0 || pl == 0 || !(pageOf(pp, "Weakest accounts") < exc && exc < pl && pl < meth) {
				t.Fatalf("pages: accounts %d, exceptions %d, plan %d, methodology %d; want them in that order",
					pageOf(pp, "Weakest accounts"), exc, pl, meth)
			}
			e := r.Exceptions
			want := fmt.Sprintf("%d suppressed findings", e.Total)
			if !strings.Contains(flat, want) {
				t.Errorf("exceptions section lacks %q", want)
			}
			// The counts, each under its label in its tile.
			for _, c := range []struct {
				label string
				n     int64
			}{{"Expired", e.Expired}, {"Expiring in 30 days", e.ExpiringWithin30Days}, {"No expiry", e.NoExpiry},
				{"Invalid expiry", e.InvalidExpiry}, {"Without justification", e.WithoutJustification}} {
				if got := around(pp[exc-1], c.label, 2); !strings.Contains(got, fmt.Sprintf(" %d ", c.n)) {
					t.Errorf("tile %s = %q, want %d", c.label, got, c.n)
				}
			}
			if !strings.Contains(flat, `Invalid exception_expires: "next quarter" on 444455556666`) {
				t.Errorf("invalid expiry value not named")
			}
			if got := lineWith(all, "S3.1 ", "S3 general purpose buckets"); !strings.Contains(got, " 12") {
				t.Errorf("most suppressed control row = %q, want S3.1 with 12", got)
			}
			// Expired: the longest lapsed first, capped, with the rest counted.
			if got := lineWith(all, "EC2.99"); !strings.Contains(got, "2024-12-31") {
				t.Errorf("longest-expired row = %q, want its expiry 2024-12-31", got)
			}
			if p := pageOf(pp, "EC2.99"); p != exc {
				t.Errorf("the first expired exception is on page %d, the section starts on %d", p, exc)
			}
			if !strings.Contains(flat, "arn:aws:ec2:eu-west-1:") || !strings.Contains(flat, "mei.chen@example.com") {
				t.Errorf("expired row lacks its resource or who suppressed it")
			}
			// Who suppressed it, a role ARN without spaces, breaks after a separator rather than mid-word.
			if !regexp.MustCompile(`\sarn:aws:sts::\s+\S`).MatchString(pp[exc-1]) {
				t.Errorf("the role ARN of who suppressed the first expired exception does not break after a separator:\n%s", pp[exc-1])
			}
			if want := fmt.Sprintf("… and %d more expired exceptions — the workbook lists every one.", expired-12); !strings.Contains(flat, want) {
				t.Errorf("missing %q", want)
			}

			// The plan: counts, links, the rest counted.
			if !strings.Contains(flat, fmt.Sprintf("%d failing controls, most severe first", plan)) {
				t.Errorf("plan lacks its count")
			}
			first := r.RemediationPlan[0]
			if got := lineWith(pp[pl-1], first.ControlID+" ", "Critical"); !strings.Contains(got, "50") || !strings.Contains(got, "1,000") {
				t.Errorf("plan row of %s = %q, want 50 accounts and 1,000 resources", first.ControlID, got)
			}
			if want := "/URI (" + first.RemediationURL + ")"; !bytes.Contains(raw, []byte(want)) {
				t.Errorf("no link %s", want)
			}
			if bytes.Contains(raw, []byte("/URI ("+r.RemediationPlan[15].RemediationURL+")")) {
				t.Errorf("the 16th plan item is linked: the plan lists 15")
			}
			// A long title wraps rather than being cut or overflowing.
			if !strings.Contains(flat, "patch compliance status of COMPLIANT after a patch installation") {
				t.Errorf("the long title of SSM.2 is not printed whole")
			}
			if want := fmt.Sprintf("… and %d more failing controls — the workbook's Remediation plan sheet", plan-15); !strings.Contains(flat, want) {
				t.Errorf("missing %q", want)
			}
			checkWithinPage(t, path)
		})
	}
}

// checkWithinPage asserts no text is drawn outside the page's margins: a column that overflows
// its cell pushes words past the right edge.
func checkWithinPage(t *testing.T, path string) {
	t.Helper()
	bbox := runTool(t, "pdftotext", "-bbox", path, "-")
	page := 0
	var width float64
	for l := range strings.SplitSeq(bbox, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "<page ") {
			page++
			_, _ = fmt.Sscanf(l[strings.Index(l, "width=")+len(`width="`):], "%g", &width)
			continue
		}
		if !strings.HasPrefix(l, "<word ") {
			continue
		}
		var xMax float64
		i := strings.Index(l, "xMax=")
		if _, err := fmt.Sscanf(l[i+len(`xMax="`):], "%g", &xMax); err != nil {
			t.Fatalf("bbox line %q: %v", l, err)
		}
		// 16 mm of margin is 45 pt; a word may not reach into the last 30 pt.
		if xMax > width-30 {
			t.Errorf("page %d: word past the right margin (xMax %.1f of %.1f): %s", page, xMax, width, l)
		}
	}
	if page == 0 {
		t.Fatalf("pdftotext -bbox found no page")
	}
}

// TestRenderNoExceptionsNoPlan: a report without suppressed findings or failing controls says so
// in the sections' own words, and gives them no page of their own.
func TestRenderNoExceptionsNoPlan(t *testing.T) {
	r := sampleReport(variant{})
	withoutPath, _ := renderFile(t, "no-exceptions", r, pdf.Options{})
	pp := pages(t, withoutPath)
	flat := spaces.ReplaceAllString(strings.Join(pp, "\n"), " ")
	for _, want := range []string{"Exceptions", "No suppressed findings: there is no accepted risk to review.",
		"Remediation plan", "No control fails: there is nothing to remediate."} {
		if !strings.Contains(flat, want) {
			t.Errorf("report without exceptions or plan lacks %q", want)
		}
	}
	if strings.Contains(flat, "Expired exceptions") || strings.Contains(flat, "How to fix") {
		t.Errorf("empty sections draw their tables")
	}
	// Without a page of its own: the empty exceptions section follows the accounts.
	if a, e := pageOf(pp, "Weakest accounts"), pageOf(pp, "No suppressed findings"); a != e {
		t.Errorf("empty exceptions section on page %d, accounts on %d", e, a)
	}

	// Exceptions all current: the section says none expired.
	r = withExceptions(sampleReport(variant{}), 0, 0)
	path, _ := renderFile(t, "none-expired", r, pdf.Options{})
	flat = spaces.ReplaceAllString(strings.Join(pages(t, path), "\n"), " ")
	if !strings.Contains(flat, "None: no exception has passed its expiry.") {
		t.Errorf("report without expired exceptions does not say so")
	}

	// Counts without the findings (a report read back from report.json): the count, no table.
	r = withExceptions(sampleReport(variant{}), 5, 0)
	r.Suppressed = nil
	path, _ = renderFile(t, "counts-only", r, pdf.Options{})
	flat = spaces.ReplaceAllString(strings.Join(pages(t, path), "\n"), " ")
	if !strings.Contains(flat, "5 expired exceptions — the workbook lists every one.") {
		t.Errorf("report with expired counts but no suppressed findings does not give the count")
	}
}
