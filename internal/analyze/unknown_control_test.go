package analyze

import (
	"context"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

// TestControlUnknownToTheCatalogTakesItsFindingsLabels: a control the snapshot's catalog does not
// know (Lambda.99), or knows without a title and severity (EC2.99), is named and rated by its
// findings, never left empty: by its most recently updated finding, whatever the order the
// findings were stored in.
func TestControlUnknownToTheCatalogTakesItsFindingsLabels(t *testing.T) {
	st := storetest.New(t)
	ctls := append(append([]model.Control{}, testCtl...), model.Control{StandardID: fsbp, ControlID: "EC2.99"})
	label := func(f *model.Finding, title, severity string, age time.Duration) *model.Finding {
		return with(f, func(f *model.Finding) {
			f.Title, f.SeverityLabel, f.UpdatedAt = title, severity, t0.Add(-age)
		})
	}
	fs := append(fixtureDay0(),
		// The newest finding comes first and the oldest last, so neither storage order nor the
		// greatest title or severity gives the right answer.
		label(ctl("u1", acc1, "us-east-1", "Lambda.99", "FAILED", fsbp), "Lambda functions should use supported runtimes", "HIGH", 0),
		label(ctl("u2", acc2, "us-east-1", "Lambda.99", "FAILED", fsbp), "Zz retired wording", "CRITICAL", 48*time.Hour),
		label(ctl("u3", acc2, "eu-west-1", "Lambda.99", "PASSED", fsbp), "Aa older wording", "LOW", 72*time.Hour),
		label(ctl("e1", acc1, "us-east-1", "EC2.99", "FAILED", fsbp), "EC2 instances should not use IMDSv1", "CRITICAL", 0),
	)
	snap := writeSnap(t, st, t0, ctls, fs)
	r, err := Build(context.Background(), st, snap, Options{Now: pinned})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"Lambda.99": {"Lambda functions should use supported runtimes", "HIGH"},
		"EC2.99":    {"EC2 instances should not use IMDSv1", "CRITICAL"},
	}
	found := map[string]bool{}
	for _, c := range r.Controls {
		if c.Title == "" || c.Severity == "" {
			t.Errorf("control %s in %s has title %q and severity %q: never empty", c.ControlID, c.StandardID, c.Title, c.Severity)
		}
		if w, ok := want[c.ControlID]; ok && c.StandardID == fsbp {
			found[c.ControlID] = true
			if c.Title != w[0] || c.Severity != w[1] {
				t.Errorf("controls: %s is %q %s, want %q %s (its latest finding's)", c.ControlID, c.Title, c.Severity, w[0], w[1])
			}
		}
	}
	for _, c := range r.TopFailedControls {
		if w, ok := want[c.ControlID]; ok {
			found["top "+c.ControlID] = true
			if c.Title != w[0] || c.Severity != w[1] {
				t.Errorf("top failed: %s is %q %s, want %q %s", c.ControlID, c.Title, c.Severity, w[0], w[1])
			}
		}
	}
	for _, k := range []string{"Lambda.99", "EC2.99", "top Lambda.99", "top EC2.99"} {
		if !found[k] {
			t.Errorf("%s not reported", k)
		}
	}
}
