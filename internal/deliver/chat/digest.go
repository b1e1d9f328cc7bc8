// Package chat posts a short digest of a report to Slack (an incoming webhook, Block Kit) and to
// Microsoft Teams (a Workflows webhook, an Adaptive Card): the score and its change since last
// week, open critical and high findings, the top 3 failed controls and where the full report is
// archived. Webhook URLs are secrets: they are read from the environment by internal/config and
// never logged or put in an error.
package chat

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

// TopControls is how many failed controls a digest lists: a chat message is read at a glance.
const TopControls = 3

const dateLayout = "2006-01-02"

// Digest is what a chat message says about one report. NewDigest fills it; the payload builders
// only format it, so Slack and Teams never disagree on a figure.
type Digest struct {
	Organization string
	ReportDate   string // YYYY-MM-DD, UTC
	// Score is the organization's summary score (percent, unrounded); nil: no control had data.
	Score *float64
	// Week is the comparison with the snapshot of a week earlier.
	Week Week
	// OpenCritical and OpenHigh count active findings by severity (report.Findings).
	OpenCritical, OpenHigh int64
	// Top is the first TopControls of the report's top failed controls, in the report's order
	// (by failed accounts, then severity, then failed resources).
	Top []report.FailedControl
	// Archive is where the archive step wrote the full report (an s3:// URI or a folder); empty:
	// not archived.
	Archive string
	// Stale is the report's stale-data warning (report.Staleness.Sentence); empty when fresh.
	Stale string
	// Partial says which part of the organization was not collected; empty when complete.
	Partial string
	// Warnings says what the snapshot was stored without (report.Coverage.Warnings: an OU tree
	// that could not be read, skipped records), by kind; empty when there is nothing.
	Warnings string
}

// Week is the digest's comparison with a week earlier.
type Week struct {
	// First: the report's window holds no snapshot before the report's own.
	First bool
	// Date is the date of the snapshot a week earlier (nearest to 7 days before the report date,
	// within a day, as the top failed controls' 7-day change); empty when there is none.
	Date string
	// Score is the summary score on Date; nil when there is none or the report does not carry it.
	Score *float64
	// OpenCritical and OpenHigh on Date, from the progress series; valid when Date is set.
	OpenCritical, OpenHigh int64
}

// NewDigest builds the digest of r, whose full report the archive step wrote to archive.
//
// The summary score a week earlier is the progress series point of that snapshot.
func NewDigest(r *report.Report, archive string) Digest {
	d := Digest{
		Organization: r.Organization,
		ReportDate:   r.ReportDate,
		Score:        r.SummaryScore,
		OpenCritical: r.Findings.Critical,
		OpenHigh:     r.Findings.High,
		Archive:      archive,
		Top:          r.TopFailedControls[:min(TopControls, len(r.TopFailedControls))],
	}
	if r.Stale != nil {
		d.Stale = r.Stale.Sentence()
	}
	if c := r.Coverage; !c.Complete && c.Expected > 0 {
		d.Partial = fmt.Sprintf("Partial collection: %d of %d account/region pairs were read; the report lists the others.", c.Collected, c.Expected)
	}
	if ws := r.Coverage.Warnings; len(ws) > 0 {
		var kinds []string
		for _, w := range ws {
			if !slices.Contains(kinds, w.Kind) {
				kinds = append(kinds, w.Kind)
			}
		}
		d.Warnings = fmt.Sprintf("Stored with %d warning(s) (%s); the report lists them.", len(ws), strings.Join(kinds, ", "))
	}
	d.Week = weekEarlier(r)
	return d
}

// weekEarlier finds the snapshot nearest to 7 days before the report date within a day: the
// 7th day before, else the 6th, else the 8th (the newer of two equally near, as analyze does).
func weekEarlier(r *report.Report) Week {
	day, err := time.Parse(dateLayout, r.ReportDate)
	earlier := 0
	for _, p := range r.Progress.Series {
		if p.Date < r.ReportDate {
			earlier++
		}
	}
	if err != nil || earlier == 0 {
		return Week{First: true}
	}
	for _, back := range []int{7, 6, 8} {
		date := day.AddDate(0, 0, -back).Format(dateLayout)
		// The last point of the day: the newest snapshot when a day has several.
		i := lastIndex(len(r.Progress.Series), func(i int) bool { return r.Progress.Series[i].Date == date })
		if i < 0 {
			continue
		}
		pt := r.Progress.Series[i]
		w := Week{Date: date, Score: pt.SummaryScore, OpenCritical: pt.OpenCritical, OpenHigh: pt.OpenHigh}
		return w
	}
	return Week{}
}

