// Package run is the scheduled chain of the reporter: collect (or merge the shards of a sharded
// collection), save the database (to S3 when store.s3_state is set), report, deliver. Run runs it
// once, Schedule on cron schedules. It also holds the glue the other commands share with it: collecting into a snapshot, writing reports,
// opening the store. cmd/reporter parses flags and loads the configuration, hands everything
// over in an Options, and maps the errors returned here to its exit codes: UsageError (2),
// ErrPartial and ErrStale (3), *NotDeliveredError (4), context.Canceled (130).
package run

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
)

// Options is what a run, or one of its steps, needs. There is no global state: the caller (the
// command line, the scheduler, a test) builds it.
type Options struct {
	Config config.Config
	// Steps are the steps Run runs; the other functions ignore them.
	Steps Steps
	// InitState lets a run whose store.s3_state object does not exist start an empty history and
	// create it (the first run only; see fetchState).
	InitState bool
	// DB is the database file Collect writes into; "" means Config.Store.Path. Run always uses
	// Config.Store.Path.
	DB string
	// Version is the reporter's version, written into the reports (the evidence manifest).
	Version string
	Log     *slog.Logger
	// Stdout is where WriteReports writes a report asked for on "-".
	Stdout io.Writer
	// Progress is where a collection's live progress line goes when ProgressLive (a terminal);
	// otherwise progress is logged every ProgressEvery (0: never).
	Progress      io.Writer
	ProgressLive  bool
	ProgressEvery time.Duration
	// Now is the wall clock, which only judges whether the latest snapshot is stale; tests pin
	// it. nil is time.Now.
	Now func() time.Time
	// Env is the process environment, for the secrets the configuration names by variable
	// (deliver.email.smtp.password_env).
	Env []string
	// AWSConfig loads the AWS SDK configuration when a step first needs AWS; nil is the SDK's
	// default chain (environment, shared files, the task role). Tests point it at the emulator.
	AWSConfig func(ctx context.Context) (sdkaws.Config, error)
	// HTTPClient posts the chat digests (deliver.slack, deliver.teams); nil is the chat package's
	// default. Tests hand over one that trusts their TLS server.
	HTTPClient *http.Client
	// SMTPTLS trusts the SMTP server's certificate (deliver.email.transport smtp); nil is the
	// system's roots. Tests hand over one that trusts their server.
	SMTPTLS *tls.Config

	// job is what Schedule runs for each job; nil is Run. Tests set it to make a job slow or
	// panic.
	job func(context.Context, Options) (Result, error)
}

func (o Options) db() string {
	if o.DB != "" {
		return o.DB
	}
	return o.Config.Store.Path
}

func (o Options) log() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

// Steps says which steps of a run to run. Collect and Merge are alternatives: collect stores a
// snapshot itself, merge stores the one sharded collectors uploaded.
type Steps struct {
	Collect, Merge, Report, Deliver bool
}

// StepNames are the steps of a run, in order, as --steps names them.
var StepNames = []string{"collect", "merge", "report", "deliver"}

func (s Steps) has(name string) bool {
	switch name {
	case "collect":
		return s.Collect
	case "merge":
		return s.Merge
	case "report":
		return s.Report
	case "deliver":
		return s.Deliver
	}
	return false
}

// Names lists the steps asked for, in their order.
func (s Steps) Names() []string {
	var out []string
	for _, n := range StepNames {
		if s.has(n) {
			out = append(out, n)
		}
	}
	return out
}

// stores reports whether the run stores a snapshot.
func (s Steps) stores() bool { return s.Collect || s.Merge }

// ParseSteps reads a comma-separated list of step names (the --steps flag).
func ParseSteps(list string) (Steps, error) {
	var steps Steps
	named := false
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		switch s {
		case "collect":
			steps.Collect = true
		case "merge":
			steps.Merge = true
		case "report":
			steps.Report = true
		case "deliver":
			steps.Deliver = true
		default:
			return Steps{}, usagef("--steps: unknown step %q (known: %s)", s, strings.Join(StepNames, ", "))
		}
		named = true
	}
	if !named {
		return Steps{}, usagef("--steps names no step")
	}
	if steps.Collect && steps.Merge {
		return Steps{}, usagef("--steps: collect and merge are alternatives: collect stores a snapshot itself, merge stores the one sharded collectors uploaded")
	}
	if steps.Deliver {
		steps.Report = true // what is delivered is what this run rendered
	}
	return steps, nil
}

// Result is what a run did, for its log line.
type Result struct {
	Steps    []string
	Snapshot int64
	Partial  bool
	Stale    error // staleWarning's ErrStale when the reported snapshot was stale
	Written  []string
	Archived int
	Emailed  int
	// Sent lists every email sent: the organization's report and each route's.
	Sent   []Sent
	Posted int // chat webhooks the digest was posted to
	Start  time.Time
}

// Warning is the error (exit 3) of a run that succeeded on a partial or a stale snapshot, nil
// otherwise. Run does not return it itself: for the scheduler's log line such a run is not a
// failure.
func (r Result) Warning() error {
	if r.Partial {
		return fmt.Errorf("snapshot %d: %w", r.Snapshot, ErrPartial)
	}
	return r.Stale
}

