// Package demo is a synthetic AWS Organization whose Security Hub findings look like the real thing:
// a landing zone plus business-unit accounts, resources that come and go, control findings that
// fail, get fixed by people or by automation, regress, get suppressed or archived, and GuardDuty,
// Inspector and Macie findings on top. It feeds `make demo`, seeds the AWS emulator and backs many
// tests, so it is deterministic and cheap: any day's snapshot is a pure function of the Config and
// the day index, computed from hashes without simulating the days before it.
package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/model"
)

// Defaults of Config.
const (
	DefaultAccounts = 50
	DefaultDays     = 90
	DefaultSeed     = 1
)

// DefaultEnd is the time of the last snapshot unless Config.End says otherwise: a fixed date, so
// that reports built from the demo are reproducible byte for byte.
var DefaultEnd = time.Date(2025, 2, 23, 6, 0, 0, 0, time.UTC)

// AutomationMarkers are the substrings (matched case-insensitively) in Note.UpdatedBy and in
// UserDefinedFields keys or values that mark a remediation done by automation. Every
// auto-remediated demo finding carries at least one of them.
var AutomationMarkers = []string{"AutoRemediation", "SSM-Automation"}

// Config selects the organization. Zero fields take the defaults.
type Config struct {
	Accounts int              // default 50
	Days     int              // default 90: number of daily snapshots
	Seed     int64            // default 1 (0 means the default)
	End      time.Time        // time of the last snapshot; default DefaultEnd
	Catalog  *catalog.Catalog // nil: catalog.Default()
}

// ConfigError is an invalid Config field.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "demo: config " + e.Field + ": " + e.Reason }

const (
	organization = "acme-corp"
	emailDomain  = "acme-corp.example"
	homeRegion   = 0 // index into regions
	// never is a day that does not come.
	never = math.MaxInt32 / 2
	// archivedDays is how long an archived finding stays visible before it is gone. AWS keeps
	// archived findings for up to 90 days; a few days show the transition while keeping
	// snapshots small.
	archivedDays = 5
	// maxAccounts bounds memory: the inventory is built up front.
	maxAccounts = 5000
	// findingsPer50Accounts caps control findings per snapshot (scaled by account count) so that
	// `make demo` stays fast however large the catalog grows: resource counts shrink to fit.
	findingsPer50Accounts = 45000
	// density scales every resource count: the tables in names.go give relative sizes.
	density = 1.3
)

var regions = []string{"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"}

// enabledStandards are the catalog keys of the standards the organization has enabled.
var enabledStandards = []string{"cis5", "fsbp", "pci321", "nist53r5"}

// Compliance statuses, indexes into statusNames.
const (
	stPassed uint8 = iota
	stFailed
	stWarning
	stNotAvailable
)

var statusNames = [...]string{"PASSED", "FAILED", "WARNING", "NOT_AVAILABLE"}

// Account classes.
const (
	envProd       = "prod"
	envStaging    = "staging"
	envDev        = "dev"
	envSandbox    = "sandbox"
	envFoundation = "core"
)

type account struct {
	model.Account
	key       uint64
	role      string // landing-zone role ("security", "log-archive", ...) or "" for workloads
	bu        string
	env       string
	nouns     []string
	data      bool
	edge      bool
	quality   float64 // 0..1 security maturity
	primary   int     // region index where it runs
	secondary int     // DR region index or -1
	enabled   int     // day Security Hub was enabled
	lead      string  // owner's email
}

type control struct {
	catalog.Control
	key          uint64
	service      string
	standards    []string // enabled standards the control belongs to (shared; capacity == length)
	severity     int      // normalized
	class        uint8    // classClean, classCampaign or classHard
	spread       float64  // share of accounts of average maturity that get it wrong
	nonProd      bool     // mostly wrong outside production only
	orgFix       int      // campaign controls: day the organization-wide fix starts; never otherwise
	campaign     string   // the campaign's name, for notes
	flaky        bool     // its evaluations sometimes end in WARNING or NOT_AVAILABLE
	enabled      int      // day it started producing findings
	res          *resType // nil for account-level controls
	autoDoc      string   // SSM document of its auto-remediation, "" without one
	autoDay      int      // day the auto-remediation rolled out, never without one
	autoProdOnly bool     // rollout limited to prod and landing-zone accounts
	generatorID  string
}

// Control classes. In a real organization most controls pass everywhere because a guardrail (an
// SCP, a conformance pack, a secure default, an auto-remediation) enforces them; failures
// concentrate on a minority of controls that every team has to get right on its own. The
// organization-level score, where a control fails if any finding fails anywhere, follows the
// classes rather than the share of failing findings.
const (
	classClean    uint8 = iota // enforced: fails only briefly, on a new or changed resource
	classCampaign              // fails in some accounts until an organization-wide fix in the window
	classHard                  // fails in many accounts; teams fix it account by account
)

type resource struct {
	id   string
	key  uint64
	born int
	died int // never while it exists
}

// disablement is a control disabled in some accounts (all regions) from a day on.
type disablement struct {
	control string
	day     int
	match   func(*account) bool
	reason  string
}

// gap is an account/region pair that could not be collected on some days.
type gap struct {
	account  int
	region   int // -1: every region
	from, to int // days, inclusive
	status   string
	reason   string
}

// DisabledControl is a control disabled in an account (in every region).
type DisabledControl struct {
	AccountID string
	ControlID string
	Since     time.Time
	Reason    string
}

// Org is the synthetic organization. It is read-only after New, so Snapshot may run concurrently.
type Org struct {
	cfg       Config
	seedKey   uint64
	standards []string
	accounts  []*account
	admin     *account
	controls  []*control
	// inv holds the resources of each account and region by ASFF resource type.
	inv          [][]map[string][]resource
	times        []time.Time
	disablements []disablement
	gaps         []gap
	secTeam      []string // security engineers' emails
	cveDays      []int    // day each CVE of cves was published
}

// New builds the organization: accounts, inventory and the plans that drive every finding's
// history. It does no per-day work.
func New(cfg Config) (*Org, error) {
	if cfg.Accounts == 0 {
		cfg.Accounts = DefaultAccounts
	}
	if cfg.Days == 0 {
		cfg.Days = DefaultDays
	}
	if cfg.Seed == 0 {
		cfg.Seed = DefaultSeed
	}
	if cfg.End.IsZero() {
		cfg.End = DefaultEnd
	}
	cfg.End = cfg.End.UTC()
	switch {
	case cfg.Accounts < 0 || cfg.Accounts > maxAccounts:
		return nil, &ConfigError{"Accounts", fmt.Sprintf("%d is outside 1..%d", cfg.Accounts, maxAccounts)}
	case cfg.Days < 0:
		return nil, &ConfigError{"Days", fmt.Sprintf("%d is negative", cfg.Days)}
	}
	if cfg.Catalog == nil {
		cat, err := catalog.Default()
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		cfg.Catalog = cat
	}
	o := &Org{cfg: cfg, seedKey: mix(uint64(cfg.Seed) ^ 0x68756272_65706f72)}
	for _, k := range enabledStandards {
		if s, ok := cfg.Catalog.Standard(k); ok {
			o.standards = append(o.standards, s.ID)
		}
	}
	if len(o.standards) == 0 {
		return nil, errors.New("demo: the catalog has none of the standards the demo enables")
	}
	o.times = make([]time.Time, cfg.Days)
	for d := range o.times {
		o.times[d] = o.dayTime(d)
	}
	for _, c := range cves {
		t, err := time.Parse(time.DateOnly, c.published)
		if err != nil {
			return nil, fmt.Errorf("demo: cve %s: %w", c.id, err)
		}
		o.cveDays = append(o.cveDays, int(math.Floor(t.Sub(o.times0()).Hours()/24)))
	}
	o.buildAccounts()
	o.buildControls()
	o.buildInventory()
	o.planDisablements()
	o.planGaps()
	return o, nil
}

// Config returns the effective configuration, defaults filled in.
func (o *Org) Config() Config { return o.cfg }

// Organization is the organization's name.
func (o *Org) Organization() string { return organization }

// AdministratorAccount is the Security Hub delegated administrator (the security tooling account).
func (o *Org) AdministratorAccount() string { return o.admin.AccountID }

// Accounts lists the member accounts, landing zone first.
func (o *Org) Accounts() []model.Account {
	out := make([]model.Account, len(o.accounts))
	for i, a := range o.accounts {
		out[i] = a.Account
	}
	return out
}

