package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/deliver/mailtest"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

// TestRunCollectsReportsDeliversAndKeepsStateInS3 runs the whole chain twice against the
// emulator, as two ECS tasks would: each downloads the database from S3, adds a snapshot,
// archives and emails the reports, and uploads the database again.
func TestRunCollectsReportsDeliversAndKeepsStateInS3(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true,
		S3Buckets: []string{"hubreport-state"}, SESVerifiedIdentities: []string{"example.com"}})
	awsEnv(t, srv, hs.URL)
	for run := 1; run <= 2; run++ {
		work := t.TempDir() // ephemeral compute: nothing survives between runs but S3
		cfgPath := filepath.Join(work, "reporter.yaml")
		yml := `organization: acme-corp
store:
  path: ` + filepath.Join(work, "r.duckdb") + `
  s3_state: {bucket: hubreport-state, key: state/reporter.duckdb}
collect: {source: demo}
report:
  formats: [text, pdf, xlsx, evidence]
  out: ` + filepath.Join(work, "out") + `
deliver:
  email: {transport: ses, from: "Compliance <compliance@example.com>", to: [ciso@example.com]}
  archive:
    s3: {bucket: hubreport-state, prefix: reports/}
    dir: ` + filepath.Join(work, "archive") + `
`
		if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"run", "--config", cfgPath}
		if run == 1 {
			args = append(args, "--init-state") // the first run creates the state object
		}
		code, stdout, stderr := call(t, "", args...)
		if code != exitOK {
			t.Fatalf("run %d: exit %d\n%s%s", run, code, stdout, stderr)
		}
		obj, ok := srv.Object("hubreport-state", "state/reporter.duckdb")
		if !ok {
			t.Fatalf("run %d: no state uploaded", run)
		}
		// The uploaded database holds every run's snapshot.
		db := filepath.Join(t.TempDir(), "state.duckdb")
		os.WriteFile(db, obj.Body, 0o600)
		if snaps := snapshotsOf(t, db); len(snaps) != run {
			t.Errorf("after run %d the state holds %d snapshots", run, len(snaps))
		}
	}
	keys := srv.ObjectKeys("hubreport-state")
	var archived []string
	for _, k := range keys {
		if strings.HasPrefix(k, "reports/") {
			archived = append(archived, k)
		}
	}
	if len(archived) != 8 { // 4 reports x 2 runs, under YYYY/MM/DD/snapshot-N/
		t.Errorf("archived %v", archived)
	}
	if !strings.Contains(strings.Join(archived, " "), "/snapshot-2/report.pdf") {
		t.Errorf("no report of the second snapshot archived: %v", archived)
	}
	mails := srv.SentEmails()
	if len(mails) != 2 {
		t.Fatalf("%d emails sent, want 2", len(mails))
	}
	p, err := mailtest.Parse(mails[1].Raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Subject, "[acme-corp] Security Hub compliance ") || !strings.Contains(p.HTML, "Top failed controls") ||
		!strings.Contains(p.Text, "COMPLIANCE SCORES:") || len(p.Attachments) != 2 ||
		!bytes.HasPrefix(p.Attachments["report.pdf"], []byte("%PDF")) {
		t.Errorf("email: subject %q, %d attachments, html %d bytes, text %d bytes", p.Subject, len(p.Attachments), len(p.HTML), len(p.Text))
	}
}

// TestStateConflictIsReported and TestOversizedEmailLinksToArchive are in internal/run: they
// call the run's steps directly.
