package pdf_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/render/pdf"
	"github.com/hubreport/hubreport/internal/report"
)

// TestRenderSinceLastWeek reads the section back: its heading, the snapshots compared, every
// count, the first newly failing and fixed pairs with their OU, and the line that points at
// `reporter diff` for the pairs the report does not carry. Without an earlier snapshot the
// section says so plainly.
func TestRenderSinceLastWeek(t *testing.T) {
	r := sampleReport(variant{})
	at := r.Snapshot.TakenAt
	item := func(id, acct, ou string) report.DiffItem {
		return report.DiffItem{ControlID: id, AccountID: acct, Severity: "CRITICAL", Title: "Title of " + id, OU: ou}
	}
	var fixed []report.DiffItem
	for k := range report.SinceLastWeekItems {
		fixed = append(fixed, item(fmt.Sprintf("S3.%d", k+1), "111122223333", "Workloads/Prod"))
	}
	r.SinceLastWeek = &report.Diff{
		From:         report.DiffSnapshot{ID: 83, TakenAt: at.Add(-7 * 24 * time.Hour), Date: at.Add(-7 * 24 * time.Hour).Format("2006-01-02")},
		To:           report.DiffSnapshot{ID: 90, TakenAt: at, Date: at.Format("2006-01-02")},
		Counts:       report.DiffCounts{Fixed: 48, NewlyFailing: 2, NewlySuppressed: 3, NewlyDisabled: 4, AccountsJoined: 1, NotComparable: 6},
		Fixed:        fixed,
		NewlyFailing: []report.DiffItem{item("EMR.2", "444455556666", "Sandbox"), item("SSM.7", "444455556666", "")},
	}
	path, _ := renderFile(t, "since-last-week", r, pdf.Options{})
	all := strings.Join(pages(t, path), "\n")
	for _, want := range []string{"Since last week", "Snapshot 83 (" + r.SinceLastWeek.From.Date + ") against snapshot 90",
		"Fixed", "48", "Newly failing", "Newly suppressed", "Newly disabled", "+1 / -0",
		"6 control-account pairs were not read", "EMR.2", "444455556666", "Sandbox", "SSM.7",
		"111122223333", "Workloads/Prod", "… and 43 more — reporter diff lists every one."} {
		if !strings.Contains(all, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}

	r.SinceLastWeek = nil
	path, _ = renderFile(t, "since-last-week-none", r, pdf.Options{})
	if all := strings.Join(pages(t, path), "\n"); !strings.Contains(all, "No snapshot within a day of a week before this one") {
		t.Error("a report without an earlier snapshot does not say there is nothing to compare with")
	}
}
