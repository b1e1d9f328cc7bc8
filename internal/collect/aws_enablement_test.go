package collect_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/model"
)

const fsbpID = "standards/aws-foundational-security-best-practices/v/1.0.0"

// rowsOf renders disabled rows as sorted "account region standard control source reason" lines.
func rowsOf(ds []model.DisabledControl) []string {
	var out []string
	for _, d := range ds {
		out = append(out, strings.Join([]string{d.AccountID, d.Region, d.StandardID, d.ControlID, d.Source, d.Reason}, " "))
	}
	slices.Sort(out)
	return out
}

// expand is the expected rows of a control disabled in account in regions: one per standard the
// plan lists the control in (or only std when set).
func expand(plan *collect.AWSPlan, account string, regions []string, std, control, source, reason string) []string {
	var out []string
	for _, r := range regions {
		for _, c := range plan.Controls {
			if c.ControlID == control && !c.Disabled && (std == "" || c.StandardID == std) {
				out = append(out, strings.Join([]string{account, r, c.StandardID, control, source, reason}, " "))
			}
		}
	}
	return out
}

// TestAWSAssociationsAccountsMode: in accounts mode every account/region's control associations
// are read with BatchGetStandardsControlAssociations, in batches of 100, and the disabled ones
// are stored with the snapshot, per standard, with AWS's reason.
func TestAWSAssociationsAccountsMode(t *testing.T) {
	probe, _ := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Unlimited: true})
	accts := probe.Accounts()
	disabled := []fakeaws.DisabledControl{
		{Account: accts[1].AccountID, ControlID: "IAM.6", Reason: "root access managed centrally"},
		{Account: accts[2].AccountID, Region: "eu-west-1", Standard: fsbpID, ControlID: "S3.1", Reason: "sandbox, EXC-1"},
	}
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Aggregator: true, Unlimited: true, DisabledControls: disabled})
	got, plan, err := collectWith(t, t.Context(), srv, hs.URL, collect.AWSOptions{Mode: collect.ModeAccounts})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(srv.Regions(), "eu-west-1") {
		t.Fatalf("the emulator has no eu-west-1: %v", srv.Regions())
	}
	want := slices.Concat(expand(plan, accts[1].AccountID, plan.Regions, "", "IAM.6", model.DisabledByAssociation, "root access managed centrally"),
		expand(plan, accts[2].AccountID, []string{"eu-west-1"}, fsbpID, "S3.1", model.DisabledByAssociation, "sandbox, EXC-1"))
	slices.Sort(want)
	if len(want) < len(plan.Regions)+1 {
		t.Fatalf("the plan does not list IAM.6 and S3.1: %d expected rows", len(want))
	}
	if g := rowsOf(got.Disabled); fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("disabled rows:\n got %q\nwant %q", g, want)
	}
	for _, c := range got.Coverage {
		if c.Status != model.CoverageCollected || c.Reason != "" {
			t.Errorf("coverage %+v: want collected, no reason", c)
		}
	}
	// Batches of up to 100 associations: ceil(controls / 100) calls per account and region. The
	// emulator counts requests as they arrive, so a request the SDK's retryer sent again (under
	// -race on a loaded machine a connection is now and then cut mid-body) counts twice: up to one
	// retry per pair is allowed, far less than smaller batches would add (50 a call: twice as many).
	n := 0
	for _, c := range plan.Controls {
		if !c.Disabled {
			n++
		}
	}
	pairs := len(plan.Accounts) * len(plan.Regions)
	if calls, want := srv.Stats().Requests["BatchGetStandardsControlAssociations"], pairs*((n+99)/100); calls < want || calls > want+pairs {
		t.Errorf("%d BatchGetStandardsControlAssociations calls, want %d (%d pairs x %d associations / 100), at most %d with retries", calls, want, pairs, n, want+pairs)
	}
}

// TestAWSAssociationsDeniedFallsBack: when the associations cannot be read (the member role lacks
// the action), the pair is still collected with every finding, no control is taken as disabled,
// and the pair's coverage says its enablement is unknown.
func TestAWSAssociationsDeniedFallsBack(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Aggregator: true, Unlimited: true, DenyOperations: []string{"*:BatchGetStandardsControlAssociations"}})
	got, _, err := collectWith(t, t.Context(), srv, hs.URL, collect.AWSOptions{Mode: collect.ModeAccounts})
	if err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, activeFindings(srv), got.Findings)
	if len(got.Disabled) != 0 {
		t.Errorf("%d disabled rows read from a denied API", len(got.Disabled))
	}
	if len(got.Coverage) == 0 {
		t.Fatal("no coverage")
	}
	for _, c := range got.Coverage {
		if c.Status != model.CoverageCollected || !strings.HasPrefix(c.Reason, "control enablement not read: ") || !strings.Contains(c.Reason, "AccessDenied") {
			t.Errorf("coverage %+v: want collected, with the enablement unknown because access is denied", c)
		}
	}
}

