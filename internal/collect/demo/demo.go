// Package demo is a synthetic AWS Organization whose Security Hub findings look like the real thing:
// a landing zone plus business-unit accounts, resources that come and go, control findings that
// fail, get fixed by people or by automation, regress, get suppressed or archived, and GuardDuty,
// Inspector and Macie findings on top. It feeds `make demo`, seeds the AWS emulator and backs many
// tests, so it is deterministic and cheap: any day's snapshot is a pure function of the Config and
// the day index, computed from hashes without simulating the days before it.
package demo

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
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
