// Package analyze turns a stored snapshot and its history into a Report. All compliance math lives
// here, as SQL over the store plus a little Go, following AWS's documented method:
//
//   - Control status in a scope, from the scope's control findings that are ACTIVE and not
//     SUPPRESSED: FAILED if any is FAILED; else UNKNOWN if any is WARNING or NOT_AVAILABLE; else
//     PASSED if any is PASSED; else NO_DATA. Disabled controls are out of scope.
//   - A finding counts for every standard in its associated standards, so a control shared by
//     several standards counts once in each.
//   - Standard score = PASSED / (PASSED + FAILED + UNKNOWN). The summary score is the same ratio
//     over unique controls: each control once across all reported standards, with one status from
//     all of its findings in the scope (the calculation and worked example of AWS's "Calculating
//     security scores" page). The mean of the standard scores is kept beside it, labelled as such.
package analyze

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store"
)

// Options are the knobs of the analysis. The zero value is completed by Defaults.
type Options struct {
	// Now is the wall clock. It is used only to judge whether the snapshot is stale (see
	// MaxSnapshotAge), and then only its date is printed: the report is otherwise a function of
	// the snapshot and these options, so that building it again gives the same bytes.
	Now func() time.Time
	// MaxSnapshotAge marks the report stale (Report.Stale) when the snapshot is older than this
	// at Now (report.max_snapshot_age). 0 never marks it: a report asked for a past snapshot on
	// purpose, or the demo's synthetic history.
	MaxSnapshotAge time.Duration
	// WindowDays is the progress window ending at the report's snapshot (default 90).
	WindowDays int
	// TargetScore is the score to project a date for, in percent (default 90).
	TargetScore float64
	// TargetHorizonDays is how far ahead a projected date may lie for a standard to be on track
	// (default 365).
	TargetHorizonDays int
	// TopControls is how many failed controls to list (default 25).
	TopControls int
	// AutomationMarkers identify automated remediations: matched case-insensitively as substrings
	// of Note.UpdatedBy and of the UserDefinedFields keys and values of the remediating change.
	AutomationMarkers []string
	// ExpiryField is the UserDefinedFields key read as a suppression's expiry, a date or an
	// RFC 3339 time (exceptions.expiry_field; default DefaultExpiryField).
	ExpiryField string
	// ExceptionMaxAgeDays: a suppression without an expiry field lapses this many days after it
	// was last set (exceptions.max_age_days). 0: no maximum, such a suppression never expires.
	ExceptionMaxAgeDays int
	// ChangeWindow is how far back the "change since" comparison of top failed controls looks
	// (default 7 days; the snapshot nearest to that moment within a day is used).
	ChangeWindow time.Duration
	// Scope, when set, computes the report over these accounts only, as if they were the
	// organization (a routed report); nil: the whole organization.
	Scope *Scope
	// StepDone, when set, is told how long each step of the analysis took (for debug logs and
	// benchmarks).
	StepDone func(step string, d time.Duration)
}

// DefaultAutomationMarkers match the role and document names of the common auto-remediation set-ups
// (Security Hub automation rules with EventBridge + Lambda, SSM Automation).
var DefaultAutomationMarkers = []string{"AutoRemediation", "SSM-Automation"}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.WindowDays <= 0 {
		o.WindowDays = 90
	}
	if o.TargetScore <= 0 {
		o.TargetScore = 90
	}
	if o.TargetHorizonDays <= 0 {
		o.TargetHorizonDays = 365
	}
	if o.TopControls <= 0 {
		o.TopControls = 25
	}
	if o.AutomationMarkers == nil {
		o.AutomationMarkers = DefaultAutomationMarkers
	}
	if o.ExpiryField == "" {
		o.ExpiryField = DefaultExpiryField
	}
	if o.ChangeWindow <= 0 {
		o.ChangeWindow = 7 * 24 * time.Hour
	}
	return o
}

const dateLayout = "2006-01-02"

