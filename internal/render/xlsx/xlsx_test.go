package xlsx

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hubreport/hubreport/internal/report"
)

func f64(x float64) *float64 { return &x }
func intp(n int) *int        { return &n }
func strp(s string) *string  { return &s }

var (
	cis  = report.StandardScore{ID: "standards/cis-aws-foundations-benchmark/v/5.0.0", Name: "CIS AWS Foundations Benchmark v5.0", ShortName: "CIS v5.0"}
	fsbp = report.StandardScore{ID: "standards/aws-foundational-security-best-practices/v/1.0.0", Name: "AWS Foundational Security Best Practices v1.0.0", ShortName: "AWS FSBP v1.0"}
	pci  = report.StandardScore{ID: "standards/pci-dss/v/3.2.1", Name: "PCI DSS v3.2.1", ShortName: "PCI DSS v3.2.1"}
	nist = report.StandardScore{ID: "standards/nist-800-53/v/5.0.0", Name: "NIST SP 800-53 Revision 5", ShortName: "NIST 800-53 r5"}
)

var (
	takenAt     = time.Date(2025, 2, 23, 6, 0, 0, 0, time.UTC)
	generatedAt = time.Date(2025, 2, 23, 6, 42, 10, 0, time.UTC)
)

// nonASCIIName is an account name Excel must show as written.
const nonASCIIName = "Zürich Logistik – Produktion 東京 ✓"

// controls are the top failed controls: change_7d goes up, down, stays and is unknown.
var controls = []struct {
	id, title, severity, resourceType string
	change                            *int
}{
	{"S3.1", "S3 general purpose buckets should have block public access settings enabled", "MEDIUM", "AwsS3Bucket", intp(2)},
	{"IAM.6", "Hardware MFA should be enabled for the root user", "CRITICAL", "AwsAccount", intp(-3)},
	{"EC2.2", "VPC default security groups should not allow inbound or outbound traffic", "HIGH", "AwsEc2SecurityGroup", intp(0)},
	{"S3.5", "S3 general purpose buckets should require requests to use SSL", "MEDIUM", "AwsS3Bucket", nil},
	{"CloudTrail.2", "CloudTrail should have encryption at-rest enabled", "MEDIUM", "AwsCloudTrailTrail", intp(1)},
	{"EC2.19", "Security groups should not allow unrestricted access to ports with high risk", "CRITICAL", "AwsEc2SecurityGroup", intp(-1)},
	{"KMS.4", "AWS KMS key rotation should be enabled", "MEDIUM", "AwsKmsKey", intp(0)},
	{"IAM.4", "IAM root user access key should not exist", "CRITICAL", "AwsAccount", intp(-2)},
	{"RDS.3", "RDS DB instances should have encryption at-rest enabled", "MEDIUM", "AwsRdsDbInstance", intp(0)},
	{"GuardDuty.1", "GuardDuty should be enabled", "HIGH", "AwsAccount", intp(3)},
	{"Config.1", "AWS Config should be enabled and use the service-linked role for resource recording", "MEDIUM", "AwsAccount", nil},
	{"EFS.1", "Elastic File System should be configured to encrypt file data at-rest using <AWS KMS> & 'keys'", "MEDIUM", "AwsEfsFileSystem", intp(0)},
}

var regions = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}

// score is a deterministic score in [40, 100) with a fractional part that 0-1 conversion must keep.
func score(i, j int) *float64 { return f64(40 + float64((i*37+j*11)%600)/10 + 0.0625) }

