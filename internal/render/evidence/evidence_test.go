package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hubreport/hubreport/internal/report"
)

func sampleReport() *report.Report {
	score, mean := 50.0, 62.5
	at := time.Date(2025, 2, 23, 6, 0, 0, 0, time.UTC)
	return &report.Report{
		Organization: "acme", ReportDate: "2025-02-23", GeneratedAt: at,
		Snapshot:     report.SnapshotInfo{ID: 7, TakenAt: at, Source: "aws", Status: "partial"},
		SummaryScore: &score,
		// Two unique controls; the mean of standard scores set apart from the summary to tell them apart.
		SummaryControls:             report.SummaryControls{Passed: 1, Failed: 1},
		SummaryScoreMeanOfStandards: &mean,
		Standards:                   []report.StandardScore{{ID: "standards/pci-dss/v/3.2.1", Name: "PCI DSS v3.2.1", Score: &score, Passed: 1, Failed: 1}},
		Coverage:                    report.Coverage{Collected: 1, Expected: 2, Gaps: []report.CoverageGap{{AccountID: "222233334444", Region: "eu-west-1", Status: "denied", Reason: "AccessDenied"}}},
		Controls: []report.ControlStatus{
			{StandardID: "standards/pci-dss/v/3.2.1", ControlID: "S3.1", Title: "S3 block public access", Severity: "MEDIUM", Status: "FAILED", AccountsFailed: 1, LastEvaluated: at},
			{StandardID: "standards/pci-dss/v/3.2.1", ControlID: "IAM.1", Title: "IAM policies", Severity: "HIGH", Status: "PASSED", AccountsPassed: 1, LastEvaluated: at},
		},
		Suppressed: []report.SuppressedFinding{{AccountID: "111122223333", ControlID: "S3.1", Note: "=HYPERLINK(\"http://evil\")", NoteBy: "@mallory", NoteAt: at}},
	}
}

func files(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(data)
	}
	return out
}

