package render

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/report"
)

// staleReport is firstReport built two days after its snapshot, past a 36-hour limit.
func staleReport() *report.Report {
	r := firstReport()
	r.Stale = &report.Staleness{SnapshotDate: "2025-02-23", RunDate: "2025-02-25", AgeDays: 2, MaxAgeHours: 36}
	return r
}

const staleSentence = "STALE DATA: this report was made on 2025-02-25 from the snapshot of 2025-02-23, 2 days old; " +
	"the limit is 36 hours (report.max_snapshot_age). No newer snapshot was collected."

// TestStaleHeader checks that every format a person reads says a stale report is stale, at the
// top, with its age in dates, and that a report that is not stale says nothing of the kind.
func TestStaleHeader(t *testing.T) {
	ctx := context.Background()
	if got := staleReport().Stale.Sentence(); got != staleSentence {
		t.Fatalf("Sentence:\n got  %q\n want %q", got, staleSentence)
	}

	var text bytes.Buffer
	if err := Text(ctx, &text, staleReport()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.String(), "\n")
	if len(lines) < 7 || lines[4] != "Report Date: 2025-02-23" || lines[5] != staleSentence || !strings.HasPrefix(lines[6], "Standards Enabled:") {
		t.Errorf("text: the stale line is not right under Report Date:\n%s", strings.Join(lines[:min(8, len(lines))], "\n"))
	}

	var js bytes.Buffer
	if err := JSON(ctx, &js, staleReport()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Stale *report.Staleness `json:"stale"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Stale == nil || *doc.Stale != *staleReport().Stale {
		t.Errorf("report.json stale: got %+v, want %+v", doc.Stale, staleReport().Stale)
	}

	mail, err := Email(ctx, staleReport(), EmailOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[acme-corp] Security Hub compliance 2025-02-23 (STALE: 2 days old on 2025-02-25): 100%"; mail.Subject != want {
		t.Errorf("email subject:\n got  %q\n want %q", mail.Subject, want)
	}
	if !strings.Contains(mail.HTML, staleSentence) || !strings.Contains(mail.Text, staleSentence) {
		t.Errorf("email body lacks the stale warning")
	}

	// Not stale: no marker anywhere, and report.json says "stale": null.
	fresh := firstReport()
	text.Reset()
	js.Reset()
	if err := Text(ctx, &text, fresh); err != nil {
		t.Fatal(err)
	}
	if err := JSON(ctx, &js, fresh); err != nil {
		t.Fatal(err)
	}
	if mail, err = Email(ctx, fresh, EmailOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "email subject": mail.Subject, "email html": mail.HTML} {
		if strings.Contains(strings.ToUpper(out), "STALE") {
			t.Errorf("%s of a fresh report mentions staleness", name)
		}
	}
	if !strings.Contains(js.String(), "\n  \"stale\": null,\n") {
		t.Errorf(`report.json of a fresh report lacks "stale": null`)
	}
}

// TestStaleEvidenceIsTheSnapshots checks that the evidence package ignores staleness: it is
// evidence of the snapshot, filed on whatever day, and must be the same bytes every time.
func TestStaleEvidenceIsTheSnapshots(t *testing.T) {
	rn := New(Options{ToolVersion: "test", EvidenceReports: []string{"pdf", "xlsx"}})
	var stale, fresh bytes.Buffer
	if err := rn.Render(context.Background(), "evidence", &stale, staleReport()); err != nil {
		t.Fatal(err)
	}
	if err := rn.Render(context.Background(), "evidence", &fresh, firstReport()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stale.Bytes(), fresh.Bytes()) {
		t.Errorf("the evidence package of a stale report differs from the fresh one's (%d and %d bytes)", stale.Len(), fresh.Len())
	}
}