// testReport is a realistic report: 4 standards, 50 accounts (one with a non-ASCII name), 12 top
// failed controls, 90 daily snapshots, 500 failed findings and 20 suppressed ones. With
// nilScores, PCI DSS has no data anywhere, some accounts and points have no score, and the
// other nil-able numbers are nil.
func testReport(nilScores bool) *report.Report {
	stds := []report.StandardScore{cis, fsbp, pci, nist}
	r := &report.Report{
		GeneratedAt:          generatedAt,
		Organization:         "acme-corp",
		AdministratorAccount: "111122223333",
		ReportDate:           "2025-02-23",
		Snapshot: report.SnapshotInfo{
			ID: 42, TakenAt: takenAt, Source: "aws", Status: "partial",
			Findings: 48213, AccountsCollected: 49, AccountsExpected: 50,
		},
		SummaryScore:                    f64(74.626865671641791),
		SummaryScoreWithoutSuppressions: f64(73.9),
		SummaryControls:                 report.SummaryControls{Passed: 300, Failed: 100, Unknown: 2},
		SummaryScoreMeanOfStandards:     f64(79.825),
		Findings: report.FindingSummary{
			Active: 1247, Critical: 34, High: 189, Medium: 567, Low: 457, Informational: 0,
			Suppressed: 20, RemediatedThisMonth: 132, AutoRemediatedThisMonth: 89,
		},
		Coverage: report.Coverage{
			Complete: false, Collected: 198, Expected: 200,
			Gaps: []report.CoverageGap{
				{AccountID: "123456789012", Region: "us-west-2", Status: "denied", Reason: "AccessDenied assuming role arn:aws:iam::123456789012:role/HubReportRead"},
				{AccountID: "123456789012", Region: "eu-west-1", Status: "missing"},
			},
		},
	}
	for j, s := range stds {
		s.Score, s.ScoreWithoutSuppressions = score(100, j), f64(*score(100, j)-1.5)
		s.Passed, s.Failed, s.Unknown, s.NoData = 40+j*50, 12+j*3, j%2, 2+j
		r.Standards = append(r.Standards, s)
	}

	for i, c := range controls {
		r.TopFailedControls = append(r.TopFailedControls, report.FailedControl{
			ControlID: c.id, Title: c.title, Severity: c.severity,
			FailedAccounts: 23 - i, TotalAccounts: 49, FailedResources: (23 - i) * (i + 1),
			Change7d: c.change, Standards: []string{fsbp.ID, cis.ID, nist.ID}[:1+i%3],
		})
	}

	ous := []string{"Root/Security", "Root/Workloads/Prod", "Root/Workloads/Dev", "Root/Sandbox"}
	for i := range 50 {
		a := report.AccountScores{
			AccountID: fmt.Sprintf("%012d", 100000000000+i*7919),
			Name:      fmt.Sprintf("workload-%02d", i),
			OU:        ous[i%len(ous)],
			Owner:     fmt.Sprintf("team-%d@example.com", i%3),
			Score:     score(i, 9),
			Failed:    (i * 7) % 31,
			// The headline and the mean differ, so a column mix-up shows.
			SummaryScore:                score(i, 9),
			SummaryScoreMeanOfStandards: score(i, 8),
		}
		if i == 7 {
			a.Name = nonASCIIName
		}
		for j, s := range stds {
			a.Standards = append(a.Standards, report.AccountStandardScore{ID: s.ID, Score: score(i, j), Passed: 40, Failed: 10})
		}
		r.Accounts = append(r.Accounts, a)
	}

	r.Progress = report.Progress{
		WindowDays: 90, TargetScore: 90, From: "2024-11-26", To: "2025-02-23", Snapshots: 90,
		Fixed: 340, NewlyFailing: 132, MedianDaysToRemediate: f64(12.5), Remediated: 311, StillOpen: 2_870,
		NewlySuppressed: 14, NewlyDisabled: 6, AccountsLeft: 1, NotComparable: 27, TargetHorizonDays: 365,
	}
	first := time.Date(2024, 11, 26, 0, 0, 0, 0, time.UTC)
	for j, s := range stds {
		sp := report.StandardProgress{ID: s.ID, Name: s.Name, ShortName: s.ShortName, OnTrack: j != 2}
		if !sp.OnTrack {
			sp.OffTrackReason = "score falling"
		}
		for d := range 90 {
			sp.Series = append(sp.Series, report.ScorePoint{Date: first.AddDate(0, 0, d).Format(time.DateOnly), Score: score(d, j)})
		}
		sp.BaselineScore, sp.CurrentScore = sp.Series[0].Score, sp.Series[89].Score
		sp.Change = f64(*sp.CurrentScore - *sp.BaselineScore)
		if sp.OnTrack {
			sp.ProjectedDate = strp("2025-06-10")
		}
		r.Progress.Standards = append(r.Progress.Standards, sp)
	}
	for d := range 90 {
		r.Progress.Series = append(r.Progress.Series, report.ProgressPoint{
			Date:                 first.AddDate(0, 0, d).Format(time.DateOnly),
			FailedControlAccount: 812 - d*2, OpenCritical: int64(96 - d/2), OpenHigh: int64(420 - d),
			Partial: d%30 == 7, // a few partial snapshots
		})
	}

	for k := range 500 {
		a := r.Accounts[k%50]
		c := controls[k%len(controls)]
		days := (k * 13) % 400
		ff := report.FailedFinding{
			AccountID: a.AccountID, AccountName: a.Name, Region: regions[k%len(regions)],
			ControlID: c.id, Title: c.title, Severity: c.severity, ResourceType: c.resourceType,
			ResourceID:     fmt.Sprintf("arn:aws:s3:::acme-%s-logs-%06d", a.AccountID, k),
			FirstObserved:  takenAt.Add(-time.Duration(days)*24*time.Hour - time.Duration(k%60)*time.Minute - 17*time.Second),
			DaysOpen:       days,
			WorkflowStatus: []string{"NEW", "NOTIFIED"}[k%2],
		}
		if k%50 == 49 {
			ff.FirstObserved = time.Time{} // the finding does not say
		}
		r.FailedFindings = append(r.FailedFindings, ff)
	}
	for k := range 20 {
		a := r.Accounts[(k*3)%50]
		c := controls[k%len(controls)]
		s := report.SuppressedFinding{
			AccountID: a.AccountID, AccountName: a.Name, Region: regions[k%len(regions)],
			ControlID: c.id, Title: c.title, Severity: c.severity,
			ResourceID: fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/sg-%017x", regions[k%len(regions)], a.AccountID, k),
			Compliance: "FAILED", ProductName: "Security Hub",
			Note:   fmt.Sprintf("Accepted risk until 2025-06-30, ticket SEC-%d.\nReviewed by the CISO.", 1000+k),
			NoteBy: "arn:aws:sts::111122223333:assumed-role/SecOps/jane",
			NoteAt: takenAt.AddDate(0, 0, -k).Add(-90 * time.Minute),
		}
		if k == 19 {
			s.ControlID, s.Title, s.Compliance, s.ProductName = "", "EC2 instance is communicating with a known C&C server", "", "GuardDuty"
			s.NoteBy, s.NoteAt = "", time.Time{}
		}
		r.Suppressed = append(r.Suppressed, s)
	}

	if nilScores {
		for j := range r.Standards {
			if r.Standards[j].ID == pci.ID {
				r.Standards[j].Score, r.Standards[j].ScoreWithoutSuppressions = nil, nil
				r.Standards[j].Passed, r.Standards[j].Failed, r.Standards[j].Unknown = 0, 0, 0
			}
		}
		r.SummaryScoreWithoutSuppressions = nil
		r.Progress.MedianDaysToRemediate = nil
		for i := range r.Accounts {
			for j := range r.Accounts[i].Standards {
				if r.Accounts[i].Standards[j].ID == pci.ID {
					r.Accounts[i].Standards[j].Score = nil
				}
			}
		}
		r.Accounts[5].Score = nil
		for j := range r.Progress.Standards {
			sp := &r.Progress.Standards[j]
			for d := range sp.Series {
				if sp.ID == pci.ID || d%10 == 0 {
					sp.Series[d].Score = nil
				}
			}
			sp.BaselineScore, sp.Change, sp.ProjectedDate, sp.OnTrack = nil, nil, nil, false
		}
	}
	return r
}

