package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/deliver/mailtest"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/store"
)

// TestRunCollectsReportsDeliversAndKeepsStateInS3 runs the whole chain twice against the
// emulator, as two ECS tasks would: each downloads the database from S3, adds a snapshot,
// archives and emails the reports, and uploads the database again.
func TestRunCollectsReportsDeliversAndKeepsStateInS3(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true, S3Buckets: []string{"hubreport-state"}, SESVerifiedIdentities: []string{"example.com"}})
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

func TestStateConflictIsReported(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true, S3Buckets: []string{"st"}})
	awsEnv(t, srv, hs.URL)
	work := t.TempDir()
	cfg := config.Default()
	cfg.Store.Path = filepath.Join(work, "r.duckdb")
	cfg.Store.S3State = config.S3Location{Bucket: "st", Key: "db"}
	cfg.Collect.Source = "demo"
	// Another run uploads its history while this one collects.
	racingRun := func(ctx context.Context, e *env, cfg config.Config, steps map[string]bool) (runResult, error) {
		go func() {
			time.Sleep(300 * time.Millisecond)
			srv.PutObjectDirect("st", "db", []byte("someone else's database"))
		}()
		return runJobWith(ctx, e, cfg, steps, jobOptions{initState: true})
	}
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, log: newLogger(&errb, nil)}
	_, err := racingRun(context.Background(), e, cfg, map[string]bool{"collect": true})
	if err == nil || !strings.Contains(err.Error(), "s3://st/db changed since this run downloaded it") || !strings.Contains(err.Error(), cfg.Store.Path) {
		t.Fatalf("err = %v, want a conflict naming the object and the kept database", err)
	}
	if obj, _ := srv.Object("st", "db"); string(obj.Body) != "someone else's database" {
		t.Error("the other run's upload was overwritten")
	}
	st, err := store.Open(context.Background(), cfg.Store.Path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("this run's database is not kept: %v", err)
	}
	st.Close()
}

// TestOversizedEmailLinksToArchive sends reports too large for SES: the email goes out without
// attachments, with presigned links to the archived copies, which download.
func TestOversizedEmailLinksToArchive(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true, S3Buckets: []string{"arch"}})
	awsEnv(t, srv, hs.URL)
	dir := smallDemo(t)
	work := t.TempDir()
	big := make([]byte, 31<<20) // 31 MiB of noise is over 40 MiB in base64
	rand.Read(big)
	pdf := filepath.Join(work, "report.pdf")
	os.WriteFile(pdf, append([]byte("%PDF-1.7\n"), big...), 0o600)
	cfg := config.Default()
	cfg.Store.Path = filepath.Join(dir, "r.duckdb")
	cfg.Deliver.Email = config.Email{Transport: "ses", From: "compliance@example.com", To: []string{"ciso@example.com"}}
	cfg.Deliver.Archive.S3 = config.S3Archive{Bucket: "arch", Prefix: "reports/"}
	r, _, err := reportLatest(context.Background(), &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, log: newLogger(&bytes.Buffer{}, nil)},
		withOut(cfg, filepath.Join(work, "out")), cfg.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	res := runResult{written: []string{pdf}}
	var errb bytes.Buffer
	if err := deliverReports(context.Background(), &env{stderr: &errb, log: newLogger(&errb, nil)}, cfg, &lazyAWS{}, r, &res); err != nil {
		t.Fatal(err)
	}
	mails := srv.SentEmails()
	if len(mails) != 1 {
		t.Fatalf("%d emails", len(mails))
	}
	p, err := mailtest.Parse(mails[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Attachments) != 0 || !strings.Contains(p.HTML, "too large to attach") || !strings.Contains(p.HTML, "X-Amz-Signature") {
		t.Fatalf("email has %d attachments; html:\n%s", len(p.Attachments), p.HTML)
	}
	if !strings.Contains(errb.String(), "too large to attach") {
		t.Errorf("the fallback was not logged: %s", errb.String())
	}
}

func withOut(cfg config.Config, out string) config.Config {
	cfg.Report.Out = out
	cfg.Report.Formats = []string{"text"}
	return cfg
}