// TestAWSCentralConfiguration: in aggregator mode the disabled controls come from the
// administrator's configuration policies: a root policy disabling two controls (inherited by
// every account), an account's own policy enabling only one control (every other disabled), and a
// self-managed account, whose enablement is unknown and said so. Accounts mode against the same
// organization reads the same disablements from the associations the policies set.
func TestAWSCentralConfiguration(t *testing.T) {
	probe, _ := demoaws.NewTestServer(t, demoaws.Config{Accounts: 4}, fakeaws.Options{Unlimited: true})
	accts := probe.Accounts()
	only, self := accts[1].AccountID, accts[2].AccountID
	cc := &fakeaws.CentralConfiguration{
		Policies: []fakeaws.ConfigurationPolicy{
			{ID: "p-base", Name: "baseline", ServiceEnabled: true, DisabledControls: []string{"IAM.6", "S3.1"}},
			{ID: "p-min", Name: "minimal", ServiceEnabled: true, EnabledControls: []string{"S3.1"}},
		},
		Associations: map[string]string{fakeaws.RootID: "p-base", only: "p-min", self: fakeaws.SelfManaged},
	}
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 4}, fakeaws.Options{Aggregator: true, Unlimited: true, CentralConfiguration: cc})
	got, plan, err := collectWith(t, t.Context(), srv, hs.URL, collect.AWSOptions{Mode: collect.ModeAggregator})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range plan.Accounts {
		switch a.AccountID {
		case self:
		case only:
			for _, c := range plan.Controls {
				if c.ControlID != "S3.1" && !c.Disabled {
					want = append(want, expand(plan, only, plan.AggregatorRegions, c.StandardID, c.ControlID, model.DisabledByCentralConfiguration, "configuration policy minimal")...)
				}
			}
		default:
			for _, id := range []string{"IAM.6", "S3.1"} {
				want = append(want, expand(plan, a.AccountID, plan.AggregatorRegions, "", id, model.DisabledByCentralConfiguration, "configuration policy baseline")...)
			}
		}
	}
	slices.Sort(want)
	want = slices.Compact(want)
	if g := rowsOf(got.Disabled); fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("disabled rows: got %d, want %d; first differences:\n got %.600q\nwant %.600q", len(g), len(want), g, want)
	}
	for _, c := range got.Coverage {
		unknown := strings.HasPrefix(c.Reason, "control enablement not read: the account is self-managed")
		if c.Status == model.CoverageCollected && unknown != (c.AccountID == self) {
			t.Errorf("coverage %+v: the enablement is unknown only in the self-managed account %s", c, self)
		}
	}

	// Accounts mode reads the associations the policies set: the same controls, from the other source.
	acc, accPlan, err := collectWith(t, t.Context(), srv, hs.URL, collect.AWSOptions{Mode: collect.ModeAccounts})
	if err != nil {
		t.Fatal(err)
	}
	strip := func(rows []model.DisabledControl, account string) []string {
		var out []string
		for _, d := range rows {
			if d.AccountID == account {
				out = append(out, d.Region+" "+d.StandardID+" "+d.ControlID)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, a := range accPlan.Accounts {
		if a.AccountID == self {
			continue
		}
		if g, w := strip(acc.Disabled, a.AccountID), strip(got.Disabled, a.AccountID); fmt.Sprint(g) != fmt.Sprint(w) || len(w) == 0 {
			t.Errorf("account %s: associations say %d disabled, central configuration %d", a.AccountID, len(g), len(w))
		}
	}
}

// TestAWSCentralConfigurationNotInUse: an organization configured locally gives aggregator mode no
// enablement to read: no control is taken as disabled, and every collected pair says why.
func TestAWSCentralConfigurationNotInUse(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Aggregator: true, Unlimited: true})
	got, _, err := collectWith(t, t.Context(), srv, hs.URL, collect.AWSOptions{Mode: collect.ModeAggregator})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Disabled) != 0 {
		t.Errorf("%d disabled rows without central configuration", len(got.Disabled))
	}
	n := 0
	for _, c := range got.Coverage {
		if c.Status != model.CoverageCollected {
			continue
		}
		n++
		if !strings.Contains(c.Reason, "central configuration is not in use") {
			t.Errorf("coverage %+v does not say the enablement is unknown", c)
		}
	}
	if n == 0 {
		t.Fatal("no collected pair")
	}
	if srv.Stats().Requests["ListConfigurationPolicies"] != 0 {
		t.Error("policies listed although the organization is configured locally")
	}
}
