package collect_test

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

var retrieved = time.Date(2026, 2, 3, 10, 0, 0, 0, time.UTC)

func refresh(t *testing.T, srv *fakeaws.Server, url string) (*catalog.File, []byte) {
	t.Helper()
	f, err := collect.RefreshCatalog(context.Background(), awsConfig(srv, url),
		collect.RefreshOptions{Quota: collect.Unpaced, Retrieved: retrieved})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := catalog.WriteFile(&buf, f); err != nil {
		t.Fatal(err)
	}
	return f, buf.Bytes()
}

func allIDs(c *catalog.Catalog) []string {
	var ids []string
	for _, s := range c.Standards {
		ids = append(ids, s.ID)
	}
	return ids
}

// TestRefreshCatalogReadsWhatTheEmulatorServes: the emulator serves the built-in catalog through
// the real SDK client, so a refresh must give back that catalog, control by control, standard
// membership included, and the same bytes twice.
func TestRefreshCatalogReadsWhatTheEmulatorServes(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Unlimited: true})
	f, first := refresh(t, srv, hs.URL)
	def, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}

	if !strings.Contains(f.Source, srv.AdministratorAccount()) || !strings.Contains(f.Source, srv.HomeRegion()) {
		t.Errorf("source %q should name account %s and region %s", f.Source, srv.AdministratorAccount(), srv.HomeRegion())
	}
	if key := fakeaws.AccessKeyFor(srv.AdministratorAccount()); bytes.Contains(first, []byte(key)) {
		t.Errorf("the catalog file carries credentials")
	}
	if f.Retrieved != "2026-02-03" {
		t.Errorf("retrieved %q", f.Retrieved)
	}
	if len(f.Standards) != len(def.Standards) || len(f.Controls) != len(def.Controls) {
		t.Fatalf("%d standards and %d controls, want the built-in %d and %d", len(f.Standards), len(f.Controls), len(def.Standards), len(def.Controls))
	}
	for _, s := range f.Standards {
		k, ok := def.Standard(s.ID)
		_, slug := collect.StandardKeys(s.ID)
		if !ok || s.Key != k.Key || s.Name != k.Name || s.ShortName != k.ShortName || s.Slug != slug {
			t.Errorf("standard %+v, want key %q name %q short name %q slug %q", s, k.Key, k.Name, k.ShortName, slug)
		}
	}
	if got, want := len(f.Legacy), len(def.Legacy()); got != want || want == 0 {
		t.Errorf("%d legacy ids kept, want %d", got, want)
	}

	// Loaded back, it is the built-in catalog: the same per-snapshot rows for every standard,
	// and legacy ids still map.
	back, err := catalog.ParseFile(bytes.NewReader(first), "refreshed")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.FromFile(back)
	if err != nil {
		t.Fatal(err)
	}
	gotStd, gotCtl := cat.ForSnapshot(allIDs(def))
	wantStd, wantCtl := def.ForSnapshot(allIDs(def))
	if !reflect.DeepEqual(gotStd, wantStd) {
		t.Errorf("standards differ:\n got %+v\nwant %+v", gotStd, wantStd)
	}
	if len(gotCtl) != len(wantCtl) {
		t.Fatalf("%d standard/control rows, want %d", len(gotCtl), len(wantCtl))
	}
	for i := range wantCtl {
		if !reflect.DeepEqual(gotCtl[i], wantCtl[i]) {
			t.Errorf("row %d: got %+v, want %+v", i, gotCtl[i], wantCtl[i])
			break
		}
	}
	for _, c := range def.Controls {
		got, _ := cat.Control(c.ID)
		if got.Global != c.Global || got.ResourceType != c.ResourceType {
			t.Errorf("control %s: scope/resource type %v %q, want %v %q", c.ID, got.Global, got.ResourceType, c.Global, c.ResourceType)
		}
	}
	if id, ok := cat.SecurityControlID("standards/pci-dss/v/3.2.1", "PCI.CloudTrail.1"); !ok || id != "CloudTrail.2" {
		t.Errorf("legacy PCI.CloudTrail.1 maps to %q %v", id, ok)
	}

	st := srv.Stats()
	if st.Requests["DescribeStandards"] == 0 || st.Requests["ListStandardsControlAssociations"] != len(def.Controls) ||
		st.Requests["ListSecurityControlDefinitions"] < len(def.Standards)+1 {
		t.Errorf("requests %v: want DescribeStandards, one ListStandardsControlAssociations per control (%d) and the definitions of all and of each standard",
			st.Requests, len(def.Controls))
	}

	_, second := refresh(t, srv, hs.URL)
	if !bytes.Equal(first, second) {
		t.Errorf("two refreshes of the same account differ")
	}
}

