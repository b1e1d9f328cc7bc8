package analyze

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

// TestSummaryScoreCountsEachControlOnce is the shape of the worked example on AWS's "Calculating
// security scores" page (357 of 515 unique controls = 69%, where the mean of the standard scores
// would be 52%): a control in three standards counts once in the summary, a control disabled in
// one standard counts through the other, and a control failing in one account fails it for the
// organization. The mean of the standard scores, or a count per standard, gives other figures.
func TestSummaryScoreCountsEachControlOnce(t *testing.T) {
	const cis = "standards/cis-aws-foundations-benchmark/v/1.4.0"
	stds := append(append([]model.Standard(nil), testStd...), model.Standard{ID: cis, Name: "CIS v1.4.0", ShortName: "CIS"})
	ctls := []model.Control{
		{StandardID: fsbp, ControlID: "CloudTrail.1", Severity: "HIGH"},
		{StandardID: pci, ControlID: "CloudTrail.1", Severity: "HIGH"},
		{StandardID: cis, ControlID: "CloudTrail.1", Severity: "HIGH"},
		{StandardID: fsbp, ControlID: "IAM.4", Severity: "CRITICAL", Disabled: true},
		{StandardID: pci, ControlID: "IAM.4", Severity: "CRITICAL"},
		{StandardID: fsbp, ControlID: "S3.1", Severity: "MEDIUM"},
		{StandardID: fsbp, ControlID: "EC2.2", Severity: "HIGH"},
		{StandardID: pci, ControlID: "KMS.4", Severity: "MEDIUM"},
		{StandardID: cis, ControlID: "CloudWatch.1", Severity: "LOW", Disabled: true},
	}
	fs := []*model.Finding{
		ctl("a1", acc1, "us-east-1", "CloudTrail.1", "PASSED", fsbp, pci, cis),
		ctl("a2", acc1, "us-east-1", "S3.1", "PASSED", fsbp),
		ctl("b1", acc2, "us-east-1", "CloudTrail.1", "FAILED", fsbp, pci, cis),
		ctl("b2", acc2, "us-east-1", "IAM.4", "FAILED", fsbp, pci),
		ctl("b3", acc2, "eu-west-1", "EC2.2", "PASSED", fsbp),
		ctl("b4", acc2, "us-east-1", "KMS.4", "PASSED", pci),
		ctl("b5", acc2, "us-east-1", "CloudWatch.1", "FAILED", cis), // disabled where it is: out
	}
	st := storetest.New(t)
	ctx := context.Background()
	snap := writeSnapOf(t, st, t0, stds, ctls, fs)
	r, err := Build(ctx, st, snap, Options{Now: pinned})
	if err != nil {
		t.Fatal(err)
	}
	// Per standard, organization: FSBP CloudTrail.1 F, S3.1 P, EC2.2 P (IAM.4 disabled): 2/3;
	// PCI CloudTrail.1 F, IAM.4 F, KMS.4 P: 1/3; CIS CloudTrail.1 F: 0/1.
	want := map[string]float64{fsbp: 200.0 / 3, pci: 100.0 / 3, cis: 0}
	if len(r.Standards) != 3 {
		t.Fatalf("standards %+v, want 3", r.Standards)
	}
	for _, s := range r.Standards {
		if !sameScore(s.Score, pct(want[s.ID])) {
			t.Errorf("%s: score %s, want %.4f", s.ID, fmtScore(s.Score), want[s.ID])
		}
	}
	// Unique controls: CloudTrail.1 F (fails in acc2, in all three standards: once), IAM.4 F (through
	// PCI), S3.1 P, EC2.2 P, KMS.4 P: 3 of 5 = 60%. The mean of the standards is 33.33%, and
	// counting CloudTrail.1 once per standard would give 3 of 7 = 42.86%.
	if !sameScore(r.SummaryScore, pct(60)) || r.SummaryControls != (report.SummaryControls{Passed: 3, Failed: 2}) {
		t.Errorf("summary score %s over %+v, want 60.0000 over 3 passed, 2 failed", fmtScore(r.SummaryScore), r.SummaryControls)
	}
	if !sameScore(r.SummaryScoreMeanOfStandards, pct(100.0/3)) {
		t.Errorf("mean of standard scores %s, want 33.3333", fmtScore(r.SummaryScoreMeanOfStandards))
	}
	// Accounts: acc1 CloudTrail.1 P, S3.1 P: 100% (mean of FSBP 100, PCI 100, CIS 100: also 100);
	// acc2 CloudTrail.1 F, IAM.4 F, EC2.2 P, KMS.4 P: 50% (mean of FSBP 1/2, PCI 1/3, CIS 0 = 27.78%).
	wantAcc := map[string][2]float64{acc1: {100, 100}, acc2: {50, (50 + 100.0/3 + 0) / 3}}
	for _, a := range r.Accounts {
		w := wantAcc[a.AccountID]
		if !sameScore(a.SummaryScore, pct(w[0])) || !sameScore(a.Score, pct(w[0])) || !sameScore(a.SummaryScoreMeanOfStandards, pct(w[1])) {
			t.Errorf("account %s: summary %s (score %s), mean %s; want %.4f, mean %.4f", a.AccountID,
				fmtScore(a.SummaryScore), fmtScore(a.Score), fmtScore(a.SummaryScoreMeanOfStandards), w[0], w[1])
		}
	}
}

// TestSummarySeriesMatchesIndependentCalculation: every point of progress.series carries the
// organization's summary score of its snapshot, as the plain-Go reference computes it from that
// day's findings, whether it comes from the tallies stored at commit or, for a snapshot stored
// before there were any, from the history.
func TestSummarySeriesMatchesIndependentCalculation(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.duckdb"), store.Options{OnCommit: Summarize})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var want []*float64
	var last model.Snapshot
	for day := range 6 {
		fs := randomEstate(uint64(day + 20))
		want = append(want, computeReference(fs, testCtl).summary["org"][0])
		last = writeSnap(t, st, t0.Add(time.Duration(day-5)*24*time.Hour), testCtl, fs)
	}
	check := func(how string) []byte {
		r, err := Build(context.Background(), st, last, Options{Now: pinned})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Progress.Series) != len(want) {
			t.Fatalf("%s: %d series points, want %d", how, len(r.Progress.Series), len(want))
		}
		for i, p := range r.Progress.Series {
			if !sameScore(p.SummaryScore, want[i]) {
				t.Errorf("%s: %s summary score %s, reference %s", how, p.Date, fmtScore(p.SummaryScore), fmtScore(want[i]))
			}
		}
		if !sameScore(r.Progress.Series[len(want)-1].SummaryScore, r.SummaryScore) {
			t.Errorf("%s: the last point's summary score %s is not the headline %s", how, fmtScore(r.Progress.Series[len(want)-1].SummaryScore), fmtScore(r.SummaryScore))
		}
		b, _ := json.Marshal(r)
		return b
	}
	stored := check("stored at commit")
	// Snapshots summarized before migration 007 have no summary tallies.
	if _, err := st.DB().Exec(`DELETE FROM snapshot_summary_tallies WHERE snapshot_id % 2 = 0`); err != nil {
		t.Fatal(err)
	}
	if got := check("half from the history"); !bytes.Equal(got, stored) {
		t.Errorf("the report differs when half the summary tallies come from the history:\n%s\n%s", got, stored)
	}
}
