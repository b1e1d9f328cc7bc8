package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
)

// TestDisabledControlsStored: disabled controls are stored with their snapshot, once per account,
// region, standard and control (the first source given wins), and bad rows are refused.
func TestDisabledControlsStored(t *testing.T) {
	ctx := context.Background()
	st, w := beginFileSnapshot(t)
	fsbp := "standards/aws-foundational-security-best-practices/v/1.0.0"
	for _, d := range []model.DisabledControl{
		{AccountID: "111111111111", Region: "us-east-1", StandardID: fsbp, ControlID: "S3.1", Source: model.DisabledByAssociation, Reason: "covered by SCP"},
		{AccountID: "111111111111", Region: "us-east-1", StandardID: fsbp, ControlID: "S3.1", Source: model.DisabledByConfig, Reason: "again"},
		{AccountID: "222222222222", Region: "eu-west-1", StandardID: fsbp, ControlID: "EC2.2", Source: model.DisabledByCentralConfiguration},
	} {
		if err := w.AddDisabledControl(d); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []model.DisabledControl{
		{AccountID: "1", Region: "us-east-1", StandardID: fsbp, ControlID: "S3.1", Source: "guess"},
		{AccountID: "1", StandardID: fsbp, ControlID: "S3.1", Source: model.DisabledByConfig},
	} {
		if err := w.AddDisabledControl(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := w.AddFinding(&model.Finding{ID: "f1", ProductARN: "p", AccountID: "111111111111", Region: "us-east-1", ControlID: "S3.1",
		ComplianceStatus: "PASSED", WorkflowStatus: "NEW", RecordState: "ACTIVE", SeverityLabel: "LOW", Standards: []string{fsbp}}); err != nil {
		t.Fatal(err)
	}
	snap, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.DB().QueryContext(ctx, `SELECT account_id, region, control_id, source, reason FROM snapshot_disabled_controls
		WHERE snapshot_id = $1 ORDER BY account_id`, snap.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var a, r, c, s, why string
		if err := rows.Scan(&a, &r, &c, &s, &why); err != nil {
			t.Fatal(err)
		}
		got = append(got, a+" "+r+" "+c+" "+s+" "+why)
	}
	want := []string{"111111111111 us-east-1 S3.1 association covered by SCP", "222222222222 eu-west-1 EC2.2 central_configuration "}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("stored %q, want %q", got, want)
	}
}

// TestRetiredFindingsStored: counts given twice for the same account, region, standard and
// control add up, and a count without a control is refused.
func TestRetiredFindingsStored(t *testing.T) {
	ctx := context.Background()
	st, w := beginFileSnapshot(t)
	r := model.RetiredFindings{AccountID: "111111111111", Region: "us-east-1", StandardID: "standards/pci-dss/v/3.2.1", ControlID: "MQ.3", Findings: 2}
	for _, x := range []model.RetiredFindings{r, r} {
		if err := w.AddRetiredFindings(x); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddRetiredFindings(model.RetiredFindings{AccountID: "1", Findings: 1}); err == nil {
		t.Error("a count without a control was accepted")
	}
	snap, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.RetiredFindingsOf(ctx, snap.ID)
	r.Findings = 4
	if err != nil || len(got) != 1 || got[0] != r {
		t.Errorf("stored %+v, %v; want %+v", got, err, r)
	}
}

// beginFileSnapshot opens a new store and begins a file snapshot taken an hour ago in it.
func beginFileSnapshot(t *testing.T) (*Store, *SnapshotWriter) {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "r.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w, err := st.BeginSnapshot(context.Background(), model.SnapshotMeta{TakenAt: time.Now().UTC().Add(-time.Hour), Source: "file", Organization: "o"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st, w
}
