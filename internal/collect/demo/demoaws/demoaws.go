// Package demoaws is the demo organization (internal/collect/demo) as the AWS emulator's estate:
// it converts the product's accounts, findings, catalog and disabled controls into the emulator's
// own types (internal/fakeaws/estate), which the emulator serves without importing the product.
// cmd/fakeaws and the tests that run the real SDK clients against the emulator use it.
package demoaws

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/model"
)

// Defaults of Config.
const (
	DefaultAccounts = 20
	DefaultSeed     = fakeaws.DefaultSeed
)

// Config selects the demo estate. Zero values take the defaults.
type Config struct {
	Accounts           int   // default 20
	FindingsPerAccount int   // 0: what the demo generates
	Seed               int64 // default 1
	// Catalog is the control catalog the emulated Security Hub describes and the findings are
	// drawn from; nil: catalog.Default().
	Catalog *catalog.Catalog
}

// Estate builds the demo organization as of one day, deterministic for a given Config: its
// accounts (ACTIVE, plus two SUSPENDED ones without findings, so a collector must filter by
// status), their findings, the catalog and the controls the demo disables. It takes about 50 ms
// for 20 accounts.
func Estate(cfg Config) (*fakeaws.Estate, error) {
	if cfg.Accounts == 0 {
		cfg.Accounts = DefaultAccounts
	}
	if cfg.Seed == 0 {
		cfg.Seed = DefaultSeed
	}
	switch {
	case cfg.Accounts < 0:
		return nil, &fakeaws.OptionsError{Field: "Accounts", Reason: fmt.Sprintf("%d is negative", cfg.Accounts)}
	case cfg.FindingsPerAccount < 0:
		return nil, &fakeaws.OptionsError{Field: "FindingsPerAccount", Reason: fmt.Sprintf("%d is negative", cfg.FindingsPerAccount)}
	}
	cat := cfg.Catalog
	if cat == nil {
		var err error
		if cat, err = catalog.Default(); err != nil {
			return nil, fmt.Errorf("demoaws: %w", err)
		}
	}
	org, err := demo.New(demo.Config{Accounts: cfg.Accounts, Days: 1, Seed: cfg.Seed, Catalog: cat})
	if err != nil {
		return nil, fmt.Errorf("demoaws: %w", err)
	}
	e := &fakeaws.Estate{Administrator: org.AdministratorAccount(), Regions: org.Regions(),
		Standards: org.Standards(), Now: org.SnapshotTimes()[0], Catalog: Catalog(cat)}
	accounts := org.Accounts()
	e.Management, e.Accounts = organization(accounts, e.Now, cfg.Seed)
	var findings []*model.Finding
	if err := org.Snapshot(context.Background(), 0, collect.SinkFunc(func(f *model.Finding) error {
		findings = append(findings, f)
		return nil
	})); err != nil {
		return nil, fmt.Errorf("demoaws: %w", err)
	}
	for _, f := range perAccount(findings, accounts, org.Regions(), cfg.FindingsPerAccount) {
		e.Findings = append(e.Findings, Finding(f))
	}
	for _, d := range org.PlannedDisabledControls() {
		e.DisabledControls = append(e.DisabledControls, fakeaws.DisabledControl{Account: d.AccountID, ControlID: d.ControlID, Reason: d.Reason})
	}
	return e, nil
}

// FileEstate is the estate that serves the findings of an ASFF document (`aws securityhub
// get-findings` output, or a JSON array of findings), read by the emulator's own decoder, with the
// product's control catalog (nil: catalog.Default()) described by Security Hub.
func FileEstate(r io.Reader, cat *catalog.Catalog) (*fakeaws.Estate, error) {
	if cat == nil {
		var err error
		if cat, err = catalog.Default(); err != nil {
			return nil, fmt.Errorf("demoaws: %w", err)
		}
	}
	findings, err := fakeaws.DecodeFindings(r)
	if err != nil {
		return nil, err
	}
	e, err := fakeaws.EstateFromFindings(findings)
	if err != nil {
		return nil, err
	}
	e.Catalog = Catalog(cat)
	return e, nil
}

// Options is opts serving the demo estate of cfg.
func Options(cfg Config, opts fakeaws.Options) (fakeaws.Options, error) {
	e, err := Estate(cfg)
	if err != nil {
		return fakeaws.Options{}, err
	}
	opts.Estate = e
	if cfg.Seed != 0 {
		opts.Seed = cfg.Seed
	}
	return opts, nil
}

// New starts an emulator serving the demo estate of cfg.
func New(cfg Config, opts fakeaws.Options) (*fakeaws.Server, error) {
	o, err := Options(cfg, opts)
	if err != nil {
		return nil, err
	}
	return fakeaws.New(o)
}

// NewTestServer is fakeaws.NewTestServer serving the demo estate of cfg.
func NewTestServer(t testing.TB, cfg Config, opts fakeaws.Options) (*fakeaws.Server, *httptest.Server) {
	t.Helper()
	o, err := Options(cfg, opts)
	if err != nil {
		t.Fatalf("demoaws: %v", err)
	}
	return fakeaws.NewTestServer(t, o)
}