// emptyReport is the first snapshot of an organization with nothing collected yet: no lists,
// no series. The workbook must still have every sheet.
func emptyReport() *report.Report {
	return &report.Report{
		GeneratedAt: generatedAt, Organization: "acme-corp", ReportDate: "2025-02-23",
		Snapshot:  report.SnapshotInfo{ID: 1, TakenAt: takenAt, Source: "file", Status: "complete"},
		Standards: []report.StandardScore{cis},
		Progress:  report.Progress{WindowDays: 90, TargetScore: 90},
	}
}

func render(t testing.TB, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(context.Background(), &buf, r); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return buf.Bytes()
}

func open(t testing.TB, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// sheetReader reads one sheet of a rendered workbook, by header name and data row (1 = the first
// row under the header).
type sheetReader struct {
	t     *testing.T
	f     *excelize.File
	sheet string
	cols  map[string]int
}

func readSheet(t *testing.T, f *excelize.File, sheet string) *sheetReader {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: GetRows: %d rows, %v", sheet, len(rows), err)
	}
	s := &sheetReader{t: t, f: f, sheet: sheet, cols: map[string]int{}}
	for i, h := range rows[0] {
		s.cols[h] = i + 1
	}
	return s
}

func (s *sheetReader) ref(col string, row int) string {
	s.t.Helper()
	c, ok := s.cols[col]
	if !ok {
		s.t.Fatalf("%s: no column %q (have %v)", s.sheet, col, s.cols)
	}
	ref, _ := excelize.CoordinatesToCellName(c, row+1)
	return ref
}

// raw returns a cell's stored value and type.
func (s *sheetReader) raw(col string, row int) (string, excelize.CellType) {
	s.t.Helper()
	ref := s.ref(col, row)
	v, err := s.f.GetCellValue(s.sheet, ref, excelize.Options{RawCellValue: true})
	if err != nil {
		s.t.Fatalf("%s!%s: %v", s.sheet, ref, err)
	}
	typ, err := s.f.GetCellType(s.sheet, ref)
	if err != nil {
		s.t.Fatalf("%s!%s: %v", s.sheet, ref, err)
	}
	return v, typ
}

// text returns a string cell.
func (s *sheetReader) text(col string, row int) string {
	s.t.Helper()
	v, _ := s.raw(col, row)
	return v
}

// number returns a numeric cell and its number format; ok is false for an empty cell. A cell
// holding text fails the test: scores and counts must be numbers.
func (s *sheetReader) number(col string, row int) (v float64, format string, ok bool) {
	s.t.Helper()
	raw, typ := s.raw(col, row)
	if raw == "" {
		return 0, "", false
	}
	if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		s.t.Fatalf("%s!%s = %q is of type %v, want a number", s.sheet, s.ref(col, row), raw, typ)
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		s.t.Fatalf("%s!%s = %q: %v", s.sheet, s.ref(col, row), raw, err)
	}
	return v, s.format(col, row), true
}