// LogFinished writes the one line every run ends with: outcome, duration and snapshot.
func LogFinished(log *slog.Logger, job string, res Result, err error) {
	outcome := "ok"
	switch {
	case errors.Is(err, context.Canceled):
		outcome = "cancelled"
	case err != nil:
		outcome = "failed"
	case res.Partial:
		outcome = "partial"
	case res.Stale != nil:
		outcome = "stale"
	}
	attrs := []any{"job", job, "outcome", outcome, "steps", strings.Join(res.Steps, ","), "snapshot", res.Snapshot,
		"duration_ms", time.Since(res.Start).Milliseconds(), "reports", len(res.Written), "archived", res.Archived, "emailed", res.Emailed, "emails", len(res.Sent), "posted", res.Posted}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
		log.Error("run finished", attrs...)
		return
	}
	log.Info("run finished", attrs...)
}

// Run is one run: fetch the database from S3 when configured, collect (or merge the shards of a
// sharded collection), save the database (closed with a checkpoint, verified, and uploaded), then
// report and deliver. The collection is saved before anything is delivered: a delivery that fails
// after it returns *NotDeliveredError (exit 4), and `run --steps report,deliver` delivers the
// saved snapshot later, without uploading anything. The database is open only while a step needs
// it, so other commands can read it between runs. With collect.aws.shard set the run is one
// collector of several instead (collectShard): it never touches the database.
func Run(ctx context.Context, o Options) (Result, error) {
	res := Result{Start: time.Now(), Steps: o.Steps.Names()}
	cfg, steps := o.Config, o.Steps
	if err := checkShardedSteps(cfg, steps); err != nil {
		return res, err
	}
	stores := steps.stores()
	if o.InitState && (!stores || cfg.Store.S3State.Bucket == "" || cfg.Collect.AWS.Shard != "") {
		return res, usagef("--init-state creates the store.s3_state object with this run's snapshot: it needs store.s3_state and the collect or merge step (not a shard's collect)")
	}
	aws := &clients{load: o.AWSConfig}
	if cfg.Collect.AWS.Shard != "" {
		err := collectShard(ctx, o, aws, &res)
		return res, err
	}
	// The shards are looked for before the state is downloaded: a missing one fails the run at
	// once, naming it.
	var shards *shardSet
	if steps.Merge {
		var err error
		if shards, err = findShards(ctx, o, aws); err != nil {
			return res, err
		}
	}
	db := cfg.Store.Path
	var state *runState
	if cfg.Store.S3State.Bucket != "" {
		var err error
		if state, err = fetchState(ctx, o, aws, db); err != nil {
			return res, err
		}
	}

	if stores {
		var snap model.Snapshot
		var err error
		if steps.Collect {
			snap, err = collectInto(ctx, o, db)
		} else {
			snap, err = shards.merge(ctx, o, db)
		}
		if err != nil {
			return res, err
		}
		res.Snapshot, res.Partial = snap.ID, snap.Status == model.StatusPartial
		if state != nil {
			if err := state.save(ctx, o.log(), db, snap.ID); err != nil {
				return res, err
			}
		}
	}

	if err := reportAndDeliver(ctx, o, aws, db, &res); err != nil {
		if stores {
			return res, &NotDeliveredError{Snapshot: res.Snapshot, Err: err}
		}
		return res, err
	}
	return res, nil
}

// reportAndDeliver runs the report and deliver steps, when asked, for the latest snapshot.
func reportAndDeliver(ctx context.Context, o Options, aws *clients, db string, res *Result) error {
	if !o.Steps.Report {
		return nil
	}
	r, written, routed, err := reportLatest(ctx, o, db)
	if err != nil {
		return err
	}
	res.Written = written
	res.Snapshot, res.Partial = r.Snapshot.ID, r.Snapshot.Status == model.StatusPartial
	res.Stale = staleWarning(r)
	if !o.Steps.Deliver {
		return nil
	}
	return deliverReports(ctx, o, aws, r, routed, res)
}

// reportLatest writes every configured format for the latest snapshot into report.out, and the
// report of each route (deliver.email.routes) below it (WriteRoutedReports).
func reportLatest(ctx context.Context, o Options, db string) (*report.Report, []string, []RoutedReport, error) {
	cfg := o.Config
	formats, err := ParseFormats(cfg.Report.Formats)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := OpenForAnalysis(ctx, db, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	defer st.Close()
	snap, err := st.SnapshotAt(ctx, time.Time{})
	if err != nil {
		return nil, nil, nil, err
	}
	// The latest snapshot: stale past report.max_snapshot_age, which the reports then say.
	opt := LatestOptions(cfg, o.Now)
	r, err := analyze.Build(ctx, st, snap, opt)
	if err != nil {
		return nil, nil, nil, err
	}
	written, err := WriteReports(ctx, o, st, r, formats, cfg.Report.Out)
	if err != nil || len(cfg.Deliver.Email.Routes) == 0 {
		return r, written, nil, err
	}
	routed, err := WriteRoutedReports(ctx, o, st, snap, opt, cfg.Report.Out)
	return r, written, routed, err
}
