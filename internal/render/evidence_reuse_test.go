package render

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

// TestEvidenceReusesRenderedReports: the evidence package made with the PDF and workbook rendered
// before (WithRendered) is the same bytes as one that renders them itself; a stale report's
// files (which carry the warning the package leaves out) are not reused.
func TestEvidenceReusesRenderedReports(t *testing.T) {
	ctx := context.Background()
	r := fullReport()
	r.GeneratedAt = r.Snapshot.TakenAt.UTC().Truncate(time.Second) // as analyze.Build dates it
	opt := Options{ToolVersion: "v1", EvidenceReports: []string{"pdf", "xlsx", "evidence"},
		Findings: func(_ context.Context, w io.Writer) error { _, err := io.WriteString(w, `{"Findings":[]}`); return err }}
	evidence := func(rn Renderer) []byte {
		t.Helper()
		var buf bytes.Buffer
		if err := rn.Render(ctx, "evidence", &buf, r); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	want := evidence(New(opt))
	reusing := New(opt)
	for _, f := range []string{"pdf", "xlsx"} {
		var buf bytes.Buffer
		if err := reusing.Render(ctx, f, &buf, r); err != nil {
			t.Fatal(err)
		}
		reusing = reusing.WithRendered(f, r, buf.Bytes())
	}
	if got := evidence(reusing); !bytes.Equal(got, want) {
		t.Errorf("evidence package with the rendered PDF and workbook: %d bytes, differ from the %d it renders itself", len(got), len(want))
	}
	// A marker in place of the files shows whether they were reused.
	workbook := func(pkg []byte) string {
		t.Helper()
		zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
		if err != nil {
			t.Fatal(err)
		}
		rc, err := zr.Open("reports/report.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	marked := New(opt).WithRendered("pdf", r, []byte("reused")).WithRendered("xlsx", r, []byte("reused"))
	if got := workbook(evidence(marked)); got != "reused" {
		t.Errorf("the package did not carry the rendered workbook (%d bytes)", len(got))
	}
	stale := *r
	stale.Stale = &report.Staleness{SnapshotDate: "2025-02-23", RunDate: "2025-02-25", AgeDays: 2, MaxAgeHours: 36}
	r = &stale
	marked = New(opt).WithRendered("pdf", r, []byte("reused")).WithRendered("xlsx", r, []byte("reused"))
	if got := workbook(evidence(marked)); got == "reused" {
		t.Error("a stale report's workbook was reused in the package, which is never stale")
	}
}