func (s *sheetReader) format(col string, row int) string {
	s.t.Helper()
	id, err := s.f.GetCellStyle(s.sheet, s.ref(col, row))
	if err != nil {
		s.t.Fatal(err)
	}
	st, err := s.f.GetStyle(id)
	if err != nil {
		s.t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	return strconv.Itoa(st.NumFmt)
}

// wantScore checks a score cell: empty for nil, else the report's percentage as a fraction
// within 1e-9, with a percent format.
func (s *sheetReader) wantScore(col string, row int, want *float64) {
	s.t.Helper()
	got, format, ok := s.number(col, row)
	switch {
	case want == nil && ok:
		s.t.Errorf("%s!%s = %v, want an empty cell for a nil score", s.sheet, s.ref(col, row), got)
	case want == nil:
	case !ok:
		s.t.Errorf("%s!%s is empty, want %v%%", s.sheet, s.ref(col, row), *want)
	case math.Abs(got-*want/100) > 1e-9 || !strings.Contains(format, "%"):
		s.t.Errorf("%s!%s = %v (format %q), want %v with a percent format", s.sheet, s.ref(col, row), got, format, *want/100)
	}
}

// wantCount checks an integer cell.
func (s *sheetReader) wantCount(col string, row int, want int64) {
	s.t.Helper()
	got, _, ok := s.number(col, row)
	if !ok || got != float64(want) {
		s.t.Errorf("%s!%s = %v (set %v), want %d", s.sheet, s.ref(col, row), got, ok, want)
	}
}

// wantTime checks a date cell: a number with a date format that converts back to want (to the
// second; the zero time wants an empty cell).
func (s *sheetReader) wantTime(col string, row int, want time.Time) {
	s.t.Helper()
	got, format, ok := s.number(col, row)
	if want.IsZero() {
		if ok {
			s.t.Errorf("%s!%s = %v, want an empty cell", s.sheet, s.ref(col, row), got)
		}
		return
	}
	if !ok {
		s.t.Errorf("%s!%s is empty, want %v", s.sheet, s.ref(col, row), want)
		return
	}
	if !strings.Contains(format, "yy") || !strings.Contains(format, "d") {
		s.t.Errorf("%s!%s has format %q, want a date format", s.sheet, s.ref(col, row), format)
	}
	tm, err := excelize.ExcelDateToTime(got, false)
	if err != nil || tm.Sub(want).Abs() > 500*time.Millisecond {
		s.t.Errorf("%s!%s = %v (%v, %v), want %v", s.sheet, s.ref(col, row), got, tm, err, want)
	}
}

func (s *sheetReader) wantText(col string, row int, want string) {
	s.t.Helper()
	got, typ := s.raw(col, row)
	if got != want {
		s.t.Errorf("%s!%s = %q, want %q", s.sheet, s.ref(col, row), got, want)
	}
	if want != "" && typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
		s.t.Errorf("%s!%s is of type %v, want a string", s.sheet, s.ref(col, row), typ)
	}
}

// rowCount is the number of rows of the sheet, header included.
func (s *sheetReader) rowCount() int {
	s.t.Helper()
	rows, err := s.f.GetRows(s.sheet)
	if err != nil {
		s.t.Fatal(err)
	}
	return len(rows)
}

// wantFrozenHeader checks that the header row (and cols first columns) is frozen.
func (s *sheetReader) wantFrozenHeader(cols int) {
	s.t.Helper()
	p, err := s.f.GetPanes(s.sheet)
	if err != nil {
		s.t.Fatal(err)
	}
	if !p.Freeze || p.YSplit != 1 || p.XSplit != cols {
		s.t.Errorf("%s: panes %+v, want frozen at row 1, %d columns", s.sheet, p, cols)
	}
}

// wantAutoFilter checks the sheet's auto-filter covers the header and rows data rows.
func (s *sheetReader) wantAutoFilter(zipped []byte, rows int) {
	s.t.Helper()
	// excelize writes the range with or without $ depending on its version; Excel reads both.
	col, _ := excelize.ColumnNumberToName(len(s.cols))
	x := sheetXML(s.t, zipped, s.sheet)
	want := fmt.Sprintf(`<autoFilter ref="A1:%s%d"`, col, rows+1)
	wantAbs := fmt.Sprintf(`<autoFilter ref="$A$1:$%s$%d"`, col, rows+1)
	if !strings.Contains(x, want) && !strings.Contains(x, wantAbs) {
		s.t.Errorf("%s: no %s in the sheet XML", s.sheet, want)
	}
}

// summaryValue finds the Summary row whose item is label and returns its value cell's row.
func summaryRow(t *testing.T, s *sheetReader, label string) int {
	t.Helper()
	rows, err := s.f.GetRows(sheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 0 && r[0] == label {
			return i
		}
	}
	t.Fatalf("Summary: no item %q", label)
	return 0
}

// zipFile returns one part of the workbook.
func zipFile(t testing.TB, data []byte, name string) (string, bool) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		return "", false
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

// sheetXML returns a worksheet's XML, found by name through workbook.xml and its relationships.
func sheetXML(t testing.TB, data []byte, sheet string) string {
	t.Helper()
	wb, _ := zipFile(t, data, "xl/workbook.xml")
	rels, _ := zipFile(t, data, "xl/_rels/workbook.xml.rels")
	var w struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rs struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.Unmarshal([]byte(wb), &w); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal([]byte(rels), &rs); err != nil {
		t.Fatal(err)
	}
	for _, s := range w.Sheets {
		if s.Name != sheet {
			continue
		}
		for _, r := range rs.Rel {
			if r.ID == s.RID {
				p := strings.TrimPrefix(r.Target, "/")
				if !strings.HasPrefix(p, "xl/") {
					p = path.Join("xl", p)
				}
				x, ok := zipFile(t, data, p)
				if !ok {
					t.Fatalf("%s: no part %s", sheet, p)
				}
				return x
			}
		}
	}
	t.Fatalf("no sheet %q in workbook.xml", sheet)
	return ""
}

