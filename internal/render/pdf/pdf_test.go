// The tests read the PDF back with poppler's pdftotext, pdffonts and pdfinfo (poppler-utils).
// They fail, not skip, when the tools are missing: .ci/run installs them. Set PDF_SAMPLE_DIR to
// keep the rendered files for a look.
package pdf_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/render"
	"github.com/hubreport/hubreport/internal/render/pdf"
	"github.com/hubreport/hubreport/internal/report"
)

func f(x float64) *float64 { return &x }
func i(n int) *int         { return &n }
func s(v string) *string   { return &v }

// zurich is an account name outside ASCII and outside cp1252 (the en dash is, the € too, but
// only by luck of cp1252): core fonts would garble it.
const zurich = "Zürich-données – prod €"

var standards = []report.StandardScore{
	{ID: "standards/cis-aws-foundations-benchmark/v/5.0.0", Name: "CIS AWS Foundations Benchmark v5.0", ShortName: "CIS v5.0"},
	{ID: "standards/aws-foundational-security-best-practices/v/1.0.0", Name: "AWS Foundational Security Best Practices v1.0.0", ShortName: "AWS FSBP v1.0"},
	{ID: "standards/pci-dss/v/3.2.1", Name: "PCI DSS v3.2.1", ShortName: "PCI DSS v3.2.1"},
	{ID: "standards/nist-800-53/v/5.0.0", Name: "NIST SP 800-53 Revision 5", ShortName: "NIST 800-53 r5"},
}

var controls = []struct {
	id, title, severity string
	failed, resources   int
	change              *int
}{
	{"IAM.27", "IAM identities should not have the AWSCloudShellFullAccess policy attached", "MEDIUM", 40, 158, i(2)},
	{"EC2.19", "Security groups should not allow unrestricted access to ports with high risk", "CRITICAL", 38, 211, i(0)},
	{"EC2.2", "VPC default security groups should not allow inbound or outbound traffic", "HIGH", 36, 144, i(1)},
	{"IAM.1", `IAM policies should not allow full "*" administrative privileges`, "HIGH", 36, 97, i(-1)},
	{"Inspector.2", "Amazon Inspector ECR scanning should be enabled", "HIGH", 33, 66, i(3)},
	{"CloudTrail.1", "CloudTrail should be enabled and configured with at least one multi-Region trail that includes read and write management events", "HIGH", 32, 32, nil},
	{"Macie.2", "Macie automated sensitive data discovery should be enabled", "HIGH", 32, 64, i(0)},
	{"SSM.2", "Amazon EC2 instances managed by Systems Manager should have a patch compliance status of COMPLIANT after a patch installation", "HIGH", 31, 402, i(-4)},
	{"CloudWatch.1", `A log metric filter and alarm should exist for usage of the "root" user`, "LOW", 31, 31, i(0)},
	{"S3.17", "S3 general purpose buckets should be encrypted at rest with AWS KMS keys", "MEDIUM", 29, 1210, i(-2)},
	{"SecretsManager.2", "Secrets Manager secrets configured with automatic rotation should rotate successfully", "MEDIUM", 17, 40, i(1)},
	{"Lambda.1", "Lambda function policies should prohibit public access", "CRITICAL", 23, 51, i(4)},
}

var accountNames = []string{
	"ml-staging", "backup", "security-tooling", "marketing-dev", "devtools-staging", "identity-dev",
	"marketing-staging", "sandbox-aisha", "sandbox-fatima", "partners-prod", "web-dev", "audit",
	"devtools-dev", "payments-dev", "marketing-prod", "data-prod", "sandbox-mei", "platform-prod",
	"log-archive", "partners-dev", "data-dev", "web-staging", "checkout-dev", "sandbox-yusuf",
	"analytics-prod", "platform-staging", "ml-prod", "data-staging", "logistics-staging", "management",
	"ml-dev", "analytics-dev", "web-prod", "checkout-staging", "analytics-staging", "network",
	"identity-staging", "checkout-prod", "partners-staging", "devtools-prod", "payments-staging",
	"shared-services", "logistics-dev", zurich, "identity-prod", "logistics-prod", "sandbox-grace",
	"platform-dev", "sandbox-chloe", "payments-prod",
}