// Regions lists the enabled regions, home (aggregation) region first.
func (o *Org) Regions() []string { return slices.Clone(regions) }

// Standards lists the enabled standards as resource ids.
func (o *Org) Standards() []string { return slices.Clone(o.standards) }

// SnapshotTimes lists the snapshot times, oldest first, one a day at End's time of day.
func (o *Org) SnapshotTimes() []time.Time { return slices.Clone(o.times) }

// DisabledControls lists the controls disabled in some account as of snapshot d, ordered by
// account then control. Their findings are archived from that day on.
func (o *Org) DisabledControls(d int) []DisabledControl {
	return o.disabledAsOf(d)
}

// PlannedDisabledControls lists every control the organization disables in some account, on
// whatever day: the emulator (internal/fakeaws) serves them as the control associations of its
// one-day estate, whose findings of them are then still active (AWS archives a disabled
// control's findings only after a while).
func (o *Org) PlannedDisabledControls() []DisabledControl {
	return o.disabledAsOf(math.MaxInt)
}

func (o *Org) disabledAsOf(d int) []DisabledControl {
	var out []DisabledControl
	for _, a := range o.accounts {
		for _, dis := range o.disablements {
			if dis.day <= d && dis.match(a) {
				out = append(out, DisabledControl{AccountID: a.AccountID, ControlID: dis.control,
					Since: o.eventTime(dis.day, 1, hash2(a.key, strKey(dis.control))), Reason: dis.reason})
			}
		}
	}
	return out
}

