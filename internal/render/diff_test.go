package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

// TestDiffText: the counts, every list under its heading most severe first, and "... and N
// more" where a list was cut below its count (golden testdata/diff.txt).
func TestDiffText(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderDiff(context.Background(), "text", &buf, sampleDiff(time.Date(2025, 2, 16, 6, 0, 0, 0, time.UTC), takenAt)); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{
		"Changes from snapshot 35 (2025-02-16) to snapshot 42 (2025-02-23)",
		"Fixed: 4 | Newly failing: 1 | Newly suppressed: 1 | Newly disabled: 1",
		"FIXED (FAILED -> PASSED): 4\n  CRITICAL  [IAM.6]",
		"  ... and 1 more\n",
		"ACCOUNTS LEFT (their pairs are in no list): 1\n  123412341234  old-sandbox  Sandbox\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diff text lacks %q", want)
		}
	}
	golden(t, "diff.txt", buf.Bytes())
}

// TestDiffJSON: the documented field names (docs/formats.md, "diff.json"), lists as [] when empty.
func TestDiffJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderDiff(context.Background(), "json", &buf, sampleDiff(time.Date(2025, 2, 16, 6, 0, 0, 0, time.UTC), takenAt)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"from.id", "from.taken_at", "from.date", "to.id", "counts.fixed", "counts.newly_failing",
		"counts.newly_suppressed", "counts.newly_disabled", "counts.accounts_joined", "counts.accounts_left", "counts.not_comparable",
		"fixed[].control_id", "fixed[].account_id", "fixed[].severity", "fixed[].title", "fixed[].ou",
		"newly_failing[].control_id", "newly_suppressed[].control_id", "newly_disabled[].control_id", "not_comparable[].control_id",
		"accounts_joined[].account_id", "accounts_joined[].name", "accounts_joined[].ou", "accounts_left[].account_id"} {
		if _, err := lookup(doc, path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	buf.Reset()
	if err := RenderDiff(context.Background(), "json", &buf, &report.Diff{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"fixed": []`) || strings.Contains(buf.String(), "null") {
		t.Errorf("an empty diff: %s", buf.String())
	}
	if err := RenderDiff(context.Background(), "pdf", &buf, &report.Diff{}); !errors.As(err, new(*UnknownFormatError)) {
		t.Errorf("pdf: %v, want an UnknownFormatError", err)
	}
}