// smallCatalog is a catalog AWS could serve and the built-in one does not: a standard it lacks
// (PCI DSS v4.1.0, enabled nowhere), a control only that standard has, and new wording and
// severity for S3.1.
func smallCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	f := &catalog.File{
		Standards: []catalog.FileStandard{
			{Key: "fsbp", ID: "standards/aws-foundational-security-best-practices/v/1.0.0", Name: "AWS Foundational Security Best Practices v1.0.0", ShortName: "AWS FSBP v1.0"},
			{Key: "cis5", ID: "standards/cis-aws-foundations-benchmark/v/5.0.0", Name: "CIS AWS Foundations Benchmark v5.0", ShortName: "CIS v5.0"},
			{Key: "pci321", ID: "standards/pci-dss/v/3.2.1", Name: "PCI DSS v3.2.1", ShortName: "PCI DSS v3.2.1"},
			{Key: "nist53r5", ID: "standards/nist-800-53/v/5.0.0", Name: "NIST SP 800-53 Revision 5", ShortName: "NIST 800-53 r5"},
			{Key: "p401", ID: "standards/pci-dss/v/4.1.0", Name: "PCI DSS v4.1.0", ShortName: "PCI DSS v4.1.0"},
		},
		Controls: []catalog.FileControl{
			{ID: "S3.1", Title: "S3 general purpose buckets should have block public access settings enabled", Severity: "CRITICAL", Scope: "regional", Standards: []string{"fsbp", "pci321", "p401"}},
			{ID: "IAM.6", Title: "Hardware MFA should be enabled for the root user", Severity: "CRITICAL", Scope: "global", Standards: []string{"cis5", "nist53r5"}},
			{ID: "S3.25", Title: "S3 directory buckets should have lifecycle configurations", Severity: "LOW", Scope: "regional", Standards: []string{"p401"}},
		},
	}
	for i := range f.Standards {
		_, f.Standards[i].Slug = collect.StandardKeys(f.Standards[i].ID)
	}
	c, err := catalog.FromFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRefreshCatalogNewStandardAndThrottling: a standard the catalog in use does not know gets
