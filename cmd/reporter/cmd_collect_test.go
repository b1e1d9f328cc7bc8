package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/deliver/mailtest"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

// awsEnv points the SDK's default configuration at the emulator, as a user would with
// AWS_ENDPOINT_URL, and keeps this machine's own AWS configuration out of the test.
func awsEnv(t *testing.T, srv *fakeaws.Server, url string) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            url,
		"AWS_REGION":                  srv.HomeRegion(),
		"AWS_ACCESS_KEY_ID":           fakeaws.AccessKeyFor(srv.AdministratorAccount()),
		"AWS_SECRET_ACCESS_KEY":       "not-a-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

func TestCollectFromAWS(t *testing.T) {
	probe, err := demoaws.New(demoaws.Config{Accounts: 4}, fakeaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	denied := probe.Accounts()[len(probe.Accounts())-1].AccountID
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 4}, fakeaws.Options{Aggregator: true, Unlimited: true, DenyAssumeRole: []string{denied}})
	awsEnv(t, srv, hs.URL)
	db := filepath.Join(t.TempDir(), "r.duckdb")

	// Accounts mode: the denied account is a gap, the snapshot is stored and partial (exit 3).
	code, stdout, stderr := call(t, "", "collect", "--db", db, "--mode", "accounts")
	if code != exitPartial {
		t.Fatalf("collect --mode accounts: exit %d, want %d\nstdout %s\nstderr %s", code, exitPartial, stdout, stderr)
	}
	if !regexp.MustCompile(`^snapshot 1: \d+ findings from 3 of 4 accounts`).MatchString(stdout) {
		t.Errorf("stdout %q", stdout)
	}
	code, stdout, _ = call(t, "", "report", "--db", db, "--format", "text", "--out", "-")
	if code != exitPartial || !strings.Contains(stdout, denied) || !strings.Contains(stdout, "denied") {
		t.Errorf("report on the partial snapshot: exit %d, and the text report should name %s as denied:\n%s", code, denied, stdout)
	}

	// Aggregator mode reads the denied account too, through the administrator.
	code, stdout, stderr = call(t, "", "collect", "--db", db)
	if code != exitOK && code != exitPartial {
		t.Fatalf("collect: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if !regexp.MustCompile(`^snapshot 2: \d+ findings from 4 of 4 accounts`).MatchString(stdout) {
		t.Errorf("stdout %q", stdout)
	}

	// A bad mode is a usage error naming the key.
	code, _, stderr = call(t, "", "collect", "--db", db, "--mode", "everything")
	if code != exitUsage || !strings.Contains(stderr, "collect.aws.mode") {
		t.Errorf("bad --mode: exit %d, stderr %s", code, stderr)
	}
}

