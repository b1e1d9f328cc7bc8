package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

// refreshedCatalog is what a live account might serve that the embedded catalog does not say:
// other wording (every title ends in "(refreshed)") and severities, and a standard it lacks.
func refreshedCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	std := func(key, id, name string) catalog.FileStandard {
		_, slug := collect.StandardKeys(id)
		return catalog.FileStandard{Key: key, ID: id, Name: name, ShortName: name, Slug: slug}
	}
	ctl := func(id, severity, resource, scope string, stds ...string) catalog.FileControl {
		return catalog.FileControl{ID: id, Title: id + " as AWS words it now (refreshed)", Severity: severity,
			ResourceType: resource, Scope: scope, Standards: stds}
	}
	c, err := catalog.FromFile(&catalog.File{
		Standards: []catalog.FileStandard{
			std("fsbp", "standards/aws-foundational-security-best-practices/v/1.0.0", "AWS Foundational Security Best Practices v1.0.0"),
			std("cis5", "standards/cis-aws-foundations-benchmark/v/5.0.0", "CIS AWS Foundations Benchmark v5.0"),
			std("pci321", "standards/pci-dss/v/3.2.1", "PCI DSS v3.2.1"),
			std("nist53r5", "standards/nist-800-53/v/5.0.0", "NIST SP 800-53 Revision 5"),
			std("p401", "standards/pci-dss/v/4.0.1", "PCI DSS v4.0.1"),
		},
		Controls: []catalog.FileControl{
			ctl("S3.1", "CRITICAL", "AwsS3Bucket", "regional", "fsbp", "cis5", "pci321", "nist53r5", "p401"),
			ctl("EC2.2", "LOW", "AwsEc2SecurityGroup", "regional", "fsbp", "cis5", "nist53r5"),
			ctl("IAM.6", "HIGH", "AwsAccount", "global", "fsbp", "cis5", "nist53r5"),
			ctl("CloudTrail.2", "LOW", "AwsCloudTrailTrail", "regional", "fsbp", "pci321", "nist53r5"),
			ctl("RDS.3", "HIGH", "AwsRdsDbInstance", "regional", "fsbp", "nist53r5", "p401"),
			ctl("GuardDuty.1", "CRITICAL", "AwsAccount", "regional", "fsbp", "pci321", "nist53r5"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCatalogRefreshRoundTrip: `catalog refresh` reads the emulator's catalog over HTTP with the
// SDK, writes the same bytes twice (file and stdout alike, mode 0640), and a report on findings
// imported with catalog.path naming that file shows that catalog's titles, severities and
// controls, where the same import without it shows the embedded ones.
func TestCatalogRefreshRoundTrip(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3, Catalog: refreshedCatalog(t)}, fakeaws.Options{Unlimited: true})
	awsEnv(t, srv, hs.URL)
	work := t.TempDir()
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

	out := filepath.Join(work, "catalog.json")
	if code, stdout, stderr := callAt(t, now, "", "catalog", "refresh", "--out", out); code != exitOK {
		t.Fatalf("catalog refresh: exit %d\n%s\n%s", code, stdout, stderr)
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != reportFileMode {
		t.Errorf("catalog written with mode %v, want %v", fi.Mode().Perm(), os.FileMode(reportFileMode))
	}
	code, stdout, stderr := callAt(t, now, "", "catalog", "refresh", "--out", "-")
	if code != exitOK || stdout != string(first) {
		t.Errorf("catalog refresh --out -: exit %d, and stdout should be the file's bytes (%d vs %d bytes)\n%s", code, len(stdout), len(first), stderr)
	}
	f, err := catalog.ParseFile(bytes.NewReader(first), out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.Source, srv.AdministratorAccount()) || !strings.Contains(f.Source, srv.HomeRegion()) || f.Retrieved != "2026-03-04" {
		t.Errorf("source %q retrieved %q: want account %s, region %s, 2026-03-04", f.Source, f.Retrieved, srv.AdministratorAccount(), srv.HomeRegion())
	}
	if len(f.Controls) != 6 || len(f.Standards) != 5 {
		t.Errorf("%d controls and %d standards, want the emulator's 6 and 5", len(f.Controls), len(f.Standards))
	}

	// The emulator's findings, exported as the CLI would, imported with and without catalog.path.
	findings := filepath.Join(work, "findings.json")
	var buf bytes.Buffer
	if err := fakeaws.EncodeFindings(&buf, srv.Findings()); err != nil || os.WriteFile(findings, buf.Bytes(), 0o600) != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(work, "reporter.yaml")
	if err := os.WriteFile(cfg, []byte("catalog:\n  path: "+out+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	type report struct {
		Standards []map[string]any `json:"standards"`
		Top       []struct {
			ControlID string `json:"control_id"`
			Title     string `json:"title"`
			Severity  string `json:"severity"`
		} `json:"top_failed_controls"`
	}
	reportWith := func(config ...string) report {
		db := filepath.Join(t.TempDir(), "r.duckdb")
		args := append([]string{"import", "--db", db}, config...)
		if code, stdout, stderr := call(t, "", append(args, findings)...); code != exitOK {
			t.Fatalf("import %v: exit %d\n%s\n%s", config, code, stdout, stderr)
		}
		code, stdout, stderr := call(t, "", append([]string{"report", "--db", db, "--format", "json", "--out", "-"}, config...)...)
		if code != exitOK && code != exitPartial {
			t.Fatalf("report %v: exit %d\n%s", config, code, stderr)
		}
		var r report
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	controlsCounted := func(stds []map[string]any) (n int) {
		for _, s := range stds {
			for _, k := range []string{"passed", "failed", "unknown", "no_data"} {
				v, _ := s[k].(float64)
				n += int(v)
			}
		}
		return n
	}

	refreshed := reportWith("--config", cfg)
	embedded := reportWith()
	served, err := catalog.FromFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(refreshed.Top) == 0 {
		t.Fatalf("no failed control in the emulator's estate: the comparison proves nothing: %+v %+v", refreshed, embedded)
	}
	for _, c := range refreshed.Top {
		want, _ := served.Control(c.ControlID)
		if c.Title != want.Title || c.Severity != want.Severity {
			t.Errorf("with catalog.path, %s is %q %s, want the refreshed file's %q %s", c.ControlID, c.Title, c.Severity, want.Title, want.Severity)
		}
	}
	for _, c := range embedded.Top {
		if strings.HasSuffix(c.Title, "(refreshed)") {
			t.Errorf("without catalog.path, %s has the refreshed title %q", c.ControlID, c.Title)
		}
	}
	// Every control of every reported standard is counted: the refreshed file's few, or the
	// embedded catalog's hundreds.
	if n, e := controlsCounted(refreshed.Standards), controlsCounted(embedded.Standards); n == 0 || n > 4*6 || e < 100 {
		t.Errorf("controls counted over the standards: %d with catalog.path (at most 24), %d without (hundreds)", n, e)
	}
}

// TestBadCatalogPathIsAUsageError: a catalog.path that is missing, not JSON, or not a usable
// catalog stops any command with exit 2, naming the key and the file.
func TestBadCatalogPathIsAUsageError(t *testing.T) {
	work := t.TempDir()
	notJSON := filepath.Join(work, "not-json.json")
	unknownKey := filepath.Join(work, "unknown-standard.json")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(notJSON, []byte("control_id,title\nS3.1,x\n"), 0o600))
	must(os.WriteFile(unknownKey, []byte(`{"source":"x","retrieved":"2026-01-01","retired":[],"legacy":[],
"standards":[{"key":"fsbp","id":"standards/aws-foundational-security-best-practices/v/1.0.0","name":"AWS FSBP","short_name":"FSBP","slug":"aws-foundational-security-best-practices-v1.0.0"}],
"controls":[{"id":"S3.1","title":"t","severity":"HIGH","scope":"regional","standards":["nope"]}]}`), 0o600))
	for _, c := range []struct{ path, want string }{
		{filepath.Join(work, "missing.json"), "no such file"},
		{notJSON, "invalid character"},
		{unknownKey, `unknown standard key "nope"`},
		{work, "is a directory"},
	} {
		cfg := filepath.Join(t.TempDir(), "reporter.yaml")
		must(os.WriteFile(cfg, []byte("catalog:\n  path: "+c.path+"\n"), 0o600))
		for _, cmd := range [][]string{{"snapshots"}, {"import", "-"}, {"catalog", "refresh", "--out", "-"}} {
			args := append([]string{cmd[0]}, append(cmd[1:], "--config", cfg)...)
			if cmd[0] == "import" {
				args = []string{"import", "--config", cfg, "-"}
			}
			code, _, stderr := call(t, "[]", args...)
			if code != exitUsage || !strings.Contains(stderr, "catalog.path") || !strings.Contains(stderr, c.path) || !strings.Contains(stderr, c.want) {
				t.Errorf("%v with catalog.path %s: exit %d, stderr %q; want %d naming catalog.path, the file and %q",
					cmd, c.path, code, stderr, exitUsage, c.want)
			}
		}
	}
	for _, args := range [][]string{{"catalog"}, {"catalog", "update"}, {"catalog", "refresh"}, {"catalog", "refresh", "--out", "x", "extra"}} {
		if code, _, stderr := call(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitUsage, stderr)
		}
	}
}