// storeDisabled hands the sink, as the control associations would report them, the controls
// disabled on day d: one row per account, region and standard of the control.
func (o *Org) storeDisabled(d int, sink collect.Sink) error {
	for _, dc := range o.DisabledControls(d) {
		i := slices.IndexFunc(o.controls, func(c *control) bool { return c.ID == dc.ControlID })
		if i < 0 {
			continue
		}
		for _, region := range regions {
			for _, std := range o.controls[i].standards {
				if err := collect.AddDisabled(sink, model.DisabledControl{AccountID: dc.AccountID, Region: region,
					StandardID: std, ControlID: dc.ControlID, Source: model.DisabledByAssociation, Reason: dc.Reason}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// dayTime is the snapshot time of day d (negative days are before the window).
func (o *Org) dayTime(d int) time.Time {
	return o.cfg.End.Add(time.Duration(d-(o.cfg.Days-1)) * 24 * time.Hour)
}

func (o *Org) times0() time.Time { return o.dayTime(0) }

// eventTime places an event of day d before that day's snapshot: slot orders events of the same
// day (creation before notification before fix before archival), h adds up to two hours of jitter.
func (o *Org) eventTime(d, slot int, h uint64) time.Time {
	off := -23*time.Hour + time.Duration(slot)*2*time.Hour + time.Duration(h%7200)*time.Second +
		time.Duration(h>>20%1000)*time.Millisecond
	return o.dayTime(d).Add(off)
}

// ---------------------------------------------------------------------------------------------
// Organization structure

func (o *Org) buildAccounts() {
	rng := rand.New(rand.NewPCG(uint64(o.cfg.Seed), 0x6163_6d65_2d63_6f72))
	used := map[string]bool{}
	newID := func() string {
		for {
			s := strconv.FormatUint(100000000000+rng.Uint64N(900000000000), 10)
			if !used[s] {
				used[s] = true
				return s
			}
		}
	}
	people := make([]string, 0, len(firstNames))
	for _, i := range rng.Perm(len(firstNames)) {
		people = append(people, firstNames[i]+"."+lastNames[rng.IntN(len(lastNames))]+"@"+emailDomain)
	}
	o.secTeam = people[:4]
	nextLead := 4
	lead := func() string {
		p := people[nextLead%len(people)]
		nextLead++
		return p
	}
	add := func(a *account) {
		a.AccountID = newID()
		a.Email = "aws-" + a.Name + "@" + emailDomain
		a.key = hash2(o.seedKey, strKey(a.AccountID))
		a.quality = min(0.97, max(0.05, a.quality+(rng.Float64()-0.5)*0.16))
		o.accounts = append(o.accounts, a)
	}
	n := o.cfg.Accounts
	roleQuality := map[string]float64{"management": 0.72, "security": 0.88, "log-archive": 0.86,
		"audit": 0.9, "shared-services": 0.66, "network": 0.74, "backup": 0.8}
	for i := 0; i < len(foundationAccounts) && i < n; i++ {
		f := foundationAccounts[i]
		a := &account{role: f.role, bu: f.role, env: envFoundation, nouns: f.nouns,
			quality: roleQuality[f.role], secondary: -1, enabled: -700 - rng.IntN(60), lead: o.secTeam[i%4]}
		a.Name, a.OU = f.name, f.ou
		if f.role == "network" {
			a.secondary = 2 // the EU transit hub
		}
		if f.role != "security" && f.role != "audit" && f.role != "log-archive" {
			a.lead = lead()
		}
		add(a)
	}
	o.admin = o.accounts[0]
	for _, a := range o.accounts {
		if a.role == "security" {
			o.admin = a
		}
	}
	rest := n - len(o.accounts)
	if rest <= 0 {
		return
	}
	sandboxes := 0
	if rest >= 8 {
		sandboxes = int(math.Round(float64(rest) * 0.16))
	}
	workloads := rest - sandboxes
	units := rng.Perm(len(businessUnits))
	suffixes := []string{"", "-eu", "-apac", "-latam", "-na"}
	envQuality := map[string]float64{envProd: 0.74, envStaging: 0.6, envDev: 0.5}
	envOU := map[string]string{envProd: "Workloads/Prod", envStaging: "Workloads/Staging", envDev: "Workloads/Dev"}
	for i := 0; workloads > 0; i++ {
		bu := businessUnits[units[i%len(units)]]
		name := bu.name + suffixes[(i/len(units))%len(suffixes)]
		if i >= len(units)*len(suffixes) {
			name += strconv.Itoa(i / len(units))
		}
		envs := []string{envProd, envStaging, envDev}
		switch workloads {
		case 1:
			envs = envs[:1]
		case 2:
			envs = []string{envProd, envDev}
		}
		primary := 0
		switch r := rng.Float64(); {
		case r < 0.6:
		case r < 0.72:
			primary = 1
		case r < 0.9:
			primary = 2
		default:
			primary = 3
		}
		if strings.HasSuffix(name, "-eu") {
			primary = 2
		} else if strings.HasSuffix(name, "-apac") {
			primary = 3
		}
		owner := lead()
		for _, env := range envs {
			a := &account{bu: name, env: env, nouns: bu.nouns, data: bu.data, edge: bu.edge,
				quality: envQuality[env] + bu.quality, primary: primary, secondary: -1,
				enabled: -150 - rng.IntN(550), lead: owner}
			a.Name, a.OU = name+"-"+env, envOU[env]
			dr := map[string]float64{envProd: 0.5, envStaging: 0.15, envDev: 0.1}[env]
			if rng.Float64() < dr {
				a.secondary = 1
				if primary == 1 {
					a.secondary = 0
				}
			}
			add(a)
			workloads--
		}
	}
	for i := 0; i < sandboxes; i++ {
		who := strings.SplitN(people[len(people)-1-i%len(people)], ".", 2)[0]
		if i >= len(people) {
			who += strconv.Itoa(i / len(people))
		}
		primary := 0
		if rng.Float64() < 0.3 {
			primary = rng.IntN(len(regions))
		}
		a := &account{bu: "sandbox", env: envSandbox, nouns: []string{"poc", "test", "demo", "spike", "lab", "scratch"},
			quality: 0.3, primary: primary, secondary: -1, enabled: -30 - rng.IntN(370),
			lead: people[len(people)-1-i%len(people)]}
		a.Name, a.OU = "sandbox-"+who, "Sandbox"
		add(a)
	}
}

// factor scales a resource kind for the account: presence multiplies the share of accounts using
// the service, count the number of resources.
func (a *account) factor(k kind) (presence, count float64) {
	switch a.role {
	case "management":
		switch k {
		case kindIdentity:
			return 1, 1
		case kindLogging:
			return 3, 1
		case kindStorage:
			return 0.6, 0.5
		}
		return 0.1, 0.5
	case "security":
		switch k {
		case kindSecurity, kindLogging:
			return 1.3, 1
		case kindCompute, kindApp, kindStorage:
			return 0.8, 0.7
		case kindIdentity:
			return 1, 0.8
		}
		return 0.15, 0.5
	case "log-archive":
		switch k {
		case kindStorage:
			return 1, 1.6
		case kindIdentity, kindSecurity:
			return 0.7, 0.6
		}
		return 0.05, 0.5
	case "audit":
		if k == kindIdentity {
			return 0.7, 0.6
		}
		return 0.05, 0.5
	case "shared-services":
		switch k {
		case kindDevtools:
			return 3, 2
		case kindCompute, kindStorage, kindNetwork, kindIdentity, kindSecurity:
			return 1, 0.8
		}
		return 0.3, 0.6
	case "network":
		switch k {
		case kindNetwork:
			return 30, 1.5
		case kindIdentity, kindLogging:
			return 0.7, 0.6
		}
		return 0.1, 0.5
	case "backup":
		switch k {
		case kindBackup:
			return 4, 2
		case kindStorage, kindIdentity:
			return 0.7, 0.6
		}
		return 0.05, 0.5
	}
	p, c := 1.0, 1.0
	switch a.env {
	case envStaging:
		c = 0.7
	case envDev:
		c = 0.8
	case envSandbox:
		// Experiments: instances, buckets, functions and their plumbing, rarely a managed
		// database or a data pipeline.
		p, c = 0.15, 0.5
		switch k {
		case kindCompute, kindStorage, kindNetwork, kindIdentity, kindSecurity:
			p = 0.8
		}
	}
	if a.data && k == kindData {
		p, c = p*1.4, c*1.4
	}
	if a.edge && k == kindEdge {
		p, c = p*1.6, c*1.3
	}
	return p, c
}

func (a *account) regionFactor(r int) float64 {
	switch r {
	case a.primary:
		return 1
	case a.secondary:
		return 0.45
	}
	return 0.06
}

// churn is the share of resources created, and deleted, during the window.
func (a *account) churn() (created, deleted float64) {
	switch a.env {
	case envProd:
		return 0.08, 0.06
	case envStaging:
		return 0.12, 0.1
	case envDev:
		return 0.2, 0.18
	case envSandbox:
		return 0.3, 0.3
	}
	return 0.04, 0.03
}

func (o *Org) buildControls() {
	want := map[string]bool{}
	for _, s := range o.standards {
		want[s] = true
	}
	for _, cc := range o.cfg.Catalog.Controls {
		var stds []string
		for _, s := range o.standards { // in Standards() order
			if slices.Contains(cc.Standards, s) {
				stds = append(stds, s)
			}
		}
		if len(stds) == 0 {
			continue // Security Hub only evaluates controls of an enabled standard
		}
		c := &control{Control: cc, key: strKey(cc.ID), standards: stds[:len(stds):len(stds)],
			severity: normalized(cc.Severity), autoDay: never}
		c.service, _, _ = strings.Cut(cc.ID, ".")
		c.generatorID = "security-control/" + cc.ID
		h := hash2(o.seedKey, c.key)
		c.enabled = -200 - int(unit(hash2(h, 2))*700)
		if cc.ResourceType != "AwsAccount" {
			c.res = lookupType(cc.ResourceType, c.service)
		}
		doc, known := automationDocs[cc.ID]
		if (known || automatableServices[c.service]) && unit(hash2(h, 3)) < 0.6 {
			if !known {
				doc = "ASR-AFSBP_1.0.0_" + cc.ID
			}
			c.autoDoc = doc
			if unit(hash2(h, 4)) < 0.35 {
				c.autoDay = -30 - int(unit(hash2(h, 5))*300)
			} else {
				c.autoDay = between(hash2(h, 6), o.cfg.Days*15/100, o.cfg.Days*85/100)
			}
			c.autoProdOnly = unit(hash2(h, 7)) < 0.35
		}
		o.controls = append(o.controls, c)
	}
	o.classify()
}

// Shares of the controls outside the curated tables that are hard, and that are fixed in an
// organization-wide campaign during the window. Quotas rather than independent draws keep the
// scores of every seed and catalog close.
const (
	hardShare     = 0.18
	campaignShare = 0.17
)

// classify decides how the organization fares with each control: the curated tables first, then
// the quotas. Hard controls are drawn with weight on resources every account has (the controls
// that fail widely are on buckets, security groups and account settings, not on the odd Neptune
// cluster) and away from CIS and PCI, whose hard controls the curated table already holds.
func (o *Org) classify() {
	days := o.cfg.Days
	var cisPCI []string
	for _, k := range []string{"cis5", "pci321"} {
		if s, ok := o.cfg.Catalog.Standard(k); ok {
			cisPCI = append(cisPCI, s.ID)
		}
	}
	type candidate struct {
		c      *control
		common float64
		key    float64
	}
	var rest []candidate
	for _, c := range o.controls {
		h := hash2(o.seedKey, c.key)
		c.orgFix = never
		c.flaky = unit(hash2(h, 8)) < 0.015
		if hc, ok := hardControls[c.ID]; ok {
			// What makes these hard: no runbook fixes them without breaking workloads.
			c.class, c.spread, c.nonProd = classHard, hc.spread, hc.nonProd
			c.autoDoc, c.autoDay = "", never
			continue
		}
		if cc, ok := campaignControls[c.ID]; ok {
			c.class, c.spread, c.campaign = classCampaign, 0.3+0.2*unit(hash2(h, 9)), cc.name
			c.orgFix = max(1, int(cc.at*float64(days)))
			continue
		}
		common := 1.0
		if c.res != nil && c.res.every == 0 {
			common = min(1, c.res.presence)
		}
		w := common * common
		if slices.ContainsFunc(c.standards, func(s string) bool { return slices.Contains(cisPCI, s) }) {
			w = 0 // the curated tables cover CIS and PCI
		}
		rest = append(rest, candidate{c, common, sampleKey(hash2(h, 10), w)})
	}
	byKey := func(a, b candidate) int {
		if a.key != b.key {
			return cmp.Compare(b.key, a.key)
		}
		return strings.Compare(a.c.ID, b.c.ID)
	}
	slices.SortFunc(rest, byKey)
	nHard := int(math.Round(hardShare * float64(len(rest))))
	for _, x := range rest[:nHard] {
		c, v := x.c, unit(hash2(hash2(o.seedKey, x.c.key), 11))
		c.class = classHard
		// Spread over the accounts that have the resource: about as many accounts fail a
		// control on a rarer resource as one on a resource every account has.
		c.spread = min(0.75, (0.45+0.2*v)/math.Sqrt(max(x.common, 0.2)))
		if x.common == 1 {
			c.spread = 0.38 + 0.15*v // every account has data
		}
		c.nonProd = unit(hash2(hash2(o.seedKey, c.key), 12)) < 0.15
		// No organization-wide rollout of a runbook: it would break too much. Teams opt in
		// account by account (see pair).
		c.autoDay = never
		if doc, known := automationDocs[c.ID]; known {
			c.autoDoc = doc
		} else if automatableServices[c.service] {
			c.autoDoc = "ASR-AFSBP_1.0.0_" + c.ID
		}
	}
	rest = rest[nHard:]
	for i := range rest {
		c, w := rest[i].c, 1.0
		if slices.ContainsFunc(c.standards, func(s string) bool { return slices.Contains(cisPCI, s) }) {
			w = 0 // here too
		}
		rest[i].key = sampleKey(hash2(hash2(o.seedKey, c.key), 14), w)
	}
	slices.SortFunc(rest, byKey)
	nCampaign := int(math.Round(campaignShare * float64(len(rest)+nHard)))
	for _, x := range rest[:min(nCampaign, len(rest))] {
		c, h := x.c, hash2(o.seedKey, x.c.key)
		c.class = classCampaign
		c.spread = 0.2 + 0.4*unit(hash2(h, 9))
		c.orgFix = between(hash2(h, 13), max(1, days*4/100), days*95/100)
		c.campaign = "fix " + c.ID + " in every account"
	}
	for _, c := range o.controls {
		h := hash2(o.seedKey, c.key)
		if c.class == classCampaign && c.autoDoc == "" && unit(hash2(h, 15)) < 0.6 {
			// Most campaigns ship as an Automated Security Response runbook.
			c.autoDoc = "ASR-AFSBP_1.0.0_" + c.ID
			if doc, ok := automationDocs[c.ID]; ok {
				c.autoDoc = doc
			}
		}
		if c.class == classCampaign && c.autoDoc != "" {
			// The campaign is the auto-remediation's rollout, to every account.
			c.autoDay, c.autoProdOnly = c.orgFix, false
		}
	}
}

// sampleKey is a key for weighted sampling without replacement: the items with the largest keys
// u^(1/w) are a sample drawn with probabilities proportional to w (Efraimidis-Spirakis).
func sampleKey(h uint64, w float64) float64 {
	return math.Pow(unit(h), 1/max(w, 1e-3))
}

func lookupType(asff, service string) *resType {
	if t, ok := resTypes[asff]; ok {
		return t
	}
	return genericType(asff, service)
}

func init() {
	// The table is keyed by type; copy the key into each entry once.
	for k, t := range resTypes {
		t.asff = k
	}
	for _, p := range []string{"securityhub", "guardduty", "inspector", "macie"} {
		for ri, r := range regions {
			productARNs[p][ri] = "arn:aws:securityhub:" + r + "::product/aws/" + p
		}
	}
}

var productARNs = map[string]*[4]string{"securityhub": {}, "guardduty": {}, "inspector": {}, "macie": {}}

// buildInventory decides every account's resources: how many of each type per region, when each
// was created and when deleted. Counts shrink uniformly if the catalog would otherwise push a
// snapshot past findingsPer50Accounts.
func (o *Org) buildInventory() {
	types := map[string]*resType{}
	perType := map[string][2]int{} // controls per type: [global, regional]
	accountControls := [2]int{}
	for _, c := range o.controls {
		g := 1
		if c.Global {
			g = 0
		}
		if c.res == nil {
			accountControls[g]++
			continue
		}
		if _, ok := types[c.res.asff]; !ok {
			types[c.res.asff] = c.res
		}
		pt := perType[c.res.asff]
		pt[g]++
		perType[c.res.asff] = pt
	}
	// Inspector, GuardDuty and Macie need instances, repositories and buckets.
	for _, t := range []string{"AwsEc2Instance", "AwsEcrRepository", "AwsS3Bucket", "AwsIamRole"} {
		types[t] = lookupType(t, "")
	}
	names := make([]string, 0, len(types))
	for k := range types {
		names = append(names, k)
	}
	sort.Strings(names)

	type cell struct {
		mean  float64
		every int
	}
	cells := make([][][]cell, len(o.accounts))
	fixed, variable := 0.0, 0.0
	for ai, a := range o.accounts {
		cells[ai] = make([][]cell, len(regions))
		for ri := range regions {
			cells[ai][ri] = make([]cell, len(names))
			fixed += float64(accountControls[1])
			if ri == homeRegion {
				fixed += float64(accountControls[0])
			}
			for ti, name := range names {
				t := types[name]
				if t.global && ri != homeRegion {
					continue
				}
				h := hash2(a.key, strKey(name))
				pf, cf := a.factor(t.kind)
				c := cell{every: t.every}
				if unit(hash2(h, 1)) < t.presence*pf {
					rf := a.regionFactor(ri)
					if t.global {
						rf = 1
					}
					c.mean = density * t.base * cf * rf
				}
				if a.role == "management" && name == "AwsCloudTrailTrail" && ri == homeRegion {
					c.every = 1 // the organization trail
				}
				cells[ai][ri][ti] = c
				pt := perType[name]
				n := float64(pt[1])
				if ri == homeRegion {
					n += float64(pt[0])
				}
				fixed += float64(c.every) * n
				variable += c.mean * n
			}
		}
	}
	scale := 1.0
	target := float64(findingsPer50Accounts) * float64(len(o.accounts)) / 50
	if fixed+variable > target && variable > 0 {
		scale = max(0.1, (target-fixed)/variable)
	}

	days := o.cfg.Days
	o.inv = make([][]map[string][]resource, len(o.accounts))
	for ai, a := range o.accounts {
		o.inv[ai] = make([]map[string][]resource, len(regions))
		created, deleted := a.churn()
		for ri, region := range regions {
			m := map[string][]resource{}
			o.inv[ai][ri] = m
			for ti, name := range names {
				c := cells[ai][ri][ti]
				h := hash2(hash2(a.key, strKey(name)), uint64(ri)+100)
				nv := 0
				if c.mean > 0 {
					nv = min(14, stochRound(c.mean*scale*(0.5+unit(hash2(h, 2))), hash2(h, 3)))
				}
				nNew := stochRound(float64(nv)*created, hash2(h, 4))
				total := c.every + nv + nNew
				if total == 0 {
					continue
				}
				t := types[name]
				nm := &namer{account: a.AccountID, region: region, stem: a.Name, bu: a.bu, env: a.env,
					nouns: a.nouns, offset: int(hash2(h, 5) % 1000)}
				if a.env == envFoundation {
					nm.stem = "acme-" + a.Name
					if a.role == "management" {
						nm.stem = "acme"
					}
				}
				rs := make([]resource, total)
				for i := range rs {
					k := hash2(h, uint64(1000+i))
					nm.slot, nm.key = i, k
					r := resource{key: k, born: -20 - int(unit(hash2(k, 1))*900), died: never}
					switch {
					case i < c.every:
						r.born = -2000 // default VPC and friends: as old as the account
					case i < c.every+nv:
						if unit(hash2(k, 2)) < deleted {
							r.died = between(hash2(k, 3), 1, days-1)
						}
					default:
						r.born = between(hash2(k, 4), 1, days-1)
						if unit(hash2(k, 5)) < 0.25 {
							r.died = r.born + 3 + int(hash2(k, 6)%40)
						}
					}
					r.id = t.arn(nm)
					rs[i] = r
				}
				m[name] = rs
			}
		}
	}
}

func (o *Org) planDisablements() {
	days := o.cfg.Days
	has := func(id string) bool {
		return slices.ContainsFunc(o.controls, func(c *control) bool { return c.ID == id })
	}
	if has("IAM.6") {
		o.disablements = append(o.disablements, disablement{control: "IAM.6", day: max(1, days*35/100),
			match:  func(a *account) bool { return a.role != "management" },
			reason: "Root user credentials of member accounts are centrally managed (IAM centralized root access), CHG-2207"})
	}
	nonProd := func(a *account) bool { return a.env == envSandbox || a.env == envDev }
	for _, id := range []string{"S3.11", "EC2.10", "S3.15", "ELB.10", "DynamoDB.4"} {
		if has(id) {
			o.disablements = append(o.disablements, disablement{control: id, day: max(1, days*60/100),
				match: nonProd, reason: "Not required in non-production accounts, exception EXC-118"})
			if len(o.disablements) >= 3 {
				break
			}
		}
	}
	sort.SliceStable(o.disablements, func(i, j int) bool { return o.disablements[i].control < o.disablements[j].control })
}

func (o *Org) planGaps() {
	last := o.cfg.Days - 1
	find := func(env string) int {
		for i, a := range o.accounts {
			if a.env == env {
				return i
			}
		}
		return -1
	}
	add := func(g gap) {
		g.from = max(g.from, 0)
		g.to = min(g.to, last-1) // the latest snapshot is always complete
		if g.account >= 0 && g.from <= g.to {
			o.gaps = append(o.gaps, g)
		}
	}
	if sb := find(envSandbox); sb >= 0 {
		a := o.accounts[sb]
		add(gap{account: sb, region: -1, from: last - 31, to: last - 30, status: model.CoverageDenied,
			reason: "AccessDenied: User: arn:aws:sts::" + o.admin.AccountID + ":assumed-role/hubreport-collector/hubreport " +
				"is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + a.AccountID + ":role/hubreport-reader"})
	}
	dev := find(envDev)
	if dev < 0 && len(o.accounts) > 1 {
		dev = len(o.accounts) - 1
	}
	if dev >= 0 {
		r := len(regions) - 1
		add(gap{account: dev, region: r, from: last - 60, to: last - 54, status: model.CoverageNotEnabled,
			reason: "InvalidAccessException: Account " + o.accounts[dev].AccountID +
				" is not subscribed to AWS Security Hub in " + regions[r]})
	}
}

func (o *Org) coverage(ai, ri, d int) (string, string) {
	for _, g := range o.gaps {
		if g.account == ai && (g.region < 0 || g.region == ri) && d >= g.from && d <= g.to {
			return g.status, g.reason
		}
	}
	return model.CoverageCollected, ""
}

// ---------------------------------------------------------------------------------------------
// Snapshots

// Snapshot writes day d (0 = oldest) to sink: every account, every account/region pair's
// coverage, and every finding of the pairs collected that day. The output depends only on the
// Config and d. Each finding is a new value the sink may keep, but findings of one control share
// their Standards slice, which the sink must not modify.
func (o *Org) Snapshot(ctx context.Context, d int, sink collect.Sink) error {
	if d < 0 || d >= o.cfg.Days {
		return fmt.Errorf("demo: snapshot %d is outside 0..%d", d, o.cfg.Days-1)
	}
	for _, a := range o.accounts {
		if err := sink.AddAccount(a.Account); err != nil {
			return err
		}
	}
	if err := o.storeDisabled(d, sink); err != nil {
		return err
	}
	pairs := make([]pairState, len(o.controls))
	for ai, a := range o.accounts {
		if err := ctx.Err(); err != nil {
			return err
		}
		for ci, c := range o.controls {
			pairs[ci] = o.pair(a, c)
		}
		for ri, region := range regions {
			status, reason := o.coverage(ai, ri, d)
			if status != model.CoverageCollected {
				if err := sink.AddCoverage(model.Coverage{AccountID: a.AccountID, Region: region, Status: status, Reason: reason}); err != nil {
					return err
				}
				continue
			}
			n := int64(0)
			var err error
			emit := func(f *model.Finding) {
				if err == nil {
					err = sink.AddFinding(f)
					n++
				}
			}
			o.controlFindings(d, ai, ri, pairs, emit)
			o.guardDutyFindings(d, ai, ri, emit)
			o.inspectorFindings(d, ai, ri, emit)
			o.macieFindings(d, ai, ri, emit)
			if err != nil {
				return fmt.Errorf("demo: %s/%s: %w", a.AccountID, region, err)
			}
			if err := sink.AddCoverage(model.Coverage{AccountID: a.AccountID, Region: region,
				Status: model.CoverageCollected, Findings: n}); err != nil {
				return err
			}
		}
	}
	return nil
}

// pairState is what one account does about one control.
type pairState struct {
	problematic bool    // the account gets this control wrong on most resources
	failShare   float64 // share of resources failing when problematic
	campaign    int     // day the owning team fixes it in bulk, or never
	orgWide     bool    // the campaign is the organization's: it fixes everything it finds
	guard       int     // day from which a guardrail enforces the control, or never
	auto        int     // day auto-remediation covers the account, or never
	disabled    int     // day the control is disabled in the account, or never
	suppress    int     // day the failures are risk-accepted as a whole, or never
	regress     float64 // probability a passing resource regresses in the window
	fixAlone    float64 // probability someone fixes a failing resource on their own
}

func (o *Org) pair(a *account, c *control) pairState {
	h := hash2(a.key, c.key)
	ps := pairState{campaign: never, guard: never, auto: never, disabled: never, suppress: never}
	// Mature accounts get a control wrong far less often than sandboxes.
	p := c.spread * math.Exp((0.55-a.quality)*1.2)
	switch {
	case a.env == envSandbox:
		p *= 1.5 // nobody looks
	case c.nonProd && (a.env == envProd || a.env == envFoundation):
		p *= 0.15
	}
	ps.problematic = unit(hash2(h, 1)) < min(0.95, p)
	ps.failShare = 0.55 + 0.4*unit(hash2(h, 2))
	switch c.class {
	case classClean:
		ps.guard = -never
	case classCampaign:
		// Each account follows the organization's rollout within a week; from then on the
		// setting is enforced.
		ps.guard = c.orgFix + int(hash2(h, 7)%7)
		if c.autoDoc == "" {
			ps.campaign, ps.orgWide = ps.guard, true
		}
	case classHard:
		if ps.problematic && unit(hash2(h, 3)) < 0.03+0.15*a.quality {
			ps.campaign = between(hash2(h, 4), 2, o.cfg.Days-3)
			if c.autoDoc != "" && unit(hash2(h, 8)) < 0.85 {
				// The team fixes it by turning the auto-remediation on for its account.
				ps.auto, ps.campaign = ps.campaign, never
			}
		}
	}
	switch {
	case c.autoDay == never:
	case c.class == classCampaign:
		ps.auto = ps.guard
	case a.env != envSandbox && (!c.autoProdOnly || a.env == envProd || a.env == envFoundation):
		ps.auto = c.autoDay
	}
	for _, dis := range o.disablements {
		if dis.control == c.ID && dis.match(a) {
			ps.disabled = min(ps.disabled, dis.day)
		}
	}
	if ps.problematic && unit(hash2(h, 5)) < 0.007 {
		ps.suppress = between(hash2(h, 6), -200, o.cfg.Days-5)
	}
	ps.regress = 0.003
	if ps.problematic {
		ps.regress = 0.07
	}
	switch a.env {
	case envSandbox:
		ps.regress *= 1.6
	case envDev:
		ps.regress *= 1.3
	case envProd, envFoundation:
		ps.regress *= 0.8
	}
	ps.fixAlone = 0.05 + 0.1*a.quality
	return ps
}

// history is a control finding's planned events, kept on the stack: this is the hot path.
type history struct {
	fk  uint64
	n   int
	evs [16]event
}

func (h *history) add(e event) {
	if h.n < len(h.evs) {
		e.salt = hash2(h.fk, uint64(100+h.n))
		h.evs[h.n] = e
		h.n++
	}
}

// u is the finding's i-th uniform draw.
func (h *history) u(i uint64) float64 { return unit(hash2(h.fk, i)) }

// sort orders events by day, then by kind (the order of events within a day). Insertion sort:
// there are at most 16, and sort.Slice would allocate.
func (h *history) sort() {
	ev := h.evs[:h.n]
	for i := 1; i < len(ev); i++ {
		for j := i; j > 0 && (ev[j].day < ev[j-1].day || ev[j].day == ev[j-1].day && ev[j].kind < ev[j-1].kind); j-- {
			ev[j], ev[j-1] = ev[j-1], ev[j]
		}
	}
}

// Event kinds in a control finding's history, in the order they happen within a day.
const (
	evCreate uint8 = iota
	evStatus
	evBlipStart
	evNotify
	evSuppress
	evFix
	evBlipEnd
	evArchive
)

type event struct {
	day    int
	kind   uint8
	status uint8 // evCreate, evStatus
	by     uint8 // evFix: fixManual, fixAuto or fixCampaign
	salt   uint64
}

// Who fixes a failing resource.
const (
	fixManual   uint8 = iota // its owner, on their own or in a team's clean-up
	fixAuto                  // the auto-remediation pipeline
	fixCampaign              // the organization-wide campaign
)

func (o *Org) controlFindings(d, ai, ri int, pairs []pairState, emit func(*model.Finding)) {
	a := o.accounts[ai]
	acctRes := []resource{{id: "AWS::::Account:" + a.AccountID, key: hash2(a.key, uint64(ri)+0xacc), born: -5000, died: never}}
	for ci, c := range o.controls {
		if c.Global && ri != homeRegion {
			continue // global resources are recorded in the home region only
		}
		rs := acctRes
		if c.res != nil {
			rs = o.inv[ai][ri][c.res.asff]
		}
		for i := range rs {
			if f := o.controlFinding(d, a, ri, c, &pairs[ci], &rs[i]); f != nil {
				emit(f)
			}
		}
	}
}

// controlFinding computes one control finding as of day d from its planned history, or nil when it
// does not exist that day.
func (o *Org) controlFinding(d int, a *account, ri int, c *control, ps *pairState, r *resource) *model.Finding {
	s0 := max(r.born, a.enabled, c.enabled)
	if s0 > d {
		return nil
	}
	arch := min(r.died, ps.disabled)
	if arch <= s0 || d >= arch+archivedDays {
		return nil
	}
	h := history{fk: hash2(r.key, c.key)}
	// Evaluations that cannot complete concentrate on a few controls (a resource type the
	// recorder misses, a check that needs data the account does not provide) and on resources
	// that are misconfigured anyway.
	odd := 0.0
	if c.flaky {
		odd = 0.06
	}
	switch x := h.u(1) / max(odd, 1e-9); {
	case x < 0.54:
		h.add(event{day: s0, kind: evCreate, status: stWarning})
	case x < 1:
		h.add(event{day: s0, kind: evCreate, status: stNotAvailable})
	default:
		o.planCompliance(&h, s0, a, ri, c, ps)
	}
	if arch != never {
		h.add(event{day: arch, kind: evArchive})
	}
	h.sort()
	return o.fold(d, h.evs[:h.n], a, ri, c, r, h.fk)
}

// planCompliance plans the compliance history: the status at creation, then per failure episode
// the fix (by automation, a team campaign or someone on their own), at most one regression, a
// short NOT_AVAILABLE blip, notifications and suppressions.
func (o *Org) planCompliance(h *history, s0 int, a *account, ri int, c *control, ps *pairState) {
	days := o.cfg.Days
	old := s0 < 0
	var pFail float64
	switch {
	case s0 >= ps.guard:
		// Enforced: only a new resource now and then slips through, for a few days.
		if !old {
			pFail = 0.005
		}
	case ps.problematic && old:
		pFail = ps.failShare
		if c.res == nil && !c.Global && ri != a.primary && ri != a.secondary {
			// Account-level settings are often only configured where the account runs.
			pFail = max(pFail, 0.85)
		}
	case ps.problematic && s0 < ps.campaign:
		// New resources of a team that has not fixed its templates yet (a new bucket
		// without block public access).
		pFail = 0.45
	case old && c.class == classHard:
		pFail = 0.001
	case c.class == classHard:
		pFail = 0.01
	case !old:
		pFail = 0.02
	}
	status := stPassed
	if h.u(2) < pFail {
		status = stFailed
	}
	since := s0
	flip := 0.35
	if status == stFailed {
		// Most failures start with a change to a resource that once passed.
		flip = 0.6
	}
	if old && s0 < -1 && h.u(3) < flip {
		// The status flipped once before the window, within the year before it.
		lo := max(s0+1, -365)
		since = lo + int(hash2(h.fk, 4)%uint64(-lo))
		h.add(event{day: s0, kind: evCreate, status: 1 - status})
		h.add(event{day: since, kind: evStatus, status: status})
	} else {
		h.add(event{day: s0, kind: evCreate, status: status})
	}
	notifyP := 0.06
	if c.Severity == "CRITICAL" || c.Severity == "HIGH" {
		notifyP = 0.18
	}
	if a.env == envSandbox {
		notifyP *= 0.3
	}
	regressed := false
	for episode := uint64(0); episode < 3; episode++ {
		if status == stFailed {
			fix, by := o.fixDay(h, since, episode, old, ps)
			sd := never
			if ps.suppress != never {
				sd = max(since+1, ps.suppress)
			} else if h.u(70+episode) < 0.004 {
				sd = since + 3 + int(hash2(h.fk, 71+episode)%120)
			}
			if h.u(60+episode) < notifyP {
				if nd := since + 1 + int(hash2(h.fk, 61+episode)%4); nd < min(fix, sd) {
					h.add(event{day: nd, kind: evNotify})
				}
			}
			if sd < fix {
				// Risk-accepted findings are left alone: auto-remediation rules match NEW
				// findings only, and no team campaigns on an accepted risk.
				h.add(event{day: sd, kind: evSuppress})
				break
			}
			if fix >= days {
				break
			}
			h.add(event{day: fix, kind: evFix, by: by})
			status, since = stPassed, fix
		}
		if regressed {
			break
		}
		regressed = true
		lo := max(since+1, 1)
		if lo > days-1 {
			break
		}
		day := between(hash2(h.fk, 41), lo, days-1)
		p := ps.regress
		if day >= ps.guard || day >= ps.campaign {
			// Once the templates are fixed or a guardrail watches, changes rarely undo it.
			p = min(p, 0.004)
		}
		if h.u(40) >= p {
			break
		}
		since = day
		status = stFailed
		h.add(event{day: since, kind: evStatus, status: stFailed})
	}
	// Evaluations that briefly fail concentrate on flaky controls and on resources that are
	// failing anyway; elsewhere they would make a clean control UNKNOWN for the day.
	blip := 0.0005
	if c.flaky || ps.problematic && c.class == classHard {
		blip = 0.08
	}
	if h.u(50) < blip {
		lo := max(s0, 0) + 1
		if lo <= days-1 {
			b := between(hash2(h.fk, 51), lo, days-1)
			h.add(event{day: b, kind: evBlipStart})
			h.add(event{day: b + 1 + int(hash2(h.fk, 52)%3), kind: evBlipEnd})
		}
	}
}

// fixDay is when a failure that started on day since gets fixed, and by whom.
func (o *Org) fixDay(h *history, since int, episode uint64, old bool, ps *pairState) (int, uint8) {
	days := o.cfg.Days
	day, by := never, fixManual
	if ps.auto != never {
		day, by = max(since+1, ps.auto+int(hash2(h.fk, 10+episode)%2)), fixAuto
	}
	if ps.campaign != never && ps.campaign > since && (ps.orgWide || h.u(20+episode) < 0.97) {
		t, how := ps.campaign+int(hash2(h.fk, 21+episode)%4), fixManual
		if ps.orgWide {
			t, how = ps.campaign, fixCampaign
		}
		if t < day {
			day, by = t, how
		}
	}
	if since >= ps.guard {
		// The guardrail's drift detection puts it right within days.
		if t := since + 1 + int(hash2(h.fk, 14+episode)%6); t < day {
			day, by = t, fixManual
		}
	}
	var p float64
	var t int
	switch {
	case episode == 0 && old:
		p = ps.fixAlone
		lo := max(since+1, 1)
		t = lo + int(hash2(h.fk, 31)%uint64(max(1, days+60-lo)))
	case episode == 0:
		p = 0.35
		t = since + 2 + int(hash2(h.fk, 31)%30)
	default:
		p = 0.6
		t = since + 1 + int(hash2(h.fk, 32+episode)%25)
	}
	if h.u(30+episode) < p && t < day {
		day, by = t, fixManual
	}
	return day, by
}

// fold replays the events up to day d into the finding's state, applying Security Hub's workflow
// rules: PASSED sets RESOLVED, leaving PASSED resets to NEW, SUPPRESSED sticks.
func (o *Org) fold(d int, ev []event, a *account, ri int, c *control, r *resource, fk uint64) *model.Finding {
	f := &model.Finding{
		ProductARN:   productARNs["securityhub"][ri],
		ProductName:  "Security Hub",
		CompanyName:  "AWS",
		GeneratorID:  c.generatorID,
		AccountID:    a.AccountID,
		Region:       regions[ri],
		Type:         "Software and Configuration Checks/Industry and Regulatory Standards",
		Title:        c.Title,
		ResourceType: c.ResourceType,
		ResourceID:   r.id,
		ControlID:    c.ID,
		Standards:    c.standards,
		RecordState:  "ACTIVE",
	}
	var buf [160]byte
	id := append(buf[:0], "arn:aws:securityhub:"...)
	id = append(id, regions[ri]...)
	id = append(id, ':')
	id = append(id, a.AccountID...)
	id = append(id, ":security-control/"...)
	id = append(id, c.ID...)
	id = append(id, "/finding/"...)
	id = appendUUID(id, fk, hash2(fk, 0xf1d))
	f.ID = string(id)
	var comp, under uint8
	blip := false
	wf := ""
	setComp := func(s uint8) {
		old := comp
		comp = s
		switch {
		case wf == "SUPPRESSED":
		case s == stPassed:
			wf = "RESOLVED"
		case old == stPassed || wf == "RESOLVED":
			wf = "NEW"
		}
	}
	for _, e := range ev {
		if e.day > d {
			break
		}
		t := o.eventTime(e.day, int(e.kind), e.salt)
		switch e.kind {
		case evCreate:
			comp, under = e.status, e.status
			wf = "NEW"
			if comp == stPassed {
				wf = "RESOLVED"
			}
			f.FirstObservedAt, f.CreatedAt = t, t
		case evStatus:
			under = e.status
			if blip {
				continue
			}
			setComp(e.status)
		case evFix:
			under = stPassed
			changed := !blip
			if e.by == fixAuto {
				o.autoNote(f, a, c, fk, t)
				changed = true
			} else if e.by == fixCampaign && unit(hash2(fk, 80)) < 0.5 {
				note := campaignFixNotes[hash2(fk, 81)%uint64(len(campaignFixNotes))]
				f.NoteText = fill(strings.ReplaceAll(note, "%c", c.campaign), hash2(fk, 82), time.Time{})
				f.NoteUpdatedBy = o.secTeam[hash2(fk, 83)%uint64(len(o.secTeam))]
				f.NoteUpdatedAt = t.Add(-time.Duration(10+hash2(fk, 84)%600) * time.Minute)
				changed = true
			} else if unit(hash2(fk, 80)) < 0.2 {
				f.NoteText = fill(manualFixNotes[hash2(fk, 81)%uint64(len(manualFixNotes))], hash2(fk, 82), time.Time{})
				f.NoteUpdatedBy = a.lead
				f.NoteUpdatedAt = t.Add(-time.Duration(10+hash2(fk, 83)%600) * time.Minute)
				changed = true
			}
			if !changed {
				continue // hidden behind a NOT_AVAILABLE evaluation
			}
			if !blip {
				setComp(stPassed)
			}
		case evNotify:
			if wf != "NEW" || comp != stFailed {
				continue
			}
			wf = "NOTIFIED"
			ticket := strconv.Itoa(1000 + int(hash2(fk, 90)%9000))
			if hash2(fk, 91)%2 == 0 {
				f.NoteText = "Jira SEC-" + ticket + " created and assigned to the " + a.bu + " team"
				f.NoteUpdatedBy = "arn:aws:sts::" + o.admin.AccountID + ":assumed-role/SecurityHub-Jira-Sync/jira-sync"
			} else {
				f.NoteText = "Owner notified in #sec-" + a.bu + ", follow-up SEC-" + ticket
				f.NoteUpdatedBy = o.secTeam[hash2(fk, 92)%uint64(len(o.secTeam))]
			}
			f.NoteUpdatedAt = t
		case evSuppress:
			if under != stFailed && comp != stFailed {
				continue
			}
			wf = "SUPPRESSED"
			f.NoteText = o.suppressionReason(a, c, fk)
			f.NoteUpdatedBy = o.secTeam[hash2(fk, 93)%uint64(len(o.secTeam))]
			f.NoteUpdatedAt = t
		case evBlipStart:
			if blip {
				continue
			}
			blip = true
			setComp(stNotAvailable)
		case evBlipEnd:
			if !blip {
				continue
			}
			blip = false
			setComp(under)
		case evArchive:
			f.RecordState = "ARCHIVED"
		}
		f.UpdatedAt = t
		if e.kind == evArchive {
			break
		}
	}
	if f.CreatedAt.IsZero() {
		return nil
	}
	f.ComplianceStatus = statusNames[comp]
	f.WorkflowStatus = wf
	// Security Hub reports passed control findings as INFORMATIONAL and the control's severity
	// otherwise (Severity.Original keeps the control's rating, which the store does not hold).
	if comp == stPassed {
		f.SeverityLabel, f.SeverityNormalized = "INFORMATIONAL", 0
	} else {
		f.SeverityLabel, f.SeverityNormalized = c.Severity, c.severity
	}
	return f
}

// autoNote marks a finding the way an EventBridge rule + SSM Automation pipeline does after fixing
// the resource: a BatchUpdateFindings call from the remediation role with a note and/or
// user-defined fields.
func (o *Org) autoNote(f *model.Finding, a *account, c *control, fk uint64, fixed time.Time) {
	exec := uuidString(hash2(fk, 84), hash2(fk, 85))
	style := pairStyle(a, c)
	noted := fixed.Add(-time.Duration(2+hash2(fk, 86)%8) * time.Minute)
	if style != 2 {
		f.NoteText = "Auto-remediated by SSM Automation document " + c.autoDoc + " (execution " + exec + ")"
		f.NoteUpdatedBy = "arn:aws:sts::" + o.admin.AccountID + ":assumed-role/SecurityHub-AutoRemediation/remediate-" + c.ID
		f.NoteUpdatedAt = noted
	}
	if style != 1 {
		f.UserDefinedFields = map[string]string{
			"RemediatedBy":          "SSM-Automation",
			"AutomationExecutionId": exec,
			"AutomationDocument":    c.autoDoc,
			"RemediatedAt":          noted.Format(time.RFC3339),
		}
	}
}

func pairStyle(a *account, c *control) int {
	switch x := hash2(a.key, c.key^0x5757) % 100; {
	case x < 25:
		return 1
	case x < 40:
		return 2
	}
	return 0
}

func (o *Org) suppressionReason(a *account, c *control, fk uint64) string {
	list := suppressionReasons[""]
	if l, ok := suppressionReasons[c.service]; ok && hash2(fk, 94)%3 != 0 {
		list = l
	}
	if a.env == envSandbox && hash2(fk, 95)%2 == 0 {
		list = suppressionReasons["sandbox"]
	}
	// The acceptance runs to the end of a month two to six months after the last snapshot.
	until := o.cfg.End.AddDate(0, 2+int(hash2(fk, 96)%5), 0)
	until = time.Date(until.Year(), until.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	return fill(list[hash2(fk, 97)%uint64(len(list))], hash2(fk, 98), until)
}

// fill replaces %n with a ticket number and %u with a date.
func fill(s string, h uint64, until time.Time) string {
	s = strings.ReplaceAll(s, "%n", strconv.Itoa(1000+int(h%9000)))
	if !until.IsZero() {
		s = strings.ReplaceAll(s, "%u", until.Format(time.DateOnly))
	}
	return s
}

// ---------------------------------------------------------------------------------------------
// GuardDuty, Inspector and Macie

func (o *Org) guardDutyFindings(d, ai, ri int, emit func(*model.Finding)) {
	a := o.accounts[ai]
	pk := hash2(a.key, 0x6764_0000+uint64(ri))
	rate := 0.015 // findings per day
	switch ri {
	case a.primary:
		rate = 0.09
	case a.secondary:
		rate = 0.04
	}
	switch a.env {
	case envSandbox:
		rate *= 1.8
	case envDev:
		rate *= 1.3
	case envStaging:
		rate *= 0.9
	case envFoundation:
		rate *= 0.4
	}
	const lookback = 90 // GuardDuty findings stay in Security Hub for 90 days
	span := o.cfg.Days + lookback
	n := stochRound(rate*float64(span), hash2(pk, 1))
	detector := hexString(hash2(pk, 2), 32)
	if ds := o.inv[ai][ri]["AwsGuardDutyDetector"]; len(ds) > 0 {
		// The detector the GuardDuty.* controls evaluate.
		detector = ds[0].id[strings.LastIndexByte(ds[0].id, '/')+1:]
	}
	region, acct := regions[ri], a.AccountID
	instances := o.inv[ai][ri]["AwsEc2Instance"]
	buckets := o.inv[ai][ri]["AwsS3Bucket"]
	for j := 0; j < n; j++ {
		h := hash2(pk, uint64(100+j))
		start := -lookback + int(hash2(h, 1)%uint64(span))
		if start > d {
			continue
		}
		archived := never
		if unit(hash2(h, 2)) < 0.55 {
			archived = start + 2 + int(hash2(h, 3)%43)
		}
		gone := min(start+lookback, archived+archivedDays)
		if d >= gone {
			continue
		}
		t := threats[weighted(hash2(h, 4), len(threats), func(i int) int { return threats[i].weight })]
		var resType, resID, short string
		switch t.resource {
		case "instance":
			if r := alive(instances, start, hash2(h, 5)); r != nil {
				resType, resID, short = "AwsEc2Instance", r.id, r.id[strings.LastIndexByte(r.id, '/')+1:]
			}
		case "bucket":
			if r := alive(buckets, start, hash2(h, 5)); r != nil {
				resType, resID, short = "AwsS3Bucket", r.id, strings.TrimPrefix(r.id, "arn:aws:s3:::")
			}
		}
		if resType == "" {
			if t.resource == "instance" || t.resource == "bucket" {
				t = threats[fallbackThreat] // needs no resource in the region
			}
			resType = "AwsIamAccessKey"
			resID = "AWS::IAM::AccessKey:ASIA" + upperAlnum(hash2(h, 6), 16)
			nm := &namer{stem: a.Name, slot: int(hash2(h, 7) % 8), offset: int(hash2(h, 8) % 100)}
			if t.resource == "role" {
				short = strings.TrimPrefix(nm.personalize(nm.pick(iamRoleNames)), "sso:")
			} else if t.name == "Policy:IAMUser/RootCredentialUsage" {
				short = acct
			} else {
				short = nm.personalize(nm.pick(iamUserNames))
			}
		}
		sev := gdSeverity(t.severity)
		created := o.eventTime(start, 0, hash2(h, 9))
		f := &model.Finding{
			ID:                 "arn:aws:guardduty:" + region + ":" + acct + ":detector/" + detector + "/finding/" + hexString(hash2(h, 10), 32),
			ProductARN:         productARN(ri, "guardduty"),
			ProductName:        "GuardDuty",
			CompanyName:        "Amazon",
			GeneratorID:        "arn:aws:guardduty:" + region + ":" + acct + ":detector/" + detector,
			AccountID:          acct,
			Region:             region,
			Type:               t.asffType,
			Title:              fmt.Sprintf(t.title, short),
			ResourceType:       resType,
			ResourceID:         resID,
			FirstObservedAt:    created,
			CreatedAt:          created,
			UpdatedAt:          created,
			SeverityLabel:      sev,
			SeverityNormalized: int(t.severity * 10),
			WorkflowStatus:     "NEW",
			RecordState:        "ACTIVE",
		}
		if d >= archived {
			f.RecordState = "ARCHIVED"
			f.UpdatedAt = o.eventTime(archived, 5, hash2(h, 11))
		}
		emit(f)
	}
}

func gdSeverity(s float64) string {
	switch {
	case s >= 9:
		return "CRITICAL"
	case s >= 7:
		return "HIGH"
	case s >= 4:
		return "MEDIUM"
	}
	return "LOW"
}

// alive picks a resource that existed on day, or nil.
func alive(rs []resource, day int, h uint64) *resource {
	if len(rs) == 0 {
		return nil
	}
	start := int(h % uint64(len(rs)))
	for i := range rs {
		r := &rs[(start+i)%len(rs)]
		if r.born <= day && day < r.died {
			return r
		}
	}
	return nil
}

func (o *Org) inspectorFindings(d, ai, ri int, emit func(*model.Finding)) {
	a := o.accounts[ai]
	mean := map[string]float64{envSandbox: 2.2, envDev: 1.6, envStaging: 1.0, envProd: 0.7, envFoundation: 0.6}[a.env]
	const enabled = -400 // Inspector was enabled organization-wide about a year before the window
	region, acct := regions[ri], a.AccountID
	for _, kindName := range []string{"AwsEc2Instance", "AwsEcrRepository"} {
		container := kindName == "AwsEcrRepository"
		for i := range o.inv[ai][ri][kindName] {
			r := &o.inv[ai][ri][kindName][i]
			if r.born > d || d >= r.died+archivedDays {
				continue
			}
			for j := uint64(0); j < 6; j++ {
				h := hash2(r.key, 0x1a5e_c700+j)
				if unit(hash2(h, 1)) >= mean/6 {
					continue
				}
				ci := weighted(hash2(h, 2), len(cves), func(i int) int {
					if cves[i].container != container {
						return 0
					}
					return cves[i].weight
				})
				v := cves[ci]
				detect := max(r.born, o.cveDays[ci]+1+int(hash2(h, 3)%3), enabled+int(hash2(h, 4)%30))
				if detect > d {
					continue
				}
				end := r.died
				pFix := 0.45
				if v.severity == "CRITICAL" || v.severity == "HIGH" {
					pFix = 0.75
				}
				if unit(hash2(h, 5)) < pFix {
					end = min(end, detect+3+int(unit(hash2(h, 6))*60*(1.4-a.quality)))
				}
				if d >= end+archivedDays {
					continue
				}
				created := o.eventTime(detect, 0, hash2(h, 7))
				resType, resID := "AwsEc2Instance", r.id
				if container {
					resType, resID = "AwsEcrContainerImage", r.id+"/sha256:"+hexString(hash2(h, 8), 64)
				}
				f := &model.Finding{
					ID:                 "arn:aws:inspector2:" + region + ":" + acct + ":finding/" + hexString(hash2(h, 9), 32),
					ProductARN:         productARN(ri, "inspector"),
					ProductName:        "Inspector",
					CompanyName:        "Amazon",
					GeneratorID:        "AWSInspector",
					AccountID:          acct,
					Region:             region,
					Type:               "Software and Configuration Checks/Vulnerabilities/CVE",
					Title:              v.id + " - " + v.packages,
					ResourceType:       resType,
					ResourceID:         resID,
					FirstObservedAt:    created,
					CreatedAt:          created,
					UpdatedAt:          created,
					SeverityLabel:      v.severity,
					SeverityNormalized: normalized(v.severity),
					WorkflowStatus:     "NEW",
					RecordState:        "ACTIVE",
				}
				if d >= end {
					// Inspector closes the finding once the package is patched or the
					// resource is gone, and Security Hub archives it.
					f.RecordState = "ARCHIVED"
					f.UpdatedAt = o.eventTime(end, 5, hash2(h, 10))
				}
				emit(f)
			}
		}
	}
}

func (o *Org) macieFindings(d, ai, ri int, emit func(*model.Finding)) {
	a := o.accounts[ai]
	if !a.data || ri != a.primary || (a.env != envProd && a.env != envStaging) {
		return
	}
	buckets := o.inv[ai][ri]["AwsS3Bucket"]
	pk := hash2(a.key, 0x6d61_6369)
	n := 2 + int(hash2(pk, 1)%5)
	region, acct := regions[ri], a.AccountID
	for j := 0; j < n; j++ {
		h := hash2(pk, uint64(100+j))
		start := -120 + int(hash2(h, 1)%uint64(120+o.cfg.Days))
		if start > d {
			continue
		}
		archived := never
		if unit(hash2(h, 2)) < 0.35 {
			archived = start + 10 + int(hash2(h, 3)%50)
		}
		if d >= archived+archivedDays {
			continue
		}
		b := alive(buckets, start, hash2(h, 4))
		if b == nil {
			continue
		}
		t := sensitiveDataTypes[weighted(hash2(h, 5), len(sensitiveDataTypes), func(i int) int { return sensitiveDataTypes[i].weight })]
		created := o.eventTime(start, 0, hash2(h, 6))
		f := &model.Finding{
			ID:                 hexString(hash2(h, 7), 32),
			ProductARN:         productARN(ri, "macie"),
			ProductName:        "Macie",
			CompanyName:        "Amazon",
			GeneratorID:        "aws/macie",
			AccountID:          acct,
			Region:             region,
			Type:               t.asffType,
			Title:              t.title,
			ResourceType:       "AwsS3Bucket",
			ResourceID:         b.id,
			FirstObservedAt:    created,
			CreatedAt:          created,
			UpdatedAt:          created,
			SeverityLabel:      t.severity,
			SeverityNormalized: normalized(t.severity),
			WorkflowStatus:     "NEW",
			RecordState:        "ACTIVE",
		}
		if d >= archived {
			f.RecordState = "ARCHIVED"
			f.UpdatedAt = o.eventTime(archived, 5, hash2(h, 8))
		}
		emit(f)
	}
}

func productARN(ri int, product string) string { return productARNs[product][ri] }

// normalized is Security Hub's normalized score for a severity label.
func normalized(label string) int {
	switch label {
	case "CRITICAL":
		return 90
	case "HIGH":
		return 70
	case "MEDIUM":
		return 40
	case "LOW":
		return 1
	}
	return 0
}

// ---------------------------------------------------------------------------------------------
// Hashing: every decision is a hash of stable keys, so any day can be computed on its own and
// adding a control or an account leaves the others' histories unchanged (but for the class quotas
// of classify, where a new control can push one other across a quota's edge).

// mix is the splitmix64 finalizer.
func mix(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}

func hash2(a, b uint64) uint64 { return mix(a ^ mix(b+0x9e3779b97f4a7c15)) }

// strKey is FNV-1a of s, mixed.
func strKey(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix(h)
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// between maps a hash to [lo, hi]; lo when the range is empty.
func between(h uint64, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + int(h%uint64(hi-lo+1))
}

// stochRound rounds x down or up with probability its fraction, so small means still yield some.
func stochRound(x float64, h uint64) int {
	f := math.Floor(x)
	if unit(h) < x-f {
		f++
	}
	return int(f)
}

// weighted picks an index with probability proportional to weight(i).
func weighted(h uint64, n int, weight func(int) int) int {
	total := 0
	for i := 0; i < n; i++ {
		total += weight(i)
	}
	if total == 0 {
		return 0
	}
	x := int(h % uint64(total))
	for i := 0; i < n; i++ {
		if x -= weight(i); x < 0 {
			return i
		}
	}
	return n - 1
}
