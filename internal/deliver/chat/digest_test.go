package chat

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/report"
)

func f(x float64) *float64 { return &x }

// weeklyReport is the report of 2026-12-07, whose summary score was 57.6% on 2026-11-30 and is
// 61.4% now; four controls fail, so the digest must keep the first three in order. The standard's
// own series differs from the summary's, so that a digest reading the wrong one shows it.
func weeklyReport() *report.Report {
	return &report.Report{
		Organization: "acme-corp & co",
		ReportDate:   "2026-12-07",
		SummaryScore: f(61.4),
		Standards:    []report.StandardScore{{ID: "standards/aws-foundational-security-best-practices/v/1.0.0", Score: f(61.4)}},
		Findings:     report.FindingSummary{Critical: 4, High: 12},
		TopFailedControls: []report.FailedControl{
			{ControlID: "CloudTrail.1", Title: "CloudTrail should be enabled", FailedAccounts: 12, TotalAccounts: 50},
			{ControlID: "IAM.6", Title: "Hardware MFA should be enabled for the root user", FailedAccounts: 9, TotalAccounts: 50},
			{ControlID: "S3.8", Title: "S3 general purpose buckets should block public access", FailedAccounts: 7, TotalAccounts: 50},
			{ControlID: "EC2.19", Title: "Security groups should not allow unrestricted access", FailedAccounts: 3, TotalAccounts: 50},
		},
		Progress: report.Progress{
			Snapshots: 3,
			Series: []report.ProgressPoint{
				{Date: "2026-11-23", SummaryScore: f(50), OpenCritical: 9, OpenHigh: 20},
				{Date: "2026-11-30", SummaryScore: f(57.6), OpenCritical: 6, OpenHigh: 11},
				{Date: "2026-12-07", SummaryScore: f(61.4), OpenCritical: 4, OpenHigh: 12},
			},
			Standards: []report.StandardProgress{{Series: []report.ScorePoint{
				{Date: "2026-11-23", Score: f(40)}, {Date: "2026-11-30", Score: f(45)}, {Date: "2026-12-07", Score: f(61.4)},
			}}},
		},
		Coverage: report.Coverage{Complete: true, Collected: 100, Expected: 100},
	}
}

const archiveURI = "s3://acme-reports/reports/2026/12/07/snapshot-42/"

func TestDigestFigures(t *testing.T) {
	d := NewDigest(weeklyReport(), archiveURI)
	for _, c := range []struct{ name, got, want string }{
		{"score", d.ScoreText(), "61%"},
		{"change", d.ChangeText(), "+3 points (58% on 2026-11-30)"},
		{"critical", d.CriticalText(), "4 (-2)"},
		{"high", d.HighText(), "12 (+1)"},
		{"archive", d.ArchiveText(), "Full report: " + archiveURI},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(d.Top) != 3 || d.Top[0].ControlID != "CloudTrail.1" || d.Top[2].ControlID != "S3.8" {
		t.Errorf("top controls: got %+v, want the report's first three", d.Top)
	}
}

// TestDigestWeek covers every way a week earlier can be missing or found.
func TestDigestWeek(t *testing.T) {
	tests := []struct {
		name   string
		change func(*report.Report)
		want   string
	}{
		{"first report", func(r *report.Report) {
			r.Progress.Series = r.Progress.Series[2:]
			r.Progress.Standards[0].Series = r.Progress.Standards[0].Series[2:]
		}, "first report"},
		{"no progress at all", func(r *report.Report) { r.Progress = report.Progress{} }, "first report"},
		{"no snapshot within a day of a week earlier", func(r *report.Report) {
			r.Progress.Series = []report.ProgressPoint{{Date: "2026-11-23"}, {Date: "2026-12-07"}}
		}, "no snapshot a week earlier"},
		{"the day after a week earlier", func(r *report.Report) {
			r.Progress.Series[1].Date, r.Progress.Standards[0].Series[1].Date = "2026-12-01", "2026-12-01"
		}, "+3 points (58% on 2026-12-01)"},
		{"unchanged", func(r *report.Report) { r.Progress.Series[1].SummaryScore = f(60.5) }, "no change (61% on 2026-11-30)"},
		{"down one", func(r *report.Report) { r.Progress.Series[1].SummaryScore = f(62) }, "-1 point (62% on 2026-11-30)"},
		{"no score a week earlier", func(r *report.Report) { r.Progress.Series[1].SummaryScore = nil }, "not available (score on 2026-11-30: no score)"},
		{"no score now", func(r *report.Report) { r.SummaryScore = nil }, "not available (score on 2026-11-30: 58%)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := weeklyReport()
			tt.change(r)
			if got := NewDigest(r, "").ChangeText(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStaleAndPartialAreSaid: a stale report says so in the title and first; a partial one says
// what was not read, and one stored with warnings how many of which kinds; both payloads carry
// them.
func TestStaleAndPartialAreSaid(t *testing.T) {
	r := weeklyReport()
	r.Stale = &report.Staleness{SnapshotDate: "2026-12-07", RunDate: "2026-12-10", AgeDays: 3, MaxAgeHours: 36}
	r.Coverage = report.Coverage{Collected: 98, Expected: 100, Warnings: []report.Warning{
		{Kind: "records_skipped", Message: "a.json: 2 skipped"}, {Kind: "ou_tree_unreadable", Message: "AccessDenied"},
		{Kind: "records_skipped", Message: "b.json: 1 skipped"}}}
	d := NewDigest(r, "")
	if !strings.HasPrefix(d.Title(), "STALE ") || !strings.HasPrefix(d.Text(), "STALE DATA: this report was made on 2026-12-10 from the snapshot of 2026-12-07, 3 days old") {
		t.Errorf("stale report not said first:\n%s\n%s", d.Title(), d.Text())
	}
	for _, s := range []Service{Slack, Teams} {
		b, err := Payload(s, d)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s payload is not JSON: %v", s, err)
		}
		for _, want := range []string{"STALE DATA", "3 days old", "98 of 100 account/region pairs", "not archived",
			"Stored with 3 warning(s) (records_skipped, ou_tree_unreadable); the report lists them."} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s payload lacks %q", s, want)
			}
		}
	}
	if fresh := NewDigest(weeklyReport(), ""); fresh.Stale != "" || strings.Contains(fresh.Text(), "STALE") || fresh.Partial != "" ||
		fresh.Warnings != "" || strings.Contains(fresh.Text(), "warning") {
		t.Errorf("a fresh, complete report is called stale, partial or warned of: %q", fresh.Text())
	}
}

// TestSlackEscapesMrkdwn: an organization or title with <, > or & cannot become a link or a
// mention, and a long title is cut to Slack's header limit.
func TestSlackEscapesMrkdwn(t *testing.T) {
	r := weeklyReport()
	r.TopFailedControls[0].Title = "<!channel> & <https://evil.example|click>"
	r.Organization = strings.Repeat("x", 200)
	var msg slackMessage
	b, _ := SlackPayload(NewDigest(r, ""))
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	if h := []rune(msg.Blocks[0].Text.Text); len(h) != slackHeaderMax {
		t.Errorf("header is %d characters, want it cut to %d", len(h), slackHeaderMax)
	}
	top := msg.Blocks[2].Text.Text
	if strings.Contains(top, "<!channel>") || !strings.Contains(top, "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;") {
		t.Errorf("title not escaped: %s", top)
	}
}
