package analyze

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

func off(account, region, standard, control string) model.DisabledControl {
	return model.DisabledControl{AccountID: account, Region: region, StandardID: standard, ControlID: control, Source: model.DisabledByConfig}
}

// TestDisabledByHand: on the hand-computed fixture (see TestHandComputedFixture), S3.1 is disabled
// in account 1, where it FAILED: the organization's S3.1 is then PASSED (account 2), not FAILED.
// EC2.2 is disabled in every collected account/region (including eu-west-1, where account 1's
// only finding is archived): DISABLED, counted as such and out of the denominator.
func TestDisabledByHand(t *testing.T) {
	st := storetest.New(t)
	var dis []model.DisabledControl
	for _, std := range []string{fsbp, pci} {
		dis = append(dis, off(acc1, "us-east-1", std, "S3.1"),
			off(acc1, "us-east-1", std, "EC2.2"), off(acc2, "us-east-1", std, "EC2.2"), off(acc1, "eu-west-1", std, "EC2.2"))
	}
	snap := writeSnapWith(t, st, t0, testCtl, fixtureDay0(), dis)
	r, err := Build(context.Background(), st, snap, Options{Now: pinned})
	if err != nil {
		t.Fatal(err)
	}
	// FSBP without the disablements: S3.1 FAILED, EC2.2 UNKNOWN, CloudTrail.2 PASSED, S3.5
	// UNKNOWN, RDS.1 NO_DATA. With them: S3.1 PASSED, EC2.2 DISABLED, CloudTrail.2 PASSED, S3.5
	// UNKNOWN, RDS.1 NO_DATA: 2 / 3.
	// PCI without: S3.1 FAILED, EC2.2 UNKNOWN, CloudTrail.2 PASSED (f5b suppressed). With: S3.1
	// PASSED, EC2.2 DISABLED, CloudTrail.2 PASSED: 2 / 2.
	want := map[string]string{
		fsbp: "score 66.6667 passed 2 failed 0 unknown 1 no_data 1 disabled 1",
		pci:  "score 100.0000 passed 2 failed 0 unknown 0 no_data 0 disabled 1",
	}
	for _, s := range r.Standards {
		got := fmt.Sprintf("score %s passed %d failed %d unknown %d no_data %d disabled %d", fmtScore(s.Score), s.Passed, s.Failed, s.Unknown, s.NoData, s.Disabled)
		if got != want[s.ID] {
			t.Errorf("%s: %s, want %s", s.ID, got, want[s.ID])
		}
	}
	// Account 1: EC2.2 disabled in both its regions (DISABLED); S3.1 disabled in us-east-1 only,
	// but account 1 has no other region with S3.1 findings, so no status: not DISABLED either,
	// because eu-west-1 is collected and S3.1 is enabled there.
	for _, a := range r.Accounts {
		for _, s := range a.Standards {
			if a.AccountID == acc1 && s.Disabled != 1 {
				t.Errorf("account 1 %s: disabled %d, want 1 (EC2.2)", s.ID, s.Disabled)
			}
			if a.AccountID == acc1 && s.Failed != 0 {
				t.Errorf("account 1 %s: failed %d, want 0 (its only failure is of a disabled control)", s.ID, s.Failed)
			}
		}
		if a.AccountID == acc1 && a.Failed != 0 {
			t.Errorf("account 1: failed controls %d, want 0", a.Failed)
		}
	}
	for _, c := range r.TopFailedControls {
		if c.ControlID == "S3.1" {
			t.Errorf("S3.1 listed as failing in %d accounts; its only failure is where it is disabled", c.FailedAccounts)
		}
	}
	for _, f := range r.FailedFindings {
		if f.ControlID == "S3.1" {
			t.Errorf("failed finding %+v of a disabled control listed", f)
		}
	}
	for _, c := range r.Controls {
		if c.ControlID == "EC2.2" && c.Status != "DISABLED" {
			t.Errorf("%s EC2.2: %s, want DISABLED", c.StandardID, c.Status)
		}
		if c.ControlID == "S3.1" && c.Status != "PASSED" {
			t.Errorf("%s S3.1: %s, want PASSED", c.StandardID, c.Status)
		}
	}
	// Reconciliation of PCI: f1 (S3.1, acc1) and f3, f4 (EC2.2), f8 (archived first) are ignored;
	// f2, f5 used; f5b suppressed. Archived f8 counts as archived, not disabled.
	for _, s := range r.Reconciliation.Standards {
		if s.ID != pci {
			continue
		}
		b, _ := json.Marshal(s.Findings)
		want := `{"total":7,"used":2,"ignored":{"archived":1,"disabled":3,"retired_control":0,"suppressed":1,"without_compliance_status":0}}`
		if string(b) != want {
			t.Errorf("PCI findings reconciliation %s, want %s", b, want)
		}
		if s.Controls.Disabled != 1 || s.Controls.Passed != 2 {
			t.Errorf("PCI controls reconciliation %+v", s.Controls)
		}
	}
}

// randomDisabled disables, over the pairs of fs, a random handful of (account, region, standard,
// control) and one control (IAM.1 in PCI) in every pair.
func randomDisabled(seed uint64, fs []*model.Finding) []model.DisabledControl {
	rng := rand.New(rand.NewPCG(seed, 7))
	pairs := map[[2]string]bool{}
	for _, f := range fs {
		pairs[[2]string{f.AccountID, f.Region}] = true
	}
	var out []model.DisabledControl
	controls := []string{"S3.1", "EC2.2", "CloudTrail.2", "RDS.1", "S3.5", "IAM.1", "Lambda.1"}
	for p := range pairs {
		out = append(out, off(p[0], p[1], pci, "IAM.1"))
		for range rng.IntN(3) {
			out = append(out, off(p[0], p[1], []string{fsbp, pci}[rng.IntN(2)], controls[rng.IntN(len(controls))]))
		}
	}
	return out
}