func lastIndex(n int, match func(int) bool) int {
	for i := n - 1; i >= 0; i-- {
		if match(i) {
			return i
		}
	}
	return -1
}

// ScoreText is the summary score as every report shows it: "61%", or "no score".
func (d Digest) ScoreText() string { return percent(d.Score) }

func percent(x *float64) string {
	if x == nil {
		return "no score"
	}
	return strconv.Itoa(report.RoundPercent(*x)) + "%"
}

// ChangeText is the score's change since last week: "+3 points (58% on 2026-11-30)", "no change
// (61% on 2026-11-30)", "first report", ... The change is between the rounded scores, so that it
// agrees with the two percentages the reader sees.
func (d Digest) ChangeText() string {
	w := d.Week
	switch {
	case w.First:
		return "first report"
	case w.Date == "":
		return "no snapshot a week earlier"
	case w.Score == nil || d.Score == nil:
		return fmt.Sprintf("not available (score on %s: %s)", w.Date, percent(w.Score))
	}
	pts := report.RoundPercent(*d.Score) - report.RoundPercent(*w.Score)
	was := fmt.Sprintf("(%s on %s)", percent(w.Score), w.Date)
	switch {
	case pts == 0:
		return "no change " + was
	case pts == 1 || pts == -1:
		return fmt.Sprintf("%+d point %s", pts, was)
	default:
		return fmt.Sprintf("%+d points %s", pts, was)
	}
}

// countText is an open-finding count with its change since the week-earlier snapshot: "4 (-2)".
func (d Digest) countText(now, before int64) string {
	if d.Week.Date == "" {
		return strconv.FormatInt(now, 10)
	}
	if now == before {
		return fmt.Sprintf("%d (no change)", now)
	}
	return fmt.Sprintf("%d (%+d)", now, now-before)
}

// CriticalText and HighText are the open critical and high findings with their weekly change.
func (d Digest) CriticalText() string { return d.countText(d.OpenCritical, d.Week.OpenCritical) }

// HighText: see CriticalText.
func (d Digest) HighText() string { return d.countText(d.OpenHigh, d.Week.OpenHigh) }

// ControlLine is one top failed control: "CloudTrail.1 CloudTrail should be enabled: 12 of 50
// accounts".
func ControlLine(c report.FailedControl) string { return c.ControlID + " " + controlDetail(c) }

// controlDetail is ControlLine without the control id: "CloudTrail should be enabled: 12 of 50
// accounts".
func controlDetail(c report.FailedControl) string {
	return fmt.Sprintf("%s: %d of %d accounts", c.Title, c.FailedAccounts, c.TotalAccounts)
}

// Title heads the message.
func (d Digest) Title() string {
	t := "Security Hub compliance: " + d.Organization
	if d.Stale != "" {
		t = "STALE " + t
	}
	return t
}

// ArchiveText says where the full report is.
func (d Digest) ArchiveText() string {
	if d.Archive == "" {
		return "Full report: not archived (deliver.archive is not configured)"
	}
	return "Full report: " + d.Archive
}

// Text is the digest as plain text: Slack's notification fallback, and what a log may show.
func (d Digest) Text() string {
	var b strings.Builder
	if d.Stale != "" {
		b.WriteString(d.Stale + "\n")
	}
	fmt.Fprintf(&b, "%s: summary score %s; since last week: %s. Open findings: %s critical, %s high.\n",
		d.Organization, d.ScoreText(), d.ChangeText(), d.CriticalText(), d.HighText())
	if len(d.Top) > 0 {
		b.WriteString("Top failed controls:\n")
		for i, c := range d.Top {
			fmt.Fprintf(&b, "%d. %s\n", i+1, ControlLine(c))
		}
	}
	for _, caveat := range []string{d.Partial, d.Warnings} {
		if caveat != "" {
			b.WriteString(caveat + "\n")
		}
	}
	fmt.Fprintf(&b, "Report of %s. %s", d.ReportDate, d.ArchiveText())
	return b.String()
}