type variant struct {
	gaps     bool // a partial snapshot with coverage gaps
	nils     bool // scores without data: a standard, accounts, points of the series
	firstRun bool // one snapshot, no history
	extra    int  // failed controls beyond the 12, past the 15 the PDF lists
}

// report builds a realistic report of a 50-account organization, like the demo's: 4 standards
// with 90 daily snapshots, 12 top failed controls, findings in the thousands.
func sampleReport(v variant) *report.Report {
	rng := rand.New(rand.NewPCG(7, 11))
	end := time.Date(2025, 2, 23, 6, 0, 0, 0, time.UTC)
	days := 90
	if v.firstRun {
		days = 1
	}
	start := end.AddDate(0, 0, -(days - 1))
	ratio := 0.285
	// Current and baseline scores: halves and a float just under a half (0.285*100 is
	// 28.499999999999996), which the text report rounds up.
	current := []*float64{f(78.5), f(ratio * 100), f(64.5), f(12.4)}
	baseline := []*float64{f(61.2), f(30.1), f(64.9), f(5.5)}
	if v.nils {
		current[3], baseline[3] = nil, nil
	}

	r := &report.Report{
		GeneratedAt:          end.Add(5 * time.Minute),
		Organization:         "acme-corp (Zürich)",
		AdministratorAccount: "151213342451",
		ReportDate:           end.Format(time.DateOnly),
		Snapshot: report.SnapshotInfo{ID: 90, TakenAt: end, Source: "demo", Status: "complete",
			Findings: 40985, AccountsCollected: 50, AccountsExpected: 50},
		Findings: report.FindingSummary{Active: 8674, Critical: 763, High: 2227, Medium: 4173, Low: 1496,
			Informational: 15, Suppressed: 201, RemediatedThisMonth: 2096, AutoRemediatedThisMonth: 634},
		Progress: report.Progress{WindowDays: 90, TargetScore: 90, From: start.Format(time.DateOnly),
			To: end.Format(time.DateOnly), Snapshots: days, Fixed: 1410, NewlyFailing: 189,
			NewlySuppressed: 37, NewlyDisabled: 12, AccountsLeft: 2, NotComparable: 0,
			MedianDaysToRemediate: f(219.8), Remediated: 1388, StillOpen: 3_952, TargetHorizonDays: 365},
		Coverage: report.Coverage{Complete: true, Collected: 200, Expected: 200},
	}
	var sum float64
	var scored int
	for k, std := range standards {
		std.Score, std.ScoreWithoutSuppressions = current[k], nil
		if current[k] != nil {
			std.ScoreWithoutSuppressions = f(*current[k] - 2.5)
			sum += *current[k]
			scored++
		}
		std.Passed, std.Failed, std.Unknown = 20+k, 30-k, 2
		r.Standards = append(r.Standards, std)

		sp := report.StandardProgress{ID: std.ID, Name: std.Name, ShortName: std.ShortName,
			BaselineScore: baseline[k], CurrentScore: current[k]}
		if v.firstRun {
			sp.BaselineScore = current[k]
		}
		for d := range days {
			var sc *float64
			if current[k] != nil {
				t := float64(d) / float64(max(days-1, 1))
				x := *sp.BaselineScore + (*current[k]-*sp.BaselineScore)*t
				if d > 0 && d < days-1 {
					x += rng.Float64()*4 - 2
				}
				sc = f(x)
				if v.nils && k == 0 && d >= 40 && d < 44 { // snapshots where the standard had no data
					sc = nil
				}
			}
			sp.Series = append(sp.Series, report.ScorePoint{Date: start.AddDate(0, 0, d).Format(time.DateOnly), Score: sc})
		}
		if sp.BaselineScore != nil && sp.CurrentScore != nil {
			sp.Change = f(*sp.CurrentScore - *sp.BaselineScore)
			if *sp.Change > 0 {
				sp.ProjectedDate, sp.OnTrack = s("2025-09-14"), true
			}
		}
		r.Progress.Standards = append(r.Progress.Standards, sp)
	}
	if scored > 0 {
		// The unique-control summary differs from the mean of the standards, as it does in life.
		r.SummaryControls = report.SummaryControls{Passed: 300, Failed: 100, Unknown: 2}
		r.SummaryScore = f(100 * 300 / 402.0)
		r.SummaryScoreWithoutSuppressions = f(100*300/402.0 - 2.5)
		r.SummaryScoreMeanOfStandards = f(sum / float64(scored))
	}
	for d := range days {
		r.Progress.Series = append(r.Progress.Series, report.ProgressPoint{Date: start.AddDate(0, 0, d).Format(time.DateOnly),
			FailedControlAccount: 4014 - d*13, OpenCritical: int64(1137 - d*4), OpenHigh: int64(4126 - d*21)})
	}
	for _, c := range controls {
		r.TopFailedControls = append(r.TopFailedControls, report.FailedControl{ControlID: c.id, Title: c.title,
			Severity: c.severity, FailedAccounts: c.failed, TotalAccounts: 50, FailedResources: c.resources,
			Change7d: c.change, Standards: []string{standards[1].ID}})
	}
	for k := range v.extra {
		r.TopFailedControls = append(r.TopFailedControls, report.FailedControl{ControlID: fmt.Sprintf("EC2.%d", 100+k),
			Title: "EC2 launch templates should not assign public IPs to network interfaces", Severity: "LOW",
			FailedAccounts: 15 - k/2, TotalAccounts: 50, FailedResources: 20, Change7d: i(0)})
	}
	for k, name := range accountNames {
		a := report.AccountScores{AccountID: fmt.Sprintf("%012d", 100000000000+k*7919), Name: name,
			OU: "Workloads", Failed: 10 + k}
		var sum float64
		for j, std := range standards {
			sc := f(35 + rng.Float64()*60)
			if name == zurich {
				sc = f(8 + float64(j))
			}
			if v.nils && (j == 3 || k%10 == 4) { // every 10th account without any score
				sc = nil
			}
			a.Standards = append(a.Standards, report.AccountStandardScore{ID: std.ID, Score: sc, Passed: 20, Failed: 10})
			if sc != nil {
				sum += *sc
			}
		}
		if n := countScored(a.Standards); n > 0 {
			a.SummaryScoreMeanOfStandards = f(sum / float64(n))
			a.SummaryScore = f(sum/float64(n) - 3)
			a.Score = a.SummaryScore
		}
		r.Accounts = append(r.Accounts, a)
	}
	if v.gaps {
		// This snapshot and one a month earlier are partial: their points are marked.
		for _, d := range []int{days - 31, days - 1} {
			if d < 0 {
				continue
			}
			r.Progress.Series[d].Partial = true
			for k := range r.Progress.Standards {
				r.Progress.Standards[k].Series[d].Partial = true
			}
		}
		r.Progress.NotComparable = 85
		r.Snapshot.Status, r.Snapshot.AccountsCollected = "partial", 48
		r.Coverage = report.Coverage{Complete: false, Collected: 196, Expected: 200, Gaps: []report.CoverageGap{
			{AccountID: r.Accounts[43].AccountID, Region: "eu-central-2", Status: "denied",
				Reason: "AccessDenied: User: arn:aws:sts::151213342451:assumed-role/hubreport-collector/session is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::100000000000:role/hubreport-member"},
			{AccountID: r.Accounts[43].AccountID, Region: "eu-west-1", Status: "denied", Reason: "AccessDenied"},
			{AccountID: r.Accounts[7].AccountID, Region: "ap-southeast-2", Status: "throttled", Reason: "TooManyRequestsException after 8 retries"},
			{AccountID: "999999999999", Region: "us-east-1", Status: "missing", Reason: ""},
		}}
	}
	return r
}

