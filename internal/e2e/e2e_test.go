package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/deliver/mailtest"
)

const (
	sender    = "reports@example.com" // the verified SES identity
	recipient = "ciso@example.org"
	stateKey  = "hubreport/reporter.duckdb"
	archPfx   = "reports/"
	orgName   = "Example Org E2E"
)

// TestEndToEndScheduledChain runs what the schedule triggers, with the built binaries and nothing
// shared between runs but the emulator's S3, as on ECS: day 1 (collect -> S3 state -> report ->
// SES -> S3 archive, creating the state), day 2 (a second snapshot), a re-delivery of day 2
// (run --steps report,deliver), and a run whose sender is not a verified SES identity.
func TestEndToEndScheduledChain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bin := t.TempDir()
	build(ctx, t, bin, "reporter", "fakeaws")
	fa := startFakeaws(ctx, t, filepath.Join(bin, "fakeaws"),
		"--accounts", "3", "--findings-per-account", "40", "--unlimited",
		"--s3-buckets", "state,archive", "--ses-identities", sender)
	reporter := func(t *testing.T, work string, args ...string) (int, string, string) {
		t.Helper()
		return runReporter(ctx, t, filepath.Join(bin, "reporter"), fa.env(t), work, args...)
	}

	// Day 1: the state object does not exist yet; --init-state creates it (without it a missing
	// state is an error, so a lost state is never replaced by an empty history).
	work1 := t.TempDir()
	code, _, stderr := reporter(t, work1, "run", "--config", writeConfig(t, work1, sender, true), "--init-state")
	if code != 0 {
		t.Fatalf("day 1: reporter run exit %d\n%s", code, stderr)
	}
	snaps := fa.stateSnapshots(ctx, t, filepath.Join(bin, "reporter"))
	if len(snaps) != 1 {
		t.Fatalf("after day 1 the state holds %d snapshots, want 1: %+v", len(snaps), snaps)
	}
	day1Keys := fa.keys(ctx, t, "archive", archPfx)
	if !hasReports(day1Keys, snaps[0].ID) {
		t.Fatalf("day 1: archive holds %q, want every format of snapshot %d", day1Keys, snaps[0].ID)
	}

	// Day 2: a fresh task again; it downloads day 1's state and adds its own snapshot.
	work2 := t.TempDir()
	code, _, stderr = reporter(t, work2, "run", "--config", writeConfig(t, work2, sender, true))
	if code != 0 {
		t.Fatalf("day 2: reporter run exit %d\n%s", code, stderr)
	}
	snaps = fa.stateSnapshots(ctx, t, filepath.Join(bin, "reporter"))
	if len(snaps) != 2 || snaps[0].ID == snaps[1].ID || !snaps[1].TakenAt.After(snaps[0].TakenAt) ||
		snaps[0].Findings == 0 || snaps[1].Findings != snaps[0].Findings {
		t.Fatalf("after day 2 the state holds %+v, want day 1's and day 2's snapshots with the same findings", snaps)
	}
	day2 := snaps[1].ID
	keys := fa.keys(ctx, t, "archive", archPfx)
	if !hasReports(keys, snaps[0].ID) || !hasReports(keys, day2) || len(keys) != 2*len(formats) {
		t.Fatalf("after day 2 the archive holds %q, want every format of snapshots %d and %d", keys, snaps[0].ID, day2)
	}
	stateETag := fa.etag(ctx, t, "state", stateKey)

	// Re-delivery of day 2 (an operator retrying a failed delivery): the reports come out
	// byte-identical, so the archive already holds them and counts as delivered; nothing new is
	// collected and the state is not touched.
	work3 := t.TempDir()
	code, _, stderr = reporter(t, work3, "run", "--config", writeConfig(t, work3, sender, true), "--steps", "report,deliver")
	if code != 0 { // not fatal: the checks below say which report differs
		t.Errorf("re-delivery: reporter run --steps report,deliver exit %d\n%s", code, stderr)
	}
	if got := fa.keys(ctx, t, "archive", archPfx); !slices.Equal(got, keys) {
		t.Errorf("re-delivery changed the archive:\n got %q\nwant %q", got, keys)
	}
	for _, name := range formats {
		local, err := os.ReadFile(filepath.Join(work3, "out", name))
		if err != nil {
			t.Fatalf("re-delivery wrote no %s: %v", name, err)
		}
		key := archiveKey(keys, day2, name)
		if archived := fa.get(ctx, t, "archive", key); !bytes.Equal(local, archived) {
			t.Errorf("re-delivered %s (%d bytes) differs from the archived s3://archive/%s (%d bytes)", name, len(local), key, len(archived))
		}
	}
	if got := fa.etag(ctx, t, "state", stateKey); got != stateETag {
		t.Errorf("re-delivery changed the state object: ETag %s, was %s", got, stateETag)
	}

	// SES got one email per delivery, from the verified identity, with the day's reports.
	mails := fa.sentEmails(ctx, t)
	if len(mails) != 3 {
		t.Errorf("SES accepted %d emails, want 3 (day 1, day 2, re-delivery)", len(mails))
	}
	for i, m := range mails {
		p, err := mailtest.Parse(m.Raw)
		if err != nil {
			t.Fatalf("email %d: %v", i+1, err)
		}
		if m.From != sender || !slices.Equal(m.To, []string{recipient}) || !strings.Contains(p.Subject, orgName) ||
			!bytes.HasPrefix(p.Attachments["report.pdf"], []byte("%PDF")) || len(p.Attachments["report.xlsx"]) == 0 {
			t.Errorf("email %d: from %s to %v, subject %q, attachments %d", i+1, m.From, m.To, p.Subject, len(p.Attachments))
		}
		if i == 2 {
			pdf := fa.get(ctx, t, "archive", archiveKey(keys, day2, "report.pdf"))
			if !bytes.Equal(p.Attachments["report.pdf"], pdf) {
				t.Error("the re-delivered email's PDF differs from day 2's archived PDF")
			}
		}
	}

	// A sender SES has not verified: the run fails, names the identity, and nothing is sent.
	// (No archive in this configuration, so the failure can only be SES's.)
	work4 := t.TempDir()
	const unverified = "noreply@example.com"
	code, _, stderr = reporter(t, work4, "run", "--config", writeConfig(t, work4, unverified, false), "--steps", "report,deliver")
	if code == 0 || !strings.Contains(stderr, unverified) || !strings.Contains(stderr, "not verified") {
		t.Errorf("unverified sender: exit %d, want non-zero with an error naming %s:\n%s", code, unverified, stderr)
	}
	if n := len(fa.sentEmails(ctx, t)); n != len(mails) {
		t.Errorf("SES accepted %d emails after the refused one, want still %d", n, len(mails))
	}
	if got := fa.etag(ctx, t, "state", stateKey); got != stateETag {
		t.Errorf("the refused delivery changed the state object: ETag %s, was %s", got, stateETag)
	}
}