// organization is the demo's accounts as Organizations lists them: ACTIVE, joined over the
// three years before now, every fourth invited, with two SUSPENDED accounts among them (AWS's
// order is not by status). The management account is the one named "management".
func organization(accounts []model.Account, now time.Time, seed int64) (string, []fakeaws.Account) {
	management := accounts[0].AccountID
	used := map[string]bool{}
	base := now.AddDate(-3, 0, 0).Truncate(time.Hour)
	var out []fakeaws.Account
	for i, a := range accounts {
		if a.Name == "management" {
			management = a.AccountID
		}
		used[a.AccountID] = true
		m := "CREATED"
		if i%4 == 3 {
			m = "INVITED"
		}
		acct := fakeaws.Account{AccountID: a.AccountID, Name: a.Name, Email: a.Email,
			Status: "ACTIVE", JoinedMethod: m, Joined: base.Add(time.Duration(i) * 97 * time.Hour), OU: a.OU}
		// The demo's owners as the tag collect.aws.owner_tag reads by default, beside a cost
		// centre tag that must not be taken for the owner.
		if a.Owner != "" {
			acct.Tags = map[string]string{"owner": a.Owner, "cost-center": "cc-" + a.AccountID[8:]}
		}
		out = append(out, acct)
	}
	for i, name := range []string{"closed-sandbox-legacy", "suspended-dev-old"} {
		h := sha256.Sum256([]byte(fmt.Sprintf("suspended/%d/%d", seed, i)))
		id := ""
		for k := 0; id == "" || used[id]; k++ {
			n := (uint64(h[0])<<32 | uint64(h[1])<<24 | uint64(h[2])<<16 | uint64(h[3])<<8 | uint64(h[4])) + uint64(k)
			id = fmt.Sprintf("%012d", 100000000000+n%899999999999)
		}
		used[id] = true
		acct := fakeaws.Account{AccountID: id, Name: name, Email: "aws-" + name + "@acme-corp.example",
			Status: "SUSPENDED", JoinedMethod: "CREATED", Joined: base.Add(time.Duration(i+1) * 30 * time.Hour), OU: "Suspended"}
		at := min(len(out), (i+1)*len(out)/3)
		out = slices.Insert(out, at, acct)
	}
	return management, out
}

// perAccount orders each account's findings so that the regions interleave, then cuts or repeats
// them to n per account (n > 0): truncation keeps every region an account has findings in, and an
// account without findings of its own gets a copy of the first account's that has some.
func perAccount(all []*model.Finding, accounts []model.Account, regions []string, n int) []*model.Finding {
	byAccount := map[string]map[string][]*model.Finding{}
	for _, f := range all {
		if byAccount[f.AccountID] == nil {
			byAccount[f.AccountID] = map[string][]*model.Finding{}
		}
		byAccount[f.AccountID][f.Region] = append(byAccount[f.AccountID][f.Region], f)
	}
	var template []*model.Finding
	ordered := map[string][]*model.Finding{}
	for _, a := range accounts {
		byRegion := byAccount[a.AccountID]
		var fs []*model.Finding
		for i := 0; ; i++ {
			added := false
			for _, r := range regions {
				if i < len(byRegion[r]) {
					fs = append(fs, byRegion[r][i])
					added = true
				}
			}
			if !added {
				break
			}
		}
		ordered[a.AccountID] = fs
		if template == nil && len(fs) > 0 {
			template = fs
		}
	}
	var out []*model.Finding
	for _, a := range accounts {
		fs := ordered[a.AccountID]
		if n > 0 {
			if len(fs) == 0 && len(template) > 0 {
				fs = rehome(template, a.AccountID)
			}
			if len(fs) >= n {
				fs = fs[:n]
			} else if len(fs) > 0 {
				orig := fs
				fs = slices.Clip(fs)
				for k := 2; len(fs) < n; k++ {
					for _, f := range orig {
						if len(fs) == n {
							break
						}
						c := *f
						c.ID = f.ID + "/copy-" + strconv.Itoa(k)
						fs = append(fs, &c)
					}
				}
			}
		}
		out = append(out, fs...)
	}
	return out
}

// rehome copies another account's findings into account.
func rehome(src []*model.Finding, account string) []*model.Finding {
	out := make([]*model.Finding, len(src))
	for i, f := range src {
		c := *f
		old := f.AccountID
		c.AccountID = account
		c.ID = strings.ReplaceAll(f.ID, old, account)
		c.ResourceID = strings.ReplaceAll(f.ResourceID, old, account)
		out[i] = &c
	}
	return out
}

// Finding converts a product finding into the emulator's. The two types have the same fields, so
// this is a conversion: a field added to one and not the other stops it compiling, which is where
// the handover must learn of it.
func Finding(f *model.Finding) *fakeaws.Finding {
	c := fakeaws.Finding(*f)
	c.Standards = slices.Clone(f.Standards)
	return &c
}

// Catalog converts the product's control catalog into the one the emulator describes.
func Catalog(c *catalog.Catalog) fakeaws.Catalog {
	var out fakeaws.Catalog
	for _, st := range c.Standards {
		out.Standards = append(out.Standards, fakeaws.Standard{ID: st.ID, Name: st.Name, ShortName: st.ShortName,
			// AWS enables FSBP and the CIS 1.2.0 ruleset by default.
			EnabledByDefault: st.Key == "fsbp" || strings.HasPrefix(st.ID, "ruleset/")})
	}
	for _, ctl := range c.Controls {
		out.Controls = append(out.Controls, fakeaws.Control{ID: ctl.ID, Title: ctl.Title, Severity: ctl.Severity,
			Standards: slices.Clone(ctl.Standards), RemediationURL: ctl.RemediationURL()})
	}
	return out
}

// StoreFinding converts the emulator's finding back into the product's, for tests that compare
// what a collector stored with what the emulator served.
func StoreFinding(f *fakeaws.Finding) *model.Finding {
	c := model.Finding(*f)
	c.Standards = slices.Clone(f.Standards)
	return &c
}
