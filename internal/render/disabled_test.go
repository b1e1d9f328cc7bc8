package render

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/report"
)

// TestDisabledShown: a standard's disabled controls are printed beside its score, pairs whose
// enablement is unknown are said under coverage, and report.json carries disabled, the coverage
// list and the reconciliation.
func TestDisabledShown(t *testing.T) {
	r := fullReport()
	r.Standards[0].Disabled = 3
	r.Coverage.EnablementUnknown = []report.CoverageGap{{AccountID: "111122223333", Region: "eu-west-1", Status: "collected",
		Reason: "control enablement not read: AccessDeniedException"}}
	r.Reconciliation.Standards = []report.StandardReconciliation{{ID: r.Standards[0].ID, Findings: report.ReconciledFindings{Total: 5, Used: 4,
		Ignored: report.IgnoredFindings{Disabled: 1}}}}
	var buf bytes.Buffer
	if err := Text(context.Background(), &buf, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{r.Standards[0].Name + ": 78% (3 controls disabled, not scored)",
		"Control enablement unknown in 1 collected pair(s)", "111122223333 eu-west-1 (control enablement not read: AccessDeniedException)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, buf.String())
		}
	}
	if n := strings.Count(buf.String(), "controls disabled"); n != 1 {
		t.Errorf("%d standards say they have disabled controls, want 1", n)
	}
	buf.Reset()
	if err := JSON(context.Background(), &buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{"standards[].disabled": 3.0, "coverage.enablement_unknown[].region": "eu-west-1",
		"reconciliation.standards[].findings.ignored.disabled": 1.0, "reconciliation.standards[].findings.ignored.retired_control": 0.0,
		"accounts[].standards[].disabled": 0.0} {
		if got, err := lookup(doc, path); err != nil || got != want {
			t.Errorf("%s: %v (%v), want %v", path, got, err, want)
		}
	}
}