func TestPackageContentAndVerify(t *testing.T) {
	var buf bytes.Buffer
	findings := func(_ context.Context, w io.Writer) error { _, err := io.WriteString(w, `{"Findings":[]}`); return err }
	if err := Write(context.Background(), &buf, sampleReport(), Options{ToolVersion: "v1", Findings: findings,
		Attachments: []Attachment{{Name: "reports/report.pdf", Data: []byte("%PDF-1.7")}}}); err != nil {
		t.Fatal(err)
	}
	got := files(t, buf.Bytes())
	ctl := got["controls/pci-dss-v3.2.1.csv"]
	if want := "control_id,title,severity,organization_status,accounts_passed,accounts_failed,accounts_unknown,last_evaluated\n" +
		"S3.1,S3 block public access,MEDIUM,FAILED,0,1,0,2025-02-23T06:00:00Z\n" +
		"IAM.1,IAM policies,HIGH,PASSED,1,0,0,2025-02-23T06:00:00Z\n"; ctl != want {
		t.Errorf("control CSV:\n%s\nwant\n%s", ctl, want)
	}
	// A justification that looks like a formula stays text in a spreadsheet.
	if s := got["findings/suppressed.csv"]; !strings.Contains(s, `"'=HYPERLINK(""http://evil"")",'@mallory`) {
		t.Errorf("formula-like cells not neutralized:\n%s", s)
	}
	if !strings.Contains(got["methodology.md"], "1 of 2 account/region pairs") || !strings.Contains(got["manifest.json"], `"222233334444"`) {
		t.Error("the coverage gap is not in methodology.md and manifest.json")
	}
	if md := got["methodology.md"]; !strings.Contains(md, "Summary score: 50% (1 of 2 unique controls") ||
		!strings.Contains(md, "Mean of standard scores:\n63%") || !strings.Contains(md, "the average of the standard security scores") {
		t.Errorf("methodology.md lacks the summary score, its unique controls, the labelled mean or AWS's contradiction:\n%s", md)
	}
	if !strings.Contains(got["manifest.json"], `"summary_score_mean_of_standards": 62.5`) {
		t.Errorf("manifest.json lacks summary_score_mean_of_standards:\n%s", got["manifest.json"])
	}
	m, sum, err := Verify(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != len(got)-1 || len(sum) != 64 {
		t.Errorf("manifest lists %d files of %d; sum %q", len(m.Files), len(got)-1, sum)
	}
	if s, err := ManifestSHA256(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil || s != sum {
		t.Errorf("ManifestSHA256 %s, Verify %s (%v)", s, sum, err)
	}
}

func TestVerifyNamesTheFile(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, sampleReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	// Rebuild the zip with account-scores.csv changed and the manifest kept.
	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "account-scores.csv" {
			data = append(data, "999999999999,x\n"...)
		}
		w, _ := zw.Create(f.Name)
		w.Write(data)
	}
	zw.Close()
	_, _, err := Verify(bytes.NewReader(out.Bytes()), int64(out.Len()))
	var te *TamperError
	if !errors.As(err, &te) || te.Path != "account-scores.csv" {
		t.Errorf("Verify = %v, want a TamperError naming account-scores.csv", err)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"standards/pci-dss/v/3.2.1":                         "pci-dss-v3.2.1",
		"ruleset/cis-aws-foundations-benchmark/v/1.2.0":     "cis-aws-foundations-benchmark-v1.2.0",
		"standards/service-managed-aws-control-tower/v/1.0": "service-managed-aws-control-tower-v1.0",
		// The catalog's slugs (catalog.Standard.Slug) follow the same rule; issue 18's file names.
		"standards/pci-dss/v/4.0.1":                       "pci-dss-v4.0.1",
		"standards/nist-800-171/v/2.0.0":                  "nist-800-171-v2.0.0",
		"standards/aws-resource-tagging-standard/v/1.0.0": "aws-resource-tagging-standard-v1.0.0",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAuditManagerTextFitsAndNamesFailures(t *testing.T) {
	r := sampleReport()
	for i := range 200 {
		r.Controls = append(r.Controls, report.ControlStatus{StandardID: "standards/pci-dss/v/3.2.1",
			ControlID: fmt.Sprintf("EC2.%d", i), Status: "FAILED", AccountsFailed: 3, AccountsPassed: 47})
	}
	ev, err := ForAuditManager(r, []Mapping{
		{ControlSetID: "Everything", ControlID: "a", Standards: []string{"standards/pci-dss/v/3.2.1"}},
		{ControlSetID: "Identity", ControlID: "b", SecurityControls: []string{"IAM.1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	big, small := ev[0].TextResponse, ev[1].TextResponse
	if n := utf8.RuneCountInString(big); n > MaxTextResponse || !strings.Contains(big, "more (see the attached file)") ||
		!strings.Contains(big, "EC2.0 failed in 3 of 50 accounts") || !strings.Contains(big, "Snapshot 7") {
		t.Errorf("%d characters: %s", n, big)
	}
	if !strings.HasPrefix(small, "Status PASSED") || strings.Contains(string(ev[1].File), "EC2") {
		t.Errorf("IAM.1 mapping: %q", small)
	}
	if _, err := ForAuditManager(r, []Mapping{{ControlSetID: "X", ControlID: "c", SecurityControls: []string{"Nope.1"}}}); err == nil {
		t.Error("a mapping matching no control was accepted")
	}
}

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"S3.1", "S3.1"},
		{"", ""},
		{"=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(1+1)", "'@SUM(1+1)"},
		{"   =1+1", "'   =1+1"},       // the first non-space character counts
		{"\u00a0=1+1", "'\u00a0=1+1"}, // so does a no-break space
		{"\t=1+1", "' =1+1"},          // a leading tab is neutralised and becomes a space
		{"\rfoo", "' foo"},
		{"\tfoo", "' foo"},
		{"-3", "-3"}, // plain numbers stay numbers
		{"-0.50", "-0.50"},
		{"-3 days", "'-3 days"},
		{"a=b", "a=b"},
		{"line one\nline two", "line one line two"}, // a newline never breaks the row
		{"nul\x00bell\x07esc\x1b[31mdel\x7f", "nulbellesc[31mdel"},
		{"c1\u0085\u009b", "c1"},
		{"evil\u202egnp.exe", "evilgnp.exe"}, // right-to-left override
		{"\u2066x\u2067y\u2068z\u2069", "xyz"},
		{"\u200e\u200f\u061cok", "ok"},
		{"\u202a=1\u202c", "'=1"}, // an override cannot hide a formula's =
		{"héllo wörld ✓", "héllo wörld ✓"},
	} {
		if got := Cell(tc.in); got != tc.want {
			t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A hostile note reaches the package's CSV as one row that a spreadsheet shows as text.
func TestCSVCellsNeutralised(t *testing.T) {
	r := sampleReport()
	r.Suppressed[0].Note = "ok\n=cmd|' /C calc'!A0\u202e"
	r.Suppressed[0].Title = "\t-1+1"
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, r, Options{}); err != nil {
		t.Fatal(err)
	}
	got := files(t, buf.Bytes())["findings/suppressed.csv"]
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("suppressed.csv has %d lines, want a header and one row:\n%s", len(lines), got)
	}
	for _, want := range []string{",ok =cmd|' /C calc'!A0,", ",' -1+1,"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row %q lacks %q", lines[1], want)
		}
	}
}

// zipWithManifest writes a zip whose manifest.json is fill's output, deflated as it is written.
func zipWithManifest(t *testing.T, fill func(w io.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	fill(w)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVerifyRefusesOversizeManifest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fill  func(w io.Writer)
		what  string
		limit uint64
	}{
		{"bytes", func(w io.Writer) {
			w.Write([]byte(`{"format_version":1,"files":[`))
			io.CopyN(w, zeros{}, MaxManifestBytes) // one byte too many with the prefix
		}, ManifestName, MaxManifestBytes},
		{"files", func(w io.Writer) {
			w.Write([]byte(`{"format_version":1,"files":[`))
			for i := range MaxFiles + 1 {
				if i > 0 {
					w.Write([]byte{','})
				}
				w.Write([]byte(`{"path":"f","size":1,"sha256":""}`))
			}
			w.Write([]byte(`]}`))
		}, "manifest files", MaxFiles},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := zipWithManifest(t, tc.fill)
			_, _, err := Verify(bytes.NewReader(b), int64(len(b)))
			var le *LimitError
			if !errors.As(err, &le) || le.What != tc.what || le.Limit != tc.limit {
				t.Fatalf("Verify = %v, want a LimitError on %s at %d", err, tc.what, tc.limit)
			}
			if !strings.Contains(err.Error(), tc.what) || !strings.Contains(err.Error(), fmt.Sprint(tc.limit)) {
				t.Errorf("error does not name the limit: %v", err)
			}
		})
	}
	// At the limits a manifest is read: here it lists a file the zip lacks.
	b := zipWithManifest(t, func(w io.Writer) {
		w.Write([]byte(`{"format_version":1,"files":[{"path":"gone.csv","size":1,"sha256":""}]}`))
	})
	var te *TamperError
	if _, _, err := Verify(bytes.NewReader(b), int64(len(b))); !errors.As(err, &te) || te.Path != "gone.csv" {
		t.Errorf("Verify = %v, want gone.csv missing", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// The package carries each exception's status and the remediation plan, one row per control and
// account, in plan order.
func TestExceptionsAndPlanCSV(t *testing.T) {
	r := sampleReport()
	expiry := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r.Suppressed[0].Since, r.Suppressed[0].Expiry = r.Suppressed[0].NoteAt, expiry
	r.Suppressed[0].ExceptionStatus, r.Suppressed[0].ExpiryValue = report.ExceptionExpiring, "2025-03-01"
	r.RemediationPlan = []report.PlanItem{
		{ControlID: "IAM.6", Title: "Root MFA", Severity: "CRITICAL", FailedAccounts: 1, FailedResources: 1,
			Accounts:       []report.PlanAccount{{AccountID: "111122223333", Name: "prod", OU: "Workloads/Prod"}},
			RemediationURL: "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-6"},
		{ControlID: "S3.1", Title: "S3 block public access", Severity: "MEDIUM", FailedAccounts: 2, FailedResources: 3,
			Accounts:       []report.PlanAccount{{AccountID: "111122223333", Name: "prod"}, {AccountID: "222233334444", Name: "dev"}},
			RemediationURL: "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-1"},
	}
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, r, Options{}); err != nil {
		t.Fatal(err)
	}
	got := files(t, buf.Bytes())
	supp := strings.Split(strings.TrimSuffix(got["findings/suppressed.csv"], "\n"), "\n")
	if !strings.HasSuffix(supp[0], ",noted_at,since,expiry,exception_status,expiry_value") ||
		!strings.HasSuffix(supp[1], ",2025-02-23T06:00:00Z,2025-03-01T00:00:00Z,expiring,2025-03-01") {
		t.Errorf("suppressed.csv:\n%s", got["findings/suppressed.csv"])
	}
	want := "rank,control_id,title,severity,failed_accounts,failed_resources,account_id,account_name,ou,remediation_url\n" +
		"1,IAM.6,Root MFA,CRITICAL,1,1,111122223333,prod,Workloads/Prod,https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-6\n" +
		"2,S3.1,S3 block public access,MEDIUM,2,3,111122223333,prod,,https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-1\n" +
		"2,S3.1,S3 block public access,MEDIUM,2,3,222233334444,dev,,https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-1\n"
	if got["remediation-plan.csv"] != want {
		t.Errorf("remediation-plan.csv:\n%s\nwant:\n%s", got["remediation-plan.csv"], want)
	}
}