func TestRender(t *testing.T) {
	tests := []struct {
		name      string
		report    *report.Report
		wantChart bool
	}{
		{"full", testReport(false), true},
		{"nil scores", testReport(true), true},
		{"empty", emptyReport(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.report
			data := render(t, r)
			f := open(t, data)

			t.Run("sheets", func(t *testing.T) {
				got := f.GetSheetList()
				want := []string{"Summary", "Scores by Standard", "Scores by Account", "OUs", "Top Failed Controls", "Remediation Plan", "Since Last Week",
					"Failed Findings", "Trend", "Suppressed", "Exceptions", "Methodology"}
				if !slices.Equal(got, want) {
					t.Errorf("sheets = %q, want %q", got, want)
				}
				if got := f.GetActiveSheetIndex(); got != 0 {
					t.Errorf("active sheet = %d, want 0 (Summary)", got)
				}
				for _, name := range want[:len(want)-1] {
					s := readSheet(t, f, name)
					style, err := f.GetStyle(mustStyle(t, f, name, "A1"))
					if err != nil || style.Font == nil || !style.Font.Bold || len(style.Fill.Color) == 0 {
						t.Errorf("%s!A1: header style %+v, want bold with a fill", name, style)
					}
					cols := map[string]int{sheetAccounts: 2, sheetOUs: 1, sheetTopControls: 2, sheetPlan: 2, sheetStandards: 1, sheetTrend: 1}[name]
					s.wantFrozenHeader(cols)
					// Excel rejects <col> elements out of order; the StreamWriter keeps call order.
					var mins []int
					for _, m := range colMin.FindAllStringSubmatch(sheetXML(t, data, name), -1) {
						n, _ := strconv.Atoi(m[1])
						mins = append(mins, n)
					}
					if !slices.IsSorted(mins) || len(mins) == 0 {
						t.Errorf("%s: <col> min values %v, want ascending", name, mins)
					}
				}
			})

			t.Run("summary", func(t *testing.T) {
				s := readSheet(t, f, sheetSummary)
				at := func(label string) int { return summaryRow(t, s, label) }
				s.wantText("Value", at("Organization"), r.Organization)
				s.wantTime("Value", at("Report date"), time.Date(2025, 2, 23, 0, 0, 0, 0, time.UTC))
				s.wantTime("Value", at("Generated at (UTC)"), r.GeneratedAt)
				s.wantCount("Value", at("Snapshot ID"), r.Snapshot.ID)
				s.wantTime("Value", at("Taken at (UTC)"), r.Snapshot.TakenAt)
				s.wantText("Value", at("Source"), r.Snapshot.Source)
				s.wantText("Value", at("Status"), r.Snapshot.Status)
				s.wantCount("Value", at("Account/region pairs collected"), int64(r.Coverage.Collected))
				s.wantCount("Value", at("Account/region pairs expected"), int64(r.Coverage.Expected))
				for _, g := range r.Coverage.Gaps {
					if got := s.text("Value", at("Not collected: "+g.AccountID+" "+g.Region)); !strings.HasPrefix(got, g.Status) {
						t.Errorf("gap %s/%s = %q, want it to start with %q", g.AccountID, g.Region, got, g.Status)
					}
				}
				s.wantScore("Value", at("Summary score"), r.SummaryScore)
				s.wantScore("Value", at("Summary score without suppressions"), r.SummaryScoreWithoutSuppressions)
				s.wantCount("Value", at("Unique controls passed"), int64(r.SummaryControls.Passed))
				s.wantCount("Value", at("Unique controls scored (passed, failed, unknown)"), int64(r.SummaryControls.Scored()))
				s.wantScore("Value", at("Mean of standard scores"), r.SummaryScoreMeanOfStandards)
				for _, std := range r.Standards {
					s.wantScore("Value", at(std.ShortName), std.Score)
				}
				fs := r.Findings
				for label, want := range map[string]int64{
					"Active findings": fs.Active, "Active: critical": fs.Critical, "Active: high": fs.High,
					"Active: medium": fs.Medium, "Active: low": fs.Low, "Active: informational": fs.Informational,
					"Suppressed": fs.Suppressed, "Remediated this month": fs.RemediatedThisMonth,
					"Auto-remediated this month": fs.AutoRemediatedThisMonth,
					"Failed findings listed":     int64(len(r.FailedFindings)),
				} {
					s.wantCount("Value", at(label), want)
				}
				row := at("Median days to remediate")
				if m := r.Progress.MedianDaysToRemediate; m == nil {
					// Below MinRemediationsForMedian there is no median, and the cell says why.
					s.wantText("Value", row, fmt.Sprintf("too few remediations (%d) for a median", r.Progress.Remediated))
				} else if got, _, ok := s.number("Value", row); !ok || got != *m {
					t.Errorf("median days = %v (set %v), want %v", got, ok, *m)
				}
				p := r.Progress
				for label, want := range map[string]int{
					"Control-account pairs fixed": p.Fixed, "Control-account pairs newly failing": p.NewlyFailing,
					"Not a fix: pairs newly suppressed": p.NewlySuppressed, "Not a fix: pairs newly disabled": p.NewlyDisabled,
					"Not a fix: accounts that left": p.AccountsLeft, "Not comparable: pairs not collected in both": p.NotComparable,
					"Remediations in window": p.Remediated, "Failures still open (not in the median)": p.StillOpen,
					"Target horizon (days)": p.TargetHorizonDays,
				} {
					s.wantCount("Value", at(label), int64(want))
				}
				for _, sp := range p.Standards {
					if !sp.OnTrack && sp.OffTrackReason != "" {
						s.wantText("Value", at("Off track: "+sp.ShortName), sp.OffTrackReason)
					}
				}
			})

			t.Run("scores by standard", func(t *testing.T) {
				s := readSheet(t, f, sheetStandards)
				if got, want := s.rowCount(), len(r.Standards)+1; got != want {
					t.Errorf("rows = %d, want %d", got, want)
				}
				for i, std := range r.Standards {
					row := i + 1
					s.wantText("Standard ID", row, std.ID)
					s.wantText("Name", row, std.Name)
					s.wantScore("Score", row, std.Score)
					s.wantScore("Score without suppressions", row, std.ScoreWithoutSuppressions)
					s.wantCount("Passed", row, int64(std.Passed))
					s.wantCount("Failed", row, int64(std.Failed))
					s.wantCount("Unknown", row, int64(std.Unknown))
					s.wantCount("No data", row, int64(std.NoData))
					for _, p := range r.Progress.Standards {
						if p.ID == std.ID {
							s.wantScore("Baseline score", row, p.BaselineScore)
							s.wantScore("Change over window (points)", row, p.Change)
							if p.ProjectedDate != nil {
								tm, _ := time.Parse(time.DateOnly, *p.ProjectedDate)
								s.wantTime("Target reached by", row, tm)
							} else {
								s.wantTime("Target reached by", row, time.Time{})
							}
						}
					}
				}
			})

			t.Run("scores by account", func(t *testing.T) {
				s := readSheet(t, f, sheetAccounts)
				if got, want := s.rowCount(), len(r.Accounts)+1; got != want {
					t.Errorf("rows = %d, want %d", got, want)
				}
				for i, a := range r.Accounts {
					row := i + 1
					s.wantText("Account ID", row, a.AccountID)
					s.wantText("Account name", row, a.Name)
					s.wantText("OU", row, a.OU)
					s.wantText("Owner", row, a.Owner)
					s.wantScore("Overall score", row, a.SummaryScore)
					s.wantScore("Mean of standard scores", row, a.SummaryScoreMeanOfStandards)
					s.wantCount("Failed controls", row, int64(a.Failed))
					for _, as := range a.Standards {
						for _, std := range r.Standards {
							if std.ID == as.ID {
								s.wantScore(std.ShortName, row, as.Score)
							}
						}
					}
				}
				if len(r.Accounts) > 0 {
					x := sheetXML(t, data, sheetAccounts)
					if n := strings.Count(x, `<cfRule type="colorScale"`); n != 2 || strings.Count(x, "<cfvo ") != 6 {
						t.Errorf("want 2 three-color scales (overall score, standard scores), got %d in %s", n, x[strings.Index(x, "<conditionalFormatting"):])
					}
					// The scales cover the overall score (E) and the standards (H on), not the
					// mean or the failed-controls count.
					end, _ := excelize.ColumnNumberToName(7 + len(r.Standards))
					for _, want := range []string{fmt.Sprintf(`sqref="E2:E%d"`, len(r.Accounts)+1), fmt.Sprintf(`sqref="H2:%s%d"`, end, len(r.Accounts)+1)} {
						if len(r.Standards) > 0 && !strings.Contains(x, want) {
							t.Errorf("no color scale with %s in %s", want, x[strings.Index(x, "<conditionalFormatting"):])
						}
					}
				}
			})

			t.Run("top failed controls", func(t *testing.T) {
				s := readSheet(t, f, sheetTopControls)
				if got, want := s.rowCount(), len(r.TopFailedControls)+1; got != want {
					t.Errorf("rows = %d, want %d", got, want)
				}
				for i, c := range r.TopFailedControls {
					row := i + 1
					s.wantCount("Rank", row, int64(row))
					s.wantText("Control ID", row, c.ControlID)
					s.wantText("Title", row, c.Title)
					s.wantText("Severity", row, c.Severity)
					s.wantCount("Failed accounts", row, int64(c.FailedAccounts))
					s.wantCount("Total accounts", row, int64(c.TotalAccounts))
					s.wantScore("% of accounts", row, f64(100*float64(c.FailedAccounts)/float64(c.TotalAccounts)))
					s.wantCount("Failed resources", row, int64(c.FailedResources))
					got, _, ok := s.number("Change vs 7 days ago (accounts)", row)
					if (c.Change7d == nil) == ok || ok && got != float64(*c.Change7d) {
						t.Errorf("row %d change = %v (set %v), want %v", row, got, ok, c.Change7d)
					}
					if got := s.text("Standards", row); got == "" || strings.Contains(got, "standards/") {
						t.Errorf("row %d standards = %q, want short names", row, got)
					}
				}
			})

			t.Run("failed findings", func(t *testing.T) {
				s := readSheet(t, f, sheetFindings)
				if got, want := s.rowCount(), len(r.FailedFindings)+1; got != want {
					t.Errorf("rows = %d, want len(FailedFindings)+1 = %d", got, want)
				}
				s.wantAutoFilter(data, len(r.FailedFindings))
				s.wantFrozenHeader(0)
				for i, ff := range r.FailedFindings {
					row := i + 1
					s.wantText("Account ID", row, ff.AccountID)
					s.wantText("Account name", row, ff.AccountName)
					s.wantText("Region", row, ff.Region)
					s.wantText("Control ID", row, ff.ControlID)
					s.wantText("Title", row, ff.Title)
					s.wantText("Severity", row, ff.Severity)
					s.wantText("Resource type", row, ff.ResourceType)
					s.wantText("Resource ID", row, ff.ResourceID)
					s.wantTime("First observed (UTC)", row, ff.FirstObserved)
					s.wantCount("Days open", row, int64(ff.DaysOpen))
					s.wantText("Workflow status", row, ff.WorkflowStatus)
				}
				for col := 1; col <= 11; col++ {
					name, _ := excelize.ColumnNumberToName(col)
					if w, err := f.GetColWidth(sheetFindings, name); err != nil || w < 8 || w == 9.140625 {
						t.Errorf("column %s width = %v, %v, want one set for it", name, w, err)
					}
				}
			})

			t.Run("trend", func(t *testing.T) {
				s := readSheet(t, f, sheetTrend)
				p := r.Progress
				if got, want := s.rowCount(), len(p.Series)+1; got != want {
					t.Errorf("rows = %d, want %d", got, want)
				}
				for j, pt := range p.Series {
					row := j + 1
					tm, _ := time.Parse(time.DateOnly, pt.Date)
					s.wantTime("Date", row, tm)
					s.wantCount("Failed control-account pairs", row, int64(pt.FailedControlAccount))
					s.wantCount("Open critical", row, pt.OpenCritical)
					s.wantCount("Open high", row, pt.OpenHigh)
					s.wantScore("Target score", row, &p.TargetScore)
					s.wantText("Partial snapshot", row, map[bool]string{true: "Yes", false: "No"}[pt.Partial])
					for _, sp := range p.Standards {
						s.wantScore(sp.ShortName, row, sp.Series[j].Score)
					}
				}
				chart, ok := zipFile(t, data, "xl/charts/chart1.xml")
				if ok != tt.wantChart {
					t.Fatalf("chart present = %v, want %v", ok, tt.wantChart)
				}
				if !ok {
					return
				}
				// excelize writes the chart namespace as the default one: <lineChart>, not <c:lineChart>.
				if !strings.Contains(chart, "<lineChart>") && !strings.Contains(chart, "<c:lineChart>") {
					t.Errorf("chart1.xml has no line chart")
				}
				if got, want := strings.Count(chart, "<ser>")+strings.Count(chart, "<c:ser>"), len(p.Standards)+1; got != want {
					t.Errorf("chart series = %d, want %d (standards and target)", got, want)
				}
				last := len(p.Series) + 1
				if want := fmt.Sprintf("&#39;Trend&#39;!$A$2:$A$%d", last); !strings.Contains(chart, want) {
					t.Errorf("chart categories are not %s", want)
				}
				if !strings.Contains(sheetXML(t, data, sheetTrend), "<drawing ") {
					t.Errorf("Trend sheet does not hold the chart's drawing")
				}
			})

			t.Run("suppressed", func(t *testing.T) {
				s := readSheet(t, f, sheetSuppressed)
				if got, want := s.rowCount(), len(r.Suppressed)+1; got != want {
					t.Errorf("rows = %d, want %d", got, want)
				}
				s.wantAutoFilter(data, len(r.Suppressed))
				for i, x := range r.Suppressed {
					row := i + 1
					s.wantText("Account ID", row, x.AccountID)
					s.wantText("Account name", row, x.AccountName)
					s.wantText("Region", row, x.Region)
					s.wantText("Control ID", row, x.ControlID)
					s.wantText("Title", row, x.Title)
					s.wantText("Severity", row, x.Severity)
					s.wantText("Resource ID", row, x.ResourceID)
					s.wantText("Compliance status", row, x.Compliance)
					s.wantText("Suppression note", row, x.Note)
					s.wantText("Set by", row, x.NoteBy)
					s.wantTime("Set at (UTC)", row, x.NoteAt)
					s.wantText("Product", row, x.ProductName)
				}
			})

			t.Run("methodology", func(t *testing.T) {
				s := readSheet(t, f, sheetMethod)
				if got := s.rowCount(); got < 8 {
					t.Fatalf("rows = %d, want the method in several paragraphs", got)
				}
				id := mustStyle(t, f, sheetMethod, "A3")
				st, err := f.GetStyle(id)
				if err != nil || st.Alignment == nil || !st.Alignment.WrapText {
					t.Errorf("A3 style %+v, want wrapped text", st)
				}
				if got := s.text("How the numbers are computed", 3); !strings.Contains(got, "SUPPRESSED") {
					t.Errorf("A4 = %q, want the paragraph on which findings count", got)
				}
			})
		})
	}
}