// keys derived from its ARN, its members come from its definitions although no account enabled
// it, and throttling and server errors are retried without changing a byte.
func TestRefreshCatalogNewStandardAndThrottling(t *testing.T) {
	served := smallCatalog(t)
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2, Catalog: served}, fakeaws.Options{Unlimited: true})
	f, clean := refresh(t, srv, hs.URL)
	var p401 *catalog.FileStandard
	for i, s := range f.Standards {
		if s.ID == "standards/pci-dss/v/4.1.0" {
			p401 = &f.Standards[i]
		}
	}
	if p401 == nil || p401.Key != "pci-dss-4.1.0" || p401.Slug != "pci-dss-v4.1.0" || p401.Name != "PCI DSS v4.1.0" {
		t.Fatalf("PCI DSS v4.1.0 read as %+v, want key pci-dss-4.1.0, slug pci-dss-v4.1.0", p401)
	}
	byID := map[string]catalog.FileControl{}
	for _, c := range f.Controls {
		byID[c.ID] = c
	}
	if c := byID["S3.1"]; c.Severity != "CRITICAL" || !strings.HasPrefix(c.Title, "S3 general purpose") ||
		!reflect.DeepEqual(c.Standards, []string{"fsbp", "pci-dss-4.1.0", "pci321"}) {
		t.Errorf("S3.1 read as %+v", c)
	}
	if c := byID["S3.25"]; !reflect.DeepEqual(c.Standards, []string{"pci-dss-4.1.0"}) || c.Scope != "regional" {
		t.Errorf("S3.25, only in a standard nobody enabled, read as %+v", c)
	}
	// IAM.6 is global in the built-in catalog too: kept, since the API does not say.
	if c := byID["IAM.6"]; c.Scope != "global" || !slices.Equal(c.Standards, []string{"cis5", "nist53r5"}) {
		t.Errorf("IAM.6 read as %+v", c)
	}

	faulty, fhs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2, Catalog: served}, fakeaws.Options{Unlimited: true, ThrottleRate: 0.3, ServerErrorRate: 0.15, FaultSeed: 1})
	_, got := refresh(t, faulty, fhs.URL)
	if st := faulty.Stats(); st.Throttled == 0 || st.ServerErrors == 0 {
		t.Errorf("no fault was injected (%+v): the test proves nothing", st)
	}
	if !bytes.Equal(got, clean) {
		t.Errorf("a refresh through throttling and server errors differs from a clean one")
	}
}

func TestStandardKeys(t *testing.T) {
	for _, c := range []struct{ in, key, slug string }{
		{"standards/pci-dss/v/4.0.1", "pci-dss-4.0.1", "pci-dss-v4.0.1"},
		{"arn:aws:securityhub:eu-west-1::standards/nist-800-171/v/2.0.0", "nist-800-171-2.0.0", "nist-800-171-v2.0.0"},
		{"arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0", "cis-aws-foundations-benchmark-1.2.0", "cis-aws-foundations-benchmark-v1.2.0"},
		{"standards/aws-resource-tagging-standard/v/1.0.0", "aws-resource-tagging-standard-1.0.0", "aws-resource-tagging-standard-v1.0.0"},
		{"standards/service-managed-aws-control-tower/v/1.0.0", "service-managed-aws-control-tower-1.0.0", "service-managed-aws-control-tower-v1.0.0"},
		{"standards/some/new-thing", "some-new-thing", "some-new-thing"},
	} {
		if key, slug := collect.StandardKeys(c.in); key != c.key || slug != c.slug {
			t.Errorf("StandardKeys(%q) = %q, %q; want %q, %q", c.in, key, slug, c.key, c.slug)
		}
	}
}

// TestRefreshCatalogAssumesTheConfiguredRole: with collect.aws.assume_role_arn the catalog is read
// as that role, and the file names the role's account, not the one whose keys started the chain.
func TestRefreshCatalogAssumesTheConfiguredRole(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3, Catalog: smallCatalog(t)}, fakeaws.Options{Unlimited: true})
	member := srv.Accounts()[1].AccountID
	if member == srv.AdministratorAccount() {
		member = srv.Accounts()[2].AccountID
	}
	cfg := awsConfig(srv, hs.URL)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(fakeaws.AccessKeyFor(member), "secret", "")
	for _, c := range []struct{ role, want string }{
		{"", member},
		{"arn:aws:iam::" + srv.AdministratorAccount() + ":role/SecurityReader", srv.AdministratorAccount()},
	} {
		f, err := collect.RefreshCatalog(context.Background(), cfg, collect.RefreshOptions{Quota: collect.Unpaced, AssumeRoleARN: c.role})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(f.Source, "account "+c.want+" ") {
			t.Errorf("role %q: source %q, want account %s", c.role, f.Source, c.want)
		}
	}
	if n := srv.Stats().Requests["AssumeRole"]; n != 1 {
		t.Errorf("%d AssumeRole calls, want 1", n)
	}
}
