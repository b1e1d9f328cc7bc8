package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/report"
)

// TestReportForOneOU: the demo writes a routed PDF and workbook per OU; `report --ou` writes the
// report of one OU's accounts only, and a bad scope is a usage error naming the flag.
func TestReportForOneOU(t *testing.T) {
	dir := smallDemo(t)
	var org report.Report
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &org); err != nil {
		t.Fatal(err)
	}
	if len(org.OrganizationalUnits) == 0 {
		t.Fatal("the demo has no OU")
	}
	ou := org.OrganizationalUnits[0]
	for _, f := range []string{"report.pdf", "report.xlsx"} {
		p := filepath.Join(dir, "routes", "ou-"+strings.ToLower(strings.ReplaceAll(ou.Path, "/", "-")), f)
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("the demo's routed %s: %v", p, err)
		}
	}
	code, stdout, stderr := call(t, "", "report", "--db", filepath.Join(dir, "r.duckdb"), "--ou", ou.Path, "--format", "json", "--out", "-")
	if code != exitOK && code != exitPartial {
		t.Fatalf("report --ou %s: exit %d: %s", ou.Path, code, stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Scope == nil || r.Scope.Name != ou.Path || len(r.Accounts) != ou.Accounts || r.Snapshot.AccountsExpected != ou.Accounts {
		t.Fatalf("scope %+v, %d accounts (snapshot %+v); want %s with %d", r.Scope, len(r.Accounts), r.Snapshot, ou.Path, ou.Accounts)
	}
	if r.SummaryScore == nil || ou.SummaryScore == nil || *r.SummaryScore != *ou.SummaryScore {
		t.Errorf("summary score %v, the organization's scorecard of %s says %v", r.SummaryScore, ou.Path, ou.SummaryScore)
	}
	for _, a := range r.Accounts {
		if a.OU != ou.Path && !strings.HasPrefix(a.OU, ou.Path+"/") {
			t.Errorf("account %s of %s in the report of %s", a.AccountID, a.OU, ou.Path)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ou", "Nowhere"}, "--ou: Nowhere matches no account of any stored snapshot"},
		{[]string{"--tag", "team=x"}, `--tag: "team" is not stored with accounts`},
		{[]string{"--ou", ou.Path, "--route", "0"}, "alternatives"},
		{[]string{"--route", "0"}, "deliver.email.routes has 0 route(s)"},
		{[]string{"--ou", ou.Path, "--format", "evidence"}, "evidence package holds the whole snapshot"},
	} {
		code, _, stderr := call(t, "", append([]string{"report", "--db", filepath.Join(dir, "r.duckdb"), "--out", t.TempDir()}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %s; want 2 saying %q", c.args, code, stderr, c.want)
		}
	}
}
