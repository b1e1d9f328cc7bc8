package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/store"
)

type collectOptions struct {
	db            string
	mode          string
	shard         string
	progressEvery time.Duration
}

func runCollect(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "collect", "collect [--config FILE] [--db PATH] [--mode aggregator|accounts] [--shard i/n]")
	var o collectOptions
	fs.StringVar(&o.db, "db", "", "database file (default: store.path, REPORTER_DB, or data/reporter.duckdb)")
	fs.StringVar(&o.mode, "mode", "", "aggregator (read the delegated administrator's aggregation region) or accounts (assume a role in each member); default: collect.aws.mode")
	fs.StringVar(&o.shard, "shard", "", "i/n: collect the i-th of n slices of the accounts (accounts mode; 1-based), for n collectors side by side")
	fs.DurationVar(&o.progressEvery, "progress-every", 10*time.Second, "how often progress is logged when stderr is not a terminal")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("collect takes no arguments, got %q", fs.Args())
	}
	cfg, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	if o.db == "" {
		o.db = cfg.Store.Path
	}
	if o.mode != "" {
		cfg.Collect.AWS.Mode = o.mode
		if err := cfg.Validate(); err != nil {
			return usagef("--mode: %v", err)
		}
	}
	shardFrom := "collect.aws.shard"
	if o.shard != "" {
		if _, _, err := config.ParseShard(o.shard); err != nil {
			return usagef("--shard %v", err)
		}
		cfg.Collect.AWS.Shard, shardFrom = o.shard, "--shard"
	}
	if err := checkShardMode(cfg, shardFrom); err != nil {
		return err
	}
	snap, err := collectSnapshot(ctx, e, cfg, o.db, o.progressEvery)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "snapshot %d: %d findings from %d of %d accounts (%s, %s)\n",
		snap.ID, snap.Findings, snap.AccountsCollected, snap.AccountsExpected, snap.Source, o.db)
	if snap.Status == model.StatusPartial {
		return fmt.Errorf("snapshot %d: %w (see the report's coverage section, or `reporter report --format text`)", snap.ID, errPartial)
	}
	return nil
}

// checkShardMode refuses a shard (named as from: the flag or the key) outside accounts mode: the
// aggregator is one stream, which cannot be split by account.
func checkShardMode(cfg config.Config, from string) error {
	if cfg.Collect.AWS.Shard != "" && (cfg.Collect.Source != "aws" || cfg.Collect.AWS.Mode != "accounts") {
		return usagef("%s needs collect.source aws and collect.aws.mode accounts", from)
	}
	return nil
}