var colMin = regexp.MustCompile(`<col [^>]*\bmin="(\d+)"`)

func mustStyle(t *testing.T, f *excelize.File, sheet, ref string) int {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestRenderDeterministic: the same report gives the same bytes, with the core properties taken
// from the report, not the clock. excelize iterates its stream writers in map order; the
// ordered zip writer must hide that, so render several times.
func TestRenderDeterministic(t *testing.T) {
	tests := []struct {
		name   string
		report func() *report.Report
	}{
		{"full", func() *report.Report { return testReport(false) }},
		{"empty", emptyReport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := render(t, tt.report())
			for range 4 {
				if got := render(t, tt.report()); !bytes.Equal(got, want) {
					t.Fatalf("two renders differ (%d and %d bytes)", len(got), len(want))
				}
			}
			core, _ := zipFile(t, want, "docProps/core.xml")
			stamp := generatedAt.Format(time.RFC3339)
			for _, el := range []string{"created", "modified"} {
				if want := fmt.Sprintf(`<dcterms:%s xsi:type="dcterms:W3CDTF">%s</dcterms:%s>`, el, stamp, el); !strings.Contains(core, want) {
					t.Errorf("core.xml has no %s; got %s", want, core)
				}
			}
		})
	}
}

// TestRenderRowLimit: rows past Excel's limit are left out and the Summary says how many.
func TestRenderRowLimit(t *testing.T) {
	defer func(n int) { maxDataRows = n }(maxDataRows)
	maxDataRows = 100
	r := testReport(false)
	tests := []struct {
		sheet, label string
		total        int
	}{
		{sheetFindings, "Failed findings", len(r.FailedFindings)},
		{sheetSuppressed, "Suppressed findings", len(r.Suppressed)},
	}
	data := render(t, r)
	f := open(t, data)
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) {
			s := readSheet(t, f, tt.sheet)
			wantRows := min(tt.total, 100)
			if got := s.rowCount(); got != wantRows+1 {
				t.Errorf("rows = %d, want %d", got, wantRows+1)
			}
			sum := readSheet(t, f, sheetSummary)
			sum.wantCount("Value", summaryRow(t, sum, tt.label+" listed"), int64(wantRows))
			if tt.total > 100 {
				sum.wantCount("Value", summaryRow(t, sum, tt.label+" left out (Excel row limit; least severe)"), int64(tt.total-100))
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		report  *report.Report
		wantErr error
	}{
		{"nil report", context.Background(), nil, nil},
		{"cancelled", cancelled, testReport(false), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Render(tt.ctx, &buf, tt.report)
			if err == nil {
				t.Fatal("Render succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes on error, want none", buf.Len())
			}
		})
	}
}