// Build computes the report for snapshot snap. It only reads the store, and given the same store
// and options it returns the same report. GeneratedAt is the snapshot's time, not the clock's: a
// report built again for the same snapshot (a retried delivery) must be the same file, byte for
// byte. The clock only decides Stale.
func Build(ctx context.Context, st *store.Store, snap model.Snapshot, opt Options) (*report.Report, error) {
	opt = opt.withDefaults()
	a := &analyzer{st: st, snap: snap, opt: opt}
	if opt.Scope != nil {
		c, err := st.ScopedConn(ctx, opt.Scope.Accounts)
		if err != nil {
			return nil, err
		}
		defer func() { _ = c.Close() }() // read-only; Close discards the connection if it cannot drop the scope
		a.scoped, a.pinned = c, c.Conn
		if err := a.scopeSnapshot(ctx); err != nil {
			return nil, fmt.Errorf("analyze snapshot %d for %s: %w", snap.ID, opt.Scope.Name, err)
		}
		snap = a.snap
	} else {
		// Every read runs on one connection, so that what one step derives from the report's
		// snapshot and keeps in a temp table (accountControls) serves the steps after it.
		c, err := st.DB().Conn(ctx)
		if err != nil {
			return nil, err
		}
		defer func() { _ = c.Close() }() // read-only work: a close error loses nothing
		a.pinned = c
	}
	defer a.dropDerived()
	// The report's snapshot is read a dozen times: its finding states are read once and kept.
	start := time.Now()
	release, err := store.KeepSnapshotStates(ctx, a.pinned, snap.ID)
	if err != nil {
		return nil, fmt.Errorf("analyze snapshot %d: %w", snap.ID, err)
	}
	defer func() { _ = release() }() // release discards the connection if it cannot
	if opt.StepDone != nil {
		opt.StepDone("read snapshot", time.Since(start))
	}
	r := &report.Report{
		Scope:                opt.reportScope(),
		GeneratedAt:          snap.TakenAt.UTC().Truncate(time.Second),
		Stale:                staleness(snap.TakenAt, opt.Now(), opt.MaxSnapshotAge),
		Organization:         snap.Organization,
		AdministratorAccount: snap.AdministratorAccount,
		ReportDate:           snap.TakenAt.UTC().Format(dateLayout),
		Snapshot: report.SnapshotInfo{ID: snap.ID, TakenAt: snap.TakenAt.UTC(), Source: snap.Source, Status: snap.Status,
			Findings: snap.Findings, AccountsCollected: snap.AccountsCollected, AccountsExpected: snap.AccountsExpected,
			Empty: snap.Empty},
	}
	steps := []struct {
		name string
		fn   func(context.Context, *report.Report) error
	}{
		{"standard scores", a.standards},
		{"account scores", a.accounts},
		{"reconciliation", a.reconciliation},
		{"top failed controls", a.topFailed},
		{"finding summary", a.findingSummary},
		{"progress", a.progress},
		{"organizational units", a.organizationalUnits},
		{"coverage", a.coverage},
		{"failed findings", a.failedFindings},
		{"suppressed findings", a.suppressed},
		{"exceptions", a.exceptions},
		{"remediation plan", a.remediationPlan},
		{"since last week", a.sinceLastWeek},
		{"control statuses", a.controlStatuses},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := s.fn(ctx, r); err != nil {
			return nil, fmt.Errorf("analyze snapshot %d: %s: %w", snap.ID, s.name, err)
		}
		if opt.StepDone != nil {
			opt.StepDone(s.name, time.Since(start))
		}
	}
	return r, nil
}

type analyzer struct {
	st *store.Store
	// scoped, when the report has a Scope, is the connection every read goes through (see db).
	scoped *store.ScopedConn
	// pinned is the connection every read goes through: the scoped one, or one of the pool's.
	pinned *sql.Conn
	// accountControlsReady: temp table report_account_controls holds the report snapshot's
	// account statuses (accountControls).
	accountControlsReady bool
	snap                 model.Snapshot
	opt                  Options
	// unique caches uniqueTallies for the report's snapshot.
	unique *tallies
	// infos and failures cache controlInfos and controlFailures for the report's snapshot, which
	// several steps read (callers do not modify them).
	infos    map[string]controlInfo
	failures map[string]controlFailures
	// fixes caches remediations shown since fixesSince (see remediations).
	fixes      []remediation
	fixesSince time.Time
}

// markerPattern is an RE2 regular expression (Go's and DuckDB's dialects agree on it) matching any
// automation marker, for lower-cased text.
func markerPattern(markers []string) string {
	var alts []string
	for _, m := range markers {
		if m = strings.TrimSpace(m); m != "" {
			alts = append(alts, regexp.QuoteMeta(strings.ToLower(m)))
		}
	}
	if len(alts) == 0 {
		return "a^" // matches nothing
	}
	return strings.Join(alts, "|")
}

// score is PASSED / (PASSED + FAILED + UNKNOWN) in percent; nil when no control had data.
func score(passed, failed, unknown int) *float64 {
	d := passed + failed + unknown
	if d == 0 {
		return nil
	}
	s := 100 * float64(passed) / float64(d)
	return &s
}

// mean of the non-nil scores; nil when there are none.
func mean(xs []*float64) *float64 {
	var sum float64
	var n int
	for _, x := range xs {
		if x != nil {
			sum += *x
			n++
		}
	}
	if n == 0 {
		return nil
	}
	m := sum / float64(n)
	return &m
}