// TestDisabledMatchesIndependentCalculation: scores, counts and DISABLED tallies with random
// disablements agree with a calculation in plain Go from the findings: findings where their
// control is disabled for their standard are dropped, and a control is DISABLED in a scope when
// it is disabled in every account/region of that scope the snapshot holds.
func TestDisabledMatchesIndependentCalculation(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			st := storetest.New(t)
			fs := randomEstate(seed)
			dis := randomDisabled(seed, fs)
			snap := writeSnapWith(t, st, t0, testCtl, fs, dis)
			r, err := Build(context.Background(), st, snap, Options{Now: pinned})
			if err != nil {
				t.Fatal(err)
			}
			off := map[string]bool{}
			for _, d := range dis {
				off[d.AccountID+"|"+d.Region+"|"+d.StandardID+"|"+d.ControlID] = true
			}
			// The reference sees only findings of enabled places: drop each finding's standards
			// its control is disabled for there (a finding left with none is dropped).
			var kept []*model.Finding
			for _, f := range fs {
				var stds []string
				for _, s := range f.Standards {
					if !off[f.AccountID+"|"+f.Region+"|"+s+"|"+f.ControlID] {
						stds = append(stds, s)
					}
				}
				if len(stds) > 0 {
					c := *f
					c.Standards = stds
					kept = append(kept, &c)
				}
			}
			ref := computeReference(kept, testCtl)
			// DISABLED per scope: disabled in every pair the snapshot holds (of the account).
			pairs := map[string][]string{} // account -> regions
			seenPair := map[string]bool{}
			for _, f := range fs {
				if k := f.AccountID + "|" + f.Region; !seenPair[k] {
					seenPair[k] = true
					pairs[f.AccountID] = append(pairs[f.AccountID], f.Region)
				}
			}
			disabledIn := func(std, control string, accounts ...string) bool {
				for _, a := range accounts {
					for _, r := range pairs[a] {
						if !off[a+"|"+r+"|"+std+"|"+control] {
							return false
						}
					}
				}
				return true
			}
			var all []string
			for a := range pairs {
				all = append(all, a)
			}
			catalogOff := map[string]bool{}
			for _, c := range testCtl {
				if c.Disabled {
					catalogOff[c.StandardID+"|"+c.ControlID] = true
				}
			}
			count := func(std string, accounts ...string) int {
				n := 0
				for _, c := range []string{"S3.1", "EC2.2", "CloudTrail.2", "RDS.1", "KMS.4", "S3.5", "IAM.1", "Lambda.1"} {
					if catalogOff[std+"|"+c] {
						continue
					}
					any := false
					for _, d := range dis {
						if d.StandardID == std && d.ControlID == c {
							any = true
						}
					}
					if any && disabledIn(std, c, accounts...) {
						n++
					}
				}
				return n
			}
			for _, s := range r.Standards {
				if !sameScore(s.Score, ref.standards[s.ID]) || !sameScore(s.ScoreWithoutSuppressions, ref.without[s.ID]) {
					t.Errorf("%s: got %s/%s, reference %s/%s", s.ID, fmtScore(s.Score), fmtScore(s.ScoreWithoutSuppressions),
						fmtScore(ref.standards[s.ID]), fmtScore(ref.without[s.ID]))
				}
				if got := [3]int{s.Passed, s.Failed, s.Unknown}; got != ref.tally[s.ID] {
					t.Errorf("%s: passed/failed/unknown %v, reference %v", s.ID, got, ref.tally[s.ID])
				}
				if want := count(s.ID, all...); s.Disabled != want {
					t.Errorf("%s: disabled %d, reference %d", s.ID, s.Disabled, want)
				}
			}
			if got := count(pci, all...); got < 1 {
				t.Errorf("IAM.1 disabled everywhere in PCI is not counted (%d)", got)
			}
			for _, a := range r.Accounts {
				for _, s := range a.Standards {
					if !sameScore(s.Score, ref.accounts[a.AccountID][s.ID]) {
						t.Errorf("account %s %s: got %s, reference %s", a.AccountID, s.ID, fmtScore(s.Score), fmtScore(ref.accounts[a.AccountID][s.ID]))
					}
					if want := count(s.ID, a.AccountID); s.Disabled != want {
						t.Errorf("account %s %s: disabled %d, reference %d", a.AccountID, s.ID, s.Disabled, want)
					}
				}
			}
			// Reconciliation: used findings are the kept, active, unsuppressed ones with a status.
			used := map[string]int64{}
			for _, f := range kept {
				if f.RecordState == "ACTIVE" && f.WorkflowStatus != "SUPPRESSED" && f.ComplianceStatus != "" {
					for _, s := range f.Standards {
						if !catalogOff[s+"|"+f.ControlID] {
							used[s]++
						}
					}
				}
			}
			for _, s := range r.Reconciliation.Standards {
				ig := s.Findings.Ignored
				if s.Findings.Used != used[s.ID] || s.Findings.Used+ig.Archived+ig.Disabled+ig.Suppressed+ig.WithoutComplianceStatus+ig.RetiredControl != s.Findings.Total {
					t.Errorf("%s reconciliation %+v, reference used %d", s.ID, s.Findings, used[s.ID])
				}
				if strings.TrimSpace(s.ID) == "" {
					t.Errorf("reconciliation row without id")
				}
			}
		})
	}
}