func countScored(ss []report.AccountStandardScore) int {
	n := 0
	for _, s := range ss {
		if s.Score != nil {
			n++
		}
	}
	return n
}

// tool returns the path of a poppler tool; a missing tool fails the test (CI installs them).
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (install poppler-utils): %v", name, err)
	}
	return p
}

func runTool(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// renderFile renders r to a file in a temporary directory (and to PDF_SAMPLE_DIR when set).
func renderFile(t testing.TB, name string, r *report.Report, opt pdf.Options) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := pdf.Render(context.Background(), &buf, r, opt); err != nil {
		t.Fatalf("Render: %v", err)
	}
	path := filepath.Join(t.TempDir(), name+".pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("PDF_SAMPLE_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".pdf"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path, buf.Bytes()
}

// textScores returns the scores as the text report prints them, by standard name, the summary
// score, and the change over the window by standard name ("(+18 pts)", absent when the text
// prints none): the PDF must show the same figures.
func textScores(t *testing.T, r *report.Report) (scores map[string]string, summary string, changes map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	if err := render.Text(context.Background(), &buf, r); err != nil {
		t.Fatalf("render.Text: %v", err)
	}
	scores, changes = map[string]string{}, map[string]string{}
	change := regexp.MustCompile(`-> \S+ (\([-+]?\d+ pts\))`)
	for l := range strings.SplitSeq(buf.String(), "\n") {
		if v, ok := strings.CutPrefix(l, "Summary Score: "); ok {
			summary = v
		}
		for _, std := range r.Standards {
			v, ok := strings.CutPrefix(l, std.Name+": ")
			switch {
			case !ok:
			case !strings.Contains(v, "->"):
				scores[std.Name] = v
			case change.MatchString(v):
				changes[std.Name] = change.FindStringSubmatch(v)[1]
			}
		}
	}
	if len(scores) != len(r.Standards) || summary == "" {
		t.Fatalf("text report: found scores %v and summary %q in\n%s", scores, summary, buf.String())
	}
	return scores, summary, changes
}

// pages returns the text of each page (pdftotext separates pages with a form feed).
func pages(t *testing.T, path string) []string {
	t.Helper()
	txt := runTool(t, "pdftotext", "-layout", "-enc", "UTF-8", path, "-")
	return strings.Split(strings.TrimSuffix(txt, "\f"), "\f")
}

var spaces = regexp.MustCompile(`\s+`)

// lineWith returns the first line of text containing every one of words, "" if none.
func lineWith(text string, words ...string) string {
	for l := range strings.SplitSeq(text, "\n") {
		found := true
		for _, w := range words {
			if !strings.Contains(l, w) {
				found = false
				break
			}
		}
		if found {
			return spaces.ReplaceAllString(strings.TrimSpace(l), " ")
		}
	}
	return ""
}

// around returns the first line containing word and the n lines after it, on one line.
func around(text, word string, n int) string {
	lines := strings.Split(text, "\n")
	for k, l := range lines {
		if strings.Contains(l, word) {
			block := strings.Join(lines[k:min(k+n+1, len(lines))], " ")
			return spaces.ReplaceAllString(strings.TrimSpace(block), " ") + " "
		}
	}
	return ""
}

func TestRender(t *testing.T) {
	tests := []struct {
		name     string
		v        variant
		pageSize string
		wantSize string // pdfinfo's "Page size"
	}{
		{"full", variant{}, "", "595.28 x 841.89 pts (A4)"},
		{"partial-letter", variant{gaps: true, extra: 13}, "Letter", "612 x 792 pts (letter)"},
		{"nil-scores", variant{nils: true}, "a4", "595.28 x 841.89 pts (A4)"},
		{"first-snapshot", variant{firstRun: true}, "A4", "595.28 x 841.89 pts (A4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleReport(tt.v)
			path, _ := renderFile(t, tt.name, r, pdf.Options{PageSize: tt.pageSize})
			pp := pages(t, path)
			all := strings.Join(pp, "\n")

			info := runTool(t, "pdfinfo", path)
			if got := field(info, "Page size"); got != tt.wantSize {
				t.Errorf("page size = %q, want %q", got, tt.wantSize)
			}
			n, err := strconv.Atoi(field(info, "Pages"))
			if err != nil || n != len(pp) {
				t.Fatalf("pdfinfo pages %q, pdftotext pages %d", field(info, "Pages"), len(pp))
			}

			// Scores as the text report rounds them: the summary on the cover, each standard on
			// its row of the executive summary and in its chart's title.
			scores, summary, changes := textScores(t, r)
			if !strings.Contains(pp[0], summary) {
				t.Errorf("cover lacks summary score %q:\n%s", summary, pp[0])
			}
			// The summary counts each control once; the mean of the standards stands beside it,
			// labelled, on the cover and in the executive summary.
			mean := "n/a"
			if m := r.SummaryScoreMeanOfStandards; m != nil {
				mean = fmt.Sprintf("%d%%", report.RoundPercent(*m))
			}
			if want := fmt.Sprintf("%d of %d controls pass", r.SummaryControls.Passed, r.SummaryControls.Scored()); len(r.Standards) > 1 && !strings.Contains(pp[0], want) {
				t.Errorf("cover lacks %q:\n%s", want, pp[0])
			}
			if want := "Mean of standard scores: " + mean; !strings.Contains(pp[1], want) {
				t.Errorf("executive summary lacks %q:\n%s", want, pp[1])
			}
			for _, std := range r.Standards {
				want := scores[std.Name]
				// The row's name is on one line and its big score level with the full name below.
				if got := around(pp[1], std.ShortName, 1); !strings.Contains(got, " "+want+" ") {
					t.Errorf("executive summary row of %s = %q, want score %s", std.ShortName, got, want)
				}
				if tt.v.firstRun {
					continue
				}
				got := lineWith(all, std.ShortName, "→")
				if !strings.Contains(got+" ", "→ "+want+" ") {
					t.Errorf("trend chart title of %s = %q, want current score %s", std.ShortName, got, want)
				}
				if want, ok := changes[std.Name]; ok && !strings.Contains(got, want) {
					t.Errorf("trend chart title of %s = %q, want the text report's change %s", std.ShortName, got, want)
				}
				if n, ok := changes[std.Name]; ok {
					n = strings.Trim(n, "()")
					if row := around(pp[1], std.ShortName, 2); !strings.Contains(row, n) {
						t.Errorf("executive summary row of %s = %q, want change %s", std.ShortName, row, n)
					}
				}
			}

			listed := r.TopFailedControls[:min(15, len(r.TopFailedControls))]
			for _, c := range listed {
				if got := lineWith(all, c.ControlID+" "); got == "" {
					t.Errorf("top failed control %s missing", c.ControlID)
				} else if want := fmt.Sprintf("%d/%d", c.FailedAccounts, c.TotalAccounts); !strings.Contains(got, want) {
					t.Errorf("control row %q lacks %s", got, want)
				}
			}
			if p1, p2 := pageOf(pp, listed[0].ControlID+" "), pageOf(pp, listed[len(listed)-1].ControlID+" "); p1 != p2 {
				t.Errorf("the top failed controls table spans pages %d to %d; it fits on one", p1, p2)
			}
			if more := len(r.TopFailedControls) - len(listed); more > 0 {
				if want := fmt.Sprintf("… and %d more failing controls.", more); !strings.Contains(all, want) {
					t.Errorf("missing %q", want)
				}
				if c := r.TopFailedControls[15].ControlID; lineWith(all, c+" ") != "" {
					t.Errorf("control %s, 16th, is listed", c)
				}
			}
			if got := lineWith(all, "CloudTrail.1 "); !strings.Contains(got, "—") {
				t.Errorf("control without a 7-day-old snapshot: row %q, want —", got)
			}

			if !strings.Contains(all, zurich) {
				t.Errorf("account name %q does not survive", zurich)
			}
			if got := around(all, zurich, 1); !strings.Contains(got, " 8% ") {
				t.Errorf("weakest account row %q, want its scores", got)
			}

			if strings.Contains(pp[0], "Page ") {
				t.Errorf("cover has a page footer")
			}
			for p := 2; p <= n; p++ {
				if want := fmt.Sprintf("Page %d of %d", p, n); !strings.Contains(pp[p-1], want) {
					t.Errorf("page %d lacks footer %q", p, want)
				}
				if !strings.Contains(pp[p-1], r.Organization) || !strings.Contains(pp[p-1], "Snapshot 90") {
					t.Errorf("page %d lacks the organization or the snapshot in its header and footer", p)
				}
			}
			// The methodology closes the report; on Letter paper it takes two pages.
			if !strings.Contains(pp[n-1], "Why numbers can differ from the console") ||
				!(strings.Contains(pp[n-1], "Methodology") || (n > 2 && strings.Contains(pp[n-2], "Methodology"))) {
				t.Errorf("the last pages are not the methodology:\n%s", pp[n-1])
			}

			gotGaps := strings.Contains(all, "Coverage gaps")
			if gotGaps != tt.v.gaps {
				t.Errorf("coverage gaps section shown = %v, want %v", gotGaps, tt.v.gaps)
			}
			if tt.v.gaps {
				if !strings.Contains(pp[0], "PARTIAL") || !strings.Contains(pp[0], "196/200") {
					t.Errorf("cover does not say the snapshot is partial:\n%s", pp[0])
				}
				for _, g := range r.Coverage.Gaps {
					if got := lineWith(all, g.Region, g.Status); got == "" {
						t.Errorf("gap %s %s %s missing", g.AccountID, g.Region, g.Status)
					}
				}
			} else if !strings.Contains(pp[0], "COMPLETE") {
				t.Errorf("cover does not say the snapshot is complete:\n%s", pp[0])
			}
			// The partial snapshots' legend, only where some are; the changes that are not fixes.
			if got := strings.Contains(strings.Join(strings.Fields(all), " "), "Open squares: partial snapshots"); got != tt.v.gaps {
				t.Errorf("partial-snapshot legend shown = %v, want %v", got, tt.v.gaps)
			}
			if !tt.v.firstRun {
				flat := strings.Join(strings.Fields(all), " ")
				want := fmt.Sprintf("%d newly suppressed, %d newly disabled, %d accounts left, %d not comparable",
					r.Progress.NewlySuppressed, r.Progress.NewlyDisabled, r.Progress.AccountsLeft, r.Progress.NotComparable)
				if !strings.Contains(flat, want) {
					t.Errorf("trend page lacks %q", want)
				}
			}
			if tt.v.nils && !strings.Contains(pp[1], "n/a") {
				t.Errorf("executive summary lacks n/a for the standard without a score")
			}

			checkFonts(t, path)
		})
	}
}