// formats are the files each run writes and archives, for report.formats below.
var formats = []string{"report.txt", "report.json", "report.pdf", "report.xlsx", "evidence.zip"}

// writeConfig writes the task's configuration into work: collect through the emulated AWS
// (accounts mode: AssumeRole into each member), state in bucket state, reports emailed through
// SES from from and, when archive is set, kept in bucket archive.
func writeConfig(t *testing.T, work, from string, archive bool) string {
	t.Helper()
	arch := ""
	if archive {
		arch = "  archive:\n    s3: {bucket: archive, prefix: " + archPfx + "}\n"
	}
	yml := fmt.Sprintf(`organization: %s
store:
  path: %s
  s3_state: {bucket: state, key: %s}
collect:
  source: aws
  aws: {mode: accounts, max_concurrency: 8}
report:
  formats: [text, json, pdf, xlsx, evidence]
  out: %s
deliver:
  email: {transport: ses, from: "Compliance <%s>", to: [%s]}
%s`, orgName, filepath.Join(work, "reporter.duckdb"), stateKey, filepath.Join(work, "out"), from, recipient, arch)
	p := filepath.Join(work, "reporter.yaml")
	if err := os.WriteFile(p, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// hasReports reports whether keys hold every format under .../snapshot-ID/.
func hasReports(keys []string, id int64) bool {
	for _, name := range formats {
		if archiveKey(keys, id, name) == "" {
			return false
		}
	}
	return true
}

// archiveKey finds the archive key of a snapshot's report ("" when there is none).
func archiveKey(keys []string, id int64, name string) string {
	suffix := fmt.Sprintf("/snapshot-%d/%s", id, name)
	for _, k := range keys {
		if strings.HasSuffix(k, suffix) {
			return k
		}
	}
	return ""
}

// build compiles the module's commands into dir, in one go build so they share its work.
func build(ctx context.Context, t *testing.T, dir string, cmds ...string) {
	t.Helper()
	// -s -w: no symbol table or DWARF, which cuts the link of DuckDB's static library by about a
	// quarter; a failure is read from the test's output, not a debugger.
	args := []string{"build", "-ldflags=-s -w", "-o", dir + string(filepath.Separator)}
	for _, c := range cmds {
		args = append(args, "github.com/hubreport/hubreport/cmd/"+c)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1") // DuckDB is linked through cgo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// runReporter runs the reporter binary in work with env and returns its exit code and output.
func runReporter(ctx context.Context, t *testing.T, bin string, env []string, work string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = work, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	if err != nil {
		t.Fatalf("reporter %s: %v", strings.Join(args, " "), err)
	}
	return 0, stdout.String(), stderr.String()
}
