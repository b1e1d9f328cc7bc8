package pdf_test

import (
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/render/pdf"
	"github.com/hubreport/hubreport/internal/report"
)

// TestRenderStale checks that a stale report says so on the cover, with its age, and in the
// running header of every other page; and that a fresh one says nothing of the kind.
func TestRenderStale(t *testing.T) {
	r := sampleReport(variant{})
	r.Stale = &report.Staleness{SnapshotDate: "2025-02-23", RunDate: "2025-02-25", AgeDays: 2, MaxAgeHours: 36}
	path, _ := renderFile(t, "stale", r, pdf.Options{})
	pp := pages(t, path)
	cover := spaces.ReplaceAllString(pp[0], " ")
	if !strings.Contains(cover, "STALE DATA: this report was made on 2025-02-25 from the snapshot of 2025-02-23, 2 days old;") {
		t.Errorf("cover lacks the stale warning:\n%s", pp[0])
	}
	for n, p := range pp[1:] {
		if lineWith(p, "STALE DATA: snapshot of 2025-02-23, 2 days old on 2025-02-25") == "" {
			t.Errorf("page %d: the running header does not say the report is stale", n+2)
		}
	}

	path, _ = renderFile(t, "fresh", sampleReport(variant{}), pdf.Options{})
	for n, p := range pages(t, path) {
		if strings.Contains(strings.ToUpper(p), "STALE") {
			t.Errorf("page %d of a fresh report mentions staleness", n+1)
		}
	}
}
