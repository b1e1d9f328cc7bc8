package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportWithRetiredControls: findings of retired controls (AppSync.1 and ECS.1 in the embedded
// catalog) are not stored but counted, per standard, as ignored in the reconciliation of
// report.json; a finding of two standards counts in each.
func TestImportWithRetiredControls(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.duckdb")
	file := filepath.Join(dir, "findings.json")
	const fsbp, pci = "standards/aws-foundational-security-best-practices/v/1.0.0", "standards/pci-dss/v/3.2.1"
	pciFinding := strings.NewReplacer("S3.1", "EC2.2", "/a1", "/p1", fsbp, pci).Replace(goodFinding)
	appsync := strings.NewReplacer("S3.1", "AppSync.1", "/a1", "/r1").Replace(goodFinding)
	both := strings.NewReplacer("S3.1", "ECS.1", "/a1", "/r2",
		`[{"StandardsId":"`+fsbp+`"}]`, `[{"StandardsId":"`+fsbp+`"},{"StandardsId":"`+pci+`"}]`).Replace(goodFinding)
	if !strings.Contains(both, pci) {
		t.Fatal("the ECS.1 finding is not associated with PCI DSS: the test proves nothing")
	}
	os.WriteFile(file, []byte(`[`+goodFinding+`,`+pciFinding+`,`+appsync+`,`+both+`]`), 0o600)
	cfg := writeConfig(t, "report: {max_snapshot_age: 0s}\n")
	b := importThenReportJSON(t, cfg, db, file)
	var r struct {
		Reconciliation struct {
			Standards []struct {
				ID       string
				Findings struct {
					Total, Used int
					Ignored     struct {
						RetiredControl int `json:"retired_control"`
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	// FSBP: S3.1 used, AppSync.1 and ECS.1 retired; PCI DSS: EC2.2 used, ECS.1 retired.
	want := map[string][3]int{fsbp: {3, 1, 2}, pci: {2, 1, 1}}
	got := map[string][3]int{}
	for _, s := range r.Reconciliation.Standards {
		got[s.ID] = [3]int{s.Findings.Total, s.Findings.Used, s.Findings.Ignored.RetiredControl}
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: total, used, retired_control = %v, want %v (reconciliation %+v)", id, got[id], w, r.Reconciliation.Standards)
		}
	}
}

// importThenReportJSON imports file into db with cfg, as of 2025-02-01 06:00 UTC, and gives the
// report.json then written.
func importThenReportJSON(t *testing.T, cfg, db, file string) []byte {
	t.Helper()
	if code, stdout, stderr := call(t, "", "import", "--config", cfg, "--db", db, "--as-of", "2025-02-01T06:00:00Z", file); code != exitOK {
		t.Fatalf("import: exit %d %s %s", code, stdout, stderr)
	}
	out := t.TempDir()
	if code, _, stderr := call(t, "", "report", "--config", cfg, "--db", db, "--format", "json", "--out", out); code != exitOK {
		t.Fatalf("report: exit %d %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