// failingWriter fails every write, as a full disk would.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderWriteError(t *testing.T) {
	err := Render(context.Background(), failingWriter{}, testReport(false))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

// benchReport returns a report with n failed findings whose strings are as long as real ones
// (ARNs of about 90 characters, titles of about 70), distinct per row as in a real estate.
func benchReport(n int) *report.Report {
	r := testReport(false)
	r.FailedFindings = make([]report.FailedFinding, n)
	for k := range r.FailedFindings {
		a := r.Accounts[k%len(r.Accounts)]
		c := controls[k%len(controls)]
		region := regions[k%len(regions)]
		days := k % 700
		r.FailedFindings[k] = report.FailedFinding{
			AccountID: a.AccountID, AccountName: a.Name, Region: region,
			ControlID: c.id, Title: c.title, Severity: c.severity, ResourceType: c.resourceType,
			ResourceID:     fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/sg-%017x-%014d", region, a.AccountID, k*7919, k),
			FirstObserved:  takenAt.Add(-time.Duration(days)*24*time.Hour - time.Duration(k%86400)*time.Second),
			DaysOpen:       days,
			WorkflowStatus: "NEW",
		}
	}
	return r
}

// BenchmarkRender1M renders a million failed findings to a temporary file and reports the time,
// the file's size and the process's peak RSS (which includes the report itself: see
// rss-report-MB, measured before rendering).
//
//	go test -run '^$' -bench Render1M -benchtime 1x ./internal/render/xlsx/
func BenchmarkRender1M(b *testing.B) {
	r := benchReport(1_000_000)
	runtime.GC()
	reportRSS := maxRSSMB(b) // before ResetTimer, which clears reported metrics
	dir := b.TempDir()
	var size int64
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		name := filepath.Join(dir, fmt.Sprintf("report-%d.xlsx", i))
		out, err := os.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		if err := Render(context.Background(), out, r); err != nil {
			b.Fatal(err)
		}
		if err := out.Close(); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(name)
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
		_ = os.Remove(name)
	}
	b.StopTimer()
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/render")
	b.ReportMetric(float64(size)/1e6, "file-MB")
	b.ReportMetric(reportRSS, "rss-report-MB")
	b.ReportMetric(maxRSSMB(b), "peak-rss-MB")
}

// maxRSSMB is the process's peak resident set size so far, in MB (Linux reports KiB).
func maxRSSMB(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return float64(ru.Maxrss) * 1024 / 1e6
}
