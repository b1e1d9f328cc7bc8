package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

func TestAuditManagerPush(t *testing.T) {
	dir := smallDemo(t)
	db := filepath.Join(dir, "r.duckdb")
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true, AuditManager: &fakeaws.AuditManagerOptions{DailyUploadsPerControl: 1}})
	awsEnv(t, srv, hs.URL)
	a := srv.Assessment()
	logging, data := a.ControlSets[0], a.ControlSets[len(a.ControlSets)-1]
	mapping := filepath.Join(t.TempDir(), "am.yaml")
	writeMapping := func(body string) {
		t.Helper()
		if err := os.WriteFile(mapping, []byte("assessment_id: "+a.ID+"\ncontrols:\n"+body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeMapping(fmt.Sprintf(`  - control_set: %s
    control_id: %s
    security_controls: [CloudTrail.1, CloudTrail.2, EC2.6]
  - control_set: %s
    control_id: %s
    standards: [standards/pci-dss/v/3.2.1]
`, logging.Name, logging.ControlIDs[0], data.Name, data.ControlIDs[0]))

	// A dry run prints the plan and imports nothing.
	code, stdout, stderr := call(t, "", "auditmanager", "push", "--db", db, "--mapping", mapping, "--dry-run")
	if code != exitOK || !strings.Contains(stdout, logging.ControlIDs[0]) {
		t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := srv.ImportedEvidence(a.ID, logging.Name, logging.ControlIDs[0]); len(got) != 0 {
		t.Fatalf("a dry run imported %d items", len(got))
	}

	code, stdout, stderr = call(t, "", "auditmanager", "push", "--db", db, "--mapping", mapping)
	if code != exitOK {
		t.Fatalf("push: exit %d\n%s%s", code, stdout, stderr)
	}
	got := srv.ImportedEvidence(a.ID, logging.Name, logging.ControlIDs[0])
	var file, text string
	for _, ev := range got {
		if ev.File != nil {
			file = string(ev.File)
		}
		if ev.TextResponse != "" {
			text = ev.TextResponse
		}
	}
	if !strings.HasPrefix(file, "standard_id,control_id,") || !strings.Contains(file, "CloudTrail.1") || strings.Contains(file, "S3.1,") {
		t.Errorf("uploaded file should hold exactly the mapped controls:\n%s", file)
	}
	if !strings.HasPrefix(text, "Status ") || !strings.Contains(text, "Snapshot ") || len([]rune(text)) > 1000 {
		t.Errorf("text response: %q", text)
	}
	if pci := srv.ImportedEvidence(a.ID, data.Name, data.ControlIDs[0]); len(pci) != 2 {
		t.Errorf("standard-mapped control got %d evidence items, want a file and a text", len(pci))
	}

	// A second push the same day is over this assessment's (lowered) daily upload limit: the
	// per-item errors are reported with the control, and the exit code is not 0.
	code, _, stderr = call(t, "", "auditmanager", "push", "--db", db, "--mapping", mapping)
	if code != exitError || !strings.Contains(stderr, logging.ControlIDs[0]) {
		t.Errorf("over the daily limit: exit %d, stderr %s", code, stderr)
	}

	// A control the assessment does not have fails the call, naming it.
	writeMapping(`  - control_set: No such set
    control_id: 00000000-0000-4000-8000-000000000000
    security_controls: [S3.1]
`)
	code, _, stderr = call(t, "", "auditmanager", "push", "--db", db, "--mapping", mapping)
	if code != exitError || !strings.Contains(stderr, "00000000-0000-4000-8000-000000000000") {
		t.Errorf("unknown control: exit %d, stderr %s", code, stderr)
	}
	// A malformed id is a usage error naming the key, before anything is sent.
	writeMapping("  - control_set: X\n    control_id: ABC\n    security_controls: [S3.1]\n")
	code, _, stderr = call(t, "", "auditmanager", "push", "--db", db, "--mapping", mapping)
	if code != exitUsage || !strings.Contains(stderr, "controls[0].control_id") {
		t.Errorf("bad id: exit %d, stderr %s", code, stderr)
	}
}
