package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportWithDisabledControls: controls.disabled reaches an imported snapshot, and the report
// counts the control as disabled, not failed, with the finding ignored as disabled in the
// reconciliation.
func TestImportWithDisabledControls(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.duckdb")
	file := filepath.Join(dir, "findings.json")
	passing := strings.NewReplacer("S3.1", "EC2.2", `"FAILED"`, `"PASSED"`, "/a1", "/a2").Replace(goodFinding)
	os.WriteFile(file, []byte(`[`+goodFinding+`,`+passing+`]`), 0o600)
	cfg := writeConfig(t, "report: {max_snapshot_age: 0s}\ncontrols:\n  disabled:\n    - {control_id: S3.1, account: \"123456789012\", reason: sandbox}\n")
	b := importThenReportJSON(t, cfg, db, file)
	var r struct {
		Standards []struct {
			ID                       string
			Passed, Failed, Disabled int
			Score                    *float64
		}
		Reconciliation struct {
			Standards []struct {
				ID       string
				Findings struct {
					Used    int
					Ignored struct{ Disabled int }
				}
			}
		}
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Standards) != 1 || r.Standards[0].Failed != 0 || r.Standards[0].Disabled != 1 || r.Standards[0].Passed != 1 ||
		r.Standards[0].Score == nil || *r.Standards[0].Score != 100 {
		t.Errorf("standards %+v: want S3.1 disabled (not failed), EC2.2 passed, score 100", r.Standards)
	}
	if rs := r.Reconciliation.Standards; len(rs) != 1 || rs[0].Findings.Used != 1 || rs[0].Findings.Ignored.Disabled != 1 {
		t.Errorf("reconciliation %+v: want 1 used, 1 ignored as disabled", rs)
	}
}