// pageOf returns the number of the first page containing s, 0 if none.
func pageOf(pp []string, s string) int {
	for k, p := range pp {
		if strings.Contains(p, s) {
			return k + 1
		}
	}
	return 0
}

// field returns the value of a "Key: value" line of pdfinfo.
func field(info, key string) string {
	for l := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// checkFonts asserts every font is embedded and none is one of the 14 core fonts, which are not
// embedded and garble text outside cp1252.
func checkFonts(t *testing.T, path string) {
	t.Helper()
	out := runTool(t, "pdffonts", path)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("pdffonts lists no font:\n%s", out)
	}
	// Columns are located from the header, since a name could hold spaces.
	head := lines[0]
	emb := strings.Index(head, "emb")
	if emb < 0 {
		t.Fatalf("pdffonts header %q", head)
	}
	core := regexp.MustCompile(`(?i)helvetica|times|courier|symbol|zapfdingbats|arial`)
	for _, l := range lines[2:] {
		name := strings.Fields(l)[0]
		if core.MatchString(name) {
			t.Errorf("core font used: %s", l)
		}
		if got := strings.TrimSpace(l[emb : emb+3]); got != "yes" {
			t.Errorf("font not embedded (emb %q): %s", got, l)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	r := sampleReport(variant{gaps: true, nils: true})
	_, first := renderFile(t, "det1", r, pdf.Options{})
	_, second := renderFile(t, "det2", r, pdf.Options{})
	if !bytes.Equal(first, second) {
		t.Fatalf("two renders of one report differ (%d and %d bytes)", len(first), len(second))
	}
	// The order of the accounts in the report does not show: the weakest are sorted.
	shuffled := sampleReport(variant{gaps: true, nils: true})
	slices.Reverse(shuffled.Accounts)
	_, third := renderFile(t, "det3", shuffled, pdf.Options{})
	if !bytes.Equal(first, third) {
		t.Errorf("the order of the accounts changes the PDF")
	}
	if !bytes.Contains(first, []byte("/CreationDate (D:20250223060500)")) {
		t.Errorf("creation date is not the report's GeneratedAt")
	}
}

func TestRenderErrors(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		r     *report.Report
		opt   pdf.Options
		check func(error) bool
	}{
		{"nil report", context.Background(), nil, pdf.Options{}, func(err error) bool { return err != nil }},
		{"unknown page size", context.Background(), sampleReport(variant{}), pdf.Options{PageSize: "A3"}, func(err error) bool {
			var pe *pdf.PageSizeError
			return errors.As(err, &pe) && pe.PageSize == "A3"
		}},
		{"cancelled", cancelled, sampleReport(variant{}), pdf.Options{}, func(err error) bool { return errors.Is(err, context.Canceled) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := pdf.Render(tt.ctx, &buf, tt.r, tt.opt)
			if !tt.check(err) {
				t.Errorf("Render error = %v", err)
			}
			if buf.Len() != 0 {
				t.Errorf("Render wrote %d bytes on error", buf.Len())
			}
		})
	}
}

// TestRenderEmpty renders a report with nothing in it: a first collection that found no
// standard enabled. It must still be a valid document.
func TestRenderEmpty(t *testing.T) {
	r := &report.Report{Organization: "empty-org", ReportDate: "2025-02-23", Progress: report.Progress{WindowDays: 90}}
	path, _ := renderFile(t, "empty", r, pdf.Options{})
	all := strings.Join(pages(t, path), "\n")
	for _, want := range []string{"empty-org", "n/a", "No control fails.", "Methodology"} {
		if !strings.Contains(all, want) {
			t.Errorf("empty report lacks %q", want)
		}
	}
}

// TestRenderWarnings: the snapshot's warnings (an unreadable OU tree, skipped records) and the
// collected pairs whose control enablement is unknown have a section of their own, with each
// kind and message; a report without any has none.
func TestRenderWarnings(t *testing.T) {
	r := &report.Report{Organization: "warned-org", ReportDate: "2025-02-23", Progress: report.Progress{WindowDays: 90}}
	path, _ := renderFile(t, "nowarnings", r, pdf.Options{})
	if all := strings.Join(pages(t, path), "\n"); strings.Contains(all, "Collection warnings") {
		t.Error("a report without warnings has a warnings section")
	}
	r.Coverage.Warnings = []report.Warning{
		{Kind: "ou_tree_unreadable", Message: "cannot read the organization's OU tree or account tags (AccessDeniedException on ListOrganizationalUnitsForParent)"},
		{Kind: "records_skipped", Message: "events.json: 2 skipped, OCSF class 2004 (Detection Finding) (the first at byte 17)"},
	}
	r.Coverage.EnablementUnknown = []report.CoverageGap{
		{AccountID: "444455556666", Region: "eu-west-1", Status: "collected", Reason: "AccessDenied on ListSecurityControlDefinitions"},
		{AccountID: "444455556666", Region: "us-east-1", Status: "collected", Reason: "AccessDenied on ListSecurityControlDefinitions"},
	}
	path, _ = renderFile(t, "warnings", r, pdf.Options{})
	flat := strings.Join(strings.Fields(strings.Join(pages(t, path), "\n")), " ")
	for _, want := range []string{"Collection warnings", "ou_tree_unreadable: cannot read the organization's OU tree",
		"AccessDeniedException on ListOrganizationalUnitsForParent", "records_skipped: events.json: 2 skipped, OCSF class 2004",
		"Control enablement unknown in 2 collected account/region pair(s), the first 444455556666 eu-west-1"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, flat)
		}
	}
}