// TestCollectOUTreeDeniedIsAReportWarning: an organization whose OU tree cannot be read
// (ListOrganizationalUnitsForParent denied) is still collected, and the snapshot's report.json
// and text report say so, with the permission to grant, rather than only the collection's log.
func TestCollectOUTreeDeniedIsAReportWarning(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Aggregator: true, Unlimited: true,
		DenyOperations: []string{"*:ListOrganizationalUnitsForParent"}})
	awsEnv(t, srv, hs.URL)
	db := filepath.Join(t.TempDir(), "r.duckdb")
	code, stdout, stderr := call(t, "", "collect", "--db", db)
	if code != exitOK {
		t.Fatalf("collect: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	w := reportWarnings(t, reportJSON(t, db))
	if len(w) != 1 || !strings.HasPrefix(w[0], "ou_tree_unreadable: cannot read the organization's OU tree or account tags (AccessDeniedException on ListOrganizationalUnitsForParent)") ||
		!strings.Contains(w[0], "organizations:ListOrganizationalUnitsForParent") {
		t.Errorf("report.json coverage.warnings = %q; want the unreadable OU tree", w)
	}
	code, stdout, _ = call(t, "", "report", "--db", db, "--format", "text", "--out", "-")
	if code != exitOK || !strings.Contains(stdout, "Warnings (1):\n  ou_tree_unreadable: cannot read the organization's OU tree") {
		t.Errorf("text report: exit %d, no OU tree warning in:\n%s", code, stdout)
	}
}

// TestCollectRegionsMode: `collect --mode regions` reads every account through the administrator,
// region by region; a region where Security Hub is off is a gap in the coverage, not a failure:
// the snapshot is stored, partial, and the exit code is 3, as for any account/region not read.
func TestCollectRegionsMode(t *testing.T) {
	probe, err := demoaws.New(demoaws.Config{Accounts: 4}, fakeaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	off := probe.Regions()[len(probe.Regions())-1]
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 4}, fakeaws.Options{Aggregator: true, Unlimited: true, DisabledRegions: []string{"*:" + off}})
	awsEnv(t, srv, hs.URL)
	db := filepath.Join(t.TempDir(), "r.duckdb")
	code, stdout, stderr := call(t, "", "collect", "--db", db, "--mode", "regions")
	if code != exitPartial {
		t.Fatalf("collect --mode regions: exit %d, want %d\nstdout %s\nstderr %s", code, exitPartial, stdout, stderr)
	}
	if !regexp.MustCompile(`^snapshot 1: \d+ findings from 4 of 4 accounts`).MatchString(stdout) {
		t.Errorf("stdout %q", stdout)
	}
	code, stdout, _ = call(t, "", "report", "--db", db, "--format", "text", "--out", "-")
	if code != exitPartial || !strings.Contains(stdout, off) || !strings.Contains(stdout, "InvalidAccessException") {
		t.Errorf("report on the partial snapshot: exit %d, and the text report should name %s as not enabled:\n%s", code, off, stdout)
	}
}

// TestCollectShard: collect.aws.shard (here from the environment) picks the slice, --shard
// overrides it, and both are checked the same way.
func TestCollectShard(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 6}, fakeaws.Options{Unlimited: true})
	awsEnv(t, srv, hs.URL)
	collectWith := func(vars []string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"collect"}, args...), append([]string{"LOG_LEVEL=warn"}, vars...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	want := map[int]int{}
	for _, a := range srv.Accounts() {
		want[collect.ShardOf(a.AccountID, 2)+1]++
	}
	for _, c := range []struct {
		name  string
		vars  []string
		args  []string
		shard int
	}{
		{"environment", []string{"REPORTER_COLLECT_AWS_SHARD=1/2"}, nil, 1},
		{"the flag wins", []string{"REPORTER_COLLECT_AWS_SHARD=1/2"}, []string{"--shard", "2/2"}, 2},
	} {
		db := filepath.Join(t.TempDir(), "r.duckdb")
		code, stdout, stderr := collectWith(c.vars, append([]string{"--db", db, "--mode", "accounts"}, c.args...)...)
		if code != exitOK || !strings.Contains(stdout, fmt.Sprintf(" from %d of %d accounts", want[c.shard], want[c.shard])) {
			t.Errorf("%s: exit %d, stdout %q, want shard %d's %d accounts\n%s", c.name, code, stdout, c.shard, want[c.shard], stderr)
		}
	}
	for _, c := range []struct {
		vars []string
		args []string
		want string
	}{
		{nil, []string{"--shard", "3/2", "--mode", "accounts"}, `--shard "3/2": want i/n with 1 <= i <= n, e.g. 2/4`},
		{nil, []string{"--shard", "1/2"}, "--shard needs collect.source aws and collect.aws.mode accounts"},
		{[]string{"REPORTER_COLLECT_AWS_SHARD=1/2"}, nil, "collect.aws.shard needs collect.source aws and collect.aws.mode accounts"},
		{[]string{"REPORTER_COLLECT_AWS_SHARD=2-of-2"}, []string{"--mode", "accounts"}, "collect.aws.shard"},
		// A shard dated in the future is refused before it collects, naming the value.
		{[]string{"REPORTER_COLLECT_AWS_SHARD=1/2", "REPORTER_COLLECT_AWS_SHARD_STARTED_AT=2099-01-01T00:00:00Z"},
			[]string{"--mode", "accounts"}, "collect.aws.shard_started_at: snapshot taken at 2099-01-01T00:00:00Z"},
	} {
		args := append([]string{"--db", filepath.Join(t.TempDir(), "r.duckdb")}, c.args...)
		if code, _, stderr := collectWith(c.vars, args...); code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v %v: exit %d, stderr %s; want %d and %q", c.vars, c.args, code, stderr, exitUsage, c.want)
		}
	}
}