// collectSnapshot stores one snapshot from the configured source. Nothing is stored unless the
// whole collection succeeds.
func collectSnapshot(ctx context.Context, e *env, cfg config.Config, db string, progressEvery time.Duration) (model.Snapshot, error) {
	cat, err := loadCatalog(cfg)
	if err != nil {
		return model.Snapshot{}, err
	}
	var (
		meta       model.SnapshotMeta
		stds       []model.Standard
		ctls       []model.Control
		src        collect.Source
		progress   = &collect.Progress{}
		showsPairs bool
	)
	switch cfg.Collect.Source {
	case "aws":
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return model.Snapshot{}, fmt.Errorf("AWS configuration: %w", err)
		}
		a := cfg.Collect.AWS
		var shard, shards int // 0 of 0: every account
		if a.Shard != "" {
			i, n, err := config.ParseShard(a.Shard)
			if err != nil {
				return model.Snapshot{}, &config.ValidationError{Key: "collect.aws.shard", Msg: err.Error()}
			}
			shard, shards = i-1, n
		}
		aws, err := collect.NewAWSSource(awsCfg, collect.AWSOptions{
			Mode: a.Mode, RoleName: a.RoleName, Regions: a.Regions, IncludeAccounts: a.Accounts.Include,
			ExcludeAccounts: a.Accounts.Exclude, MaxConcurrency: a.MaxConcurrency, AssumeRoleARN: a.AssumeRoleARN,
			ProductNames: a.ProductNames, Shard: shard, Shards: shards, Catalog: cat, Progress: progress, Log: e.log,
		})
		if err != nil {
			return model.Snapshot{}, err
		}
		plan, err := aws.Prepare(ctx)
		if err != nil {
			return model.Snapshot{}, err
		}
		e.log.Info("collecting", "mode", a.Mode, "administrator", plan.AdministratorAccount, "home_region", plan.HomeRegion,
			"accounts", len(plan.Accounts), "regions", plan.Regions, "standards", len(plan.Standards), "controls", len(plan.Controls))
		meta, stds, ctls, src = plan.Meta(cfg.OrganizationOr(config.DefaultOrganization)), plan.Standards, plan.Controls, aws
		showsPairs = a.Mode == collect.ModeAccounts
	case "demo":
		// The demo organization as of now: one snapshot, so the whole chain runs without AWS.
		org, err := demo.New(demo.Config{Days: 1, End: time.Now().UTC(), Catalog: cat})
		if err != nil {
			return model.Snapshot{}, err
		}
		// The configured name wins; the demo's own only stands in for none.
		meta = model.SnapshotMeta{Source: "demo", Organization: cfg.OrganizationOr(org.Organization()),
			AdministratorAccount: org.AdministratorAccount(), AccountsExpected: len(org.Accounts())}
		stds, ctls = cat.ForSnapshot(org.Standards())
		src = collect.SourceFunc(func(ctx context.Context, sink collect.Sink) error { return org.Snapshot(ctx, 0, sink) })
	default:
		return model.Snapshot{}, usagef("collect.source %q: collect reads aws or demo; exported files go through `reporter import`", cfg.Collect.Source)
	}
	meta.TakenAt = time.Now().UTC()
	if at := cfg.Collect.AWS.ShardStartedAt; at != "" && cfg.Collect.Source == "aws" && cfg.Collect.AWS.Shard != "" {
		// Every shard of one collection dates its snapshot the same, so that the merge stores
		// them as one snapshot of one day whenever each of them finished.
		if meta.TakenAt, err = config.ParseStartedAt(at); err != nil {
			return model.Snapshot{}, &config.ValidationError{Key: "collect.aws.shard_started_at", Msg: err.Error()}
		}
		// Refused before collecting for an hour, not when the snapshot is begun.
		if err := store.CheckTakenAt(meta.TakenAt, time.Now()); err != nil {
			return model.Snapshot{}, &config.ValidationError{Key: "collect.aws.shard_started_at", Msg: err.Error()}
		}
	}

	st, err := openWritable(ctx, db, cfg.Store.MemoryLimit)
	if err != nil {
		return model.Snapshot{}, err
	}
	defer st.Close()
	stopProgress := showProgress(e, progress, progressEvery, showsPairs)
	start := time.Now()
	snap, err := st.WriteSnapshot(ctx, meta, stds, ctls, collect.Fill[*store.SnapshotWriter](collect.WithDisabled(src, disabledRules(cfg), cat, ctls)))
	stopProgress()
	if err != nil {
		return model.Snapshot{}, err
	}
	d := time.Since(start)
	e.log.Info("snapshot stored", "snapshot", snap.ID, "status", snap.Status, "findings", snap.Findings,
		"accounts", snap.AccountsCollected, "accounts_expected", snap.AccountsExpected, "duration_ms", d.Milliseconds(),
		"findings_per_s", int(float64(snap.Findings)/max(d.Seconds(), 1e-9)))
	if r, ok := src.(interface{ RetiredFindings() int64 }); ok && r.RetiredFindings() > 0 {
		// The findings are not stored (AWS leaves retired controls out of every score); their count
		// is, per standard, for the reconciliation.
		e.log.Info("findings of retired controls dropped", "snapshot", snap.ID, "findings", r.RetiredFindings())
	}
	applyRetention(ctx, e, st, cfg.Store.RetentionDays)
	return snap, st.Close()
}

// showProgress reports a running collection: a live line on a terminal, otherwise a log line
// every `every`. The returned function stops it and ends the live line.
func showProgress(e *env, p *collect.Progress, every time.Duration, withETA bool) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	tty := isTerminal(e.stderr)
	interval := every
	if tty {
		interval = 500 * time.Millisecond
	}
	if interval <= 0 {
		close(finished)
		return func() {}
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				if tty {
					fmt.Fprintln(e.stderr)
				}
				return
			case <-t.C:
			}
			s := p.State()
			if tty {
				line := fmt.Sprintf("\rcollecting: accounts %d/%d, %d findings, %.0f findings/s", s.AccountsDone, s.AccountsTotal, s.Findings, s.FindingsPerSecond)
				if withETA && s.ETA > 0 {
					line += ", ETA " + s.ETA.Round(time.Second).String()
				}
				fmt.Fprintf(e.stderr, "%-100s", line)
				continue
			}
			attrs := []any{"accounts_done", s.AccountsDone, "accounts_total", s.AccountsTotal, "findings", s.Findings,
				"findings_per_s", int(s.FindingsPerSecond), "duration_ms", s.Elapsed.Milliseconds()}
			if withETA && s.ETA > 0 {
				attrs = append(attrs, "eta_s", int(s.ETA.Seconds()))
			}
			e.log.Info("collect progress", attrs...)
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// disabledRules converts the configuration's controls.disabled for the sources.
func disabledRules(cfg config.Config) []collect.DisabledRule {
	out := make([]collect.DisabledRule, len(cfg.Controls.Disabled))
	for i, d := range cfg.Controls.Disabled {
		out[i] = collect.DisabledRule{ControlID: d.ControlID, Standard: d.Standard, Account: d.Account, Region: d.Region, Reason: d.Reason}
	}
	return out
}