// BenchmarkRender1M renders a report carrying a million failed findings. The PDF does not list
// them, so the time and memory must stay those of a small report.
func BenchmarkRender1M(b *testing.B) {
	r := sampleReport(variant{gaps: true})
	const n = 1_000_000
	r.FailedFindings = make([]report.FailedFinding, n)
	for k := range r.FailedFindings {
		a := r.Accounts[k%len(r.Accounts)]
		c := controls[k%len(controls)]
		r.FailedFindings[k] = report.FailedFinding{AccountID: a.AccountID, AccountName: a.Name, Region: "eu-west-1",
			ControlID: c.id, Title: c.title, Severity: c.severity, ResourceType: "AwsS3Bucket",
			ResourceID: "arn:aws:s3:::bucket", DaysOpen: k % 400, WorkflowStatus: "NEW"}
	}
	// Peak RSS once the report is built, to tell what the rendering adds.
	before := maxRSS(b)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if err := pdf.Render(context.Background(), io.Discard, r, pdf.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/op")
	b.ReportMetric(before, "report-RSS-MiB")
	b.ReportMetric(maxRSS(b), "peak-RSS-MiB")
}

// maxRSS returns the peak resident set size of this process so far, in MiB.
func maxRSS(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return float64(ru.Maxrss) / 1024 // Linux reports KiB
}