// TestConfiguredOrganizationWins: the demo source carries its own name (acme-corp), and a run
// used to mail "[acme-corp] ..." whatever the configuration said. The configured name wins in
// the stored snapshot, the report and the email subject; unset, the demo keeps its own.
func TestConfiguredOrganizationWins(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true, SESVerifiedIdentities: []string{"example.com"}})
	awsEnv(t, srv, hs.URL)
	for i, c := range []struct{ line, want string }{
		{"organization: Example Corp\n", "Example Corp"},
		{"", "acme-corp"},
	} {
		work := t.TempDir()
		cfgPath := filepath.Join(work, "reporter.yaml")
		yml := c.line + `store: {path: ` + filepath.Join(work, "r.duckdb") + `}
collect: {source: demo}
report: {formats: [json], out: ` + filepath.Join(work, "out") + `}
deliver:
  email: {transport: ses, from: compliance@example.com, to: [ciso@example.com]}
`
		if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, stdout, stderr := call(t, "", "run", "--config", cfgPath); code != exitOK {
			t.Fatalf("%q: run exit %d\n%s%s", c.want, code, stdout, stderr)
		}
		mails := srv.SentEmails()
		if len(mails) != i+1 {
			t.Fatalf("%d emails sent, want %d", len(mails), i+1)
		}
		p, err := mailtest.Parse(mails[i].Raw)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.Subject, "["+c.want+"] Security Hub compliance ") {
			t.Errorf("subject %q, want it to name %s", p.Subject, c.want)
		}
		if snaps := snapshotsOf(t, filepath.Join(work, "r.duckdb")); len(snaps) != 1 || snaps[0].Organization != c.want {
			t.Errorf("stored %+v, want organization %s", snaps, c.want)
		}
		js, err := os.ReadFile(filepath.Join(work, "out", "report.json"))
		if err != nil || !strings.Contains(string(js), `"organization": "`+c.want+`"`) {
			t.Errorf("report.json (%v) does not name %s:\n%.300s", err, c.want, js)
		}
	}
}

// TestCollectMalformedFindingIsPartial: one finding from the API that cannot be stored is left
// out and counted; the rest of the collection is stored, the snapshot is partial (exit 3) and the
// report names the pair, the count and the first error.
func TestCollectMalformedFindingIsPartial(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Aggregator: true, Unlimited: true, MalformedFindings: 1})
	awsEnv(t, srv, hs.URL)
	db := filepath.Join(t.TempDir(), "r.duckdb")
	code, stdout, stderr := call(t, "", "collect", "--db", db, "--mode", "accounts")
	if code != exitPartial {
		t.Fatalf("collect: exit %d, want %d\nstdout %s\nstderr %s", code, exitPartial, stdout, stderr)
	}
	active := 0
	for _, f := range srv.Findings() {
		if f.RecordState == "ACTIVE" {
			active++
		}
	}
	if want := fmt.Sprintf("snapshot 1: %d findings from 3 of 3 accounts", active-1); !strings.HasPrefix(stdout, want) {
		t.Errorf("stdout %q, want it to start %q", stdout, want)
	}
	if !strings.Contains(stderr, "malformed finding skipped") || !strings.Contains(stderr, "field Id") {
		t.Errorf("the malformed finding was not logged:\n%s", stderr)
	}
	code, stdout, _ = call(t, "", "report", "--db", db, "--format", "text", "--out", "-")
	if code != exitPartial || !strings.Contains(stdout, "1 malformed finding(s) left out; the first: finding") {
		t.Errorf("report: exit %d, want %d and the malformed finding in the coverage section:\n%s", code, exitPartial, stdout)
	}
}
