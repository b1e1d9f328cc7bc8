package run

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/store"
)

// The store's snapshot writer is what every collector writes into. collect does not import the
// store downstream of it, so the check that the writer takes everything a source hands over
// lives here, where the two are joined.
var (
	_ collect.Sink         = (*store.SnapshotWriter)(nil)
	_ collect.DisabledSink = (*store.SnapshotWriter)(nil)
	_ collect.RetiredSink  = (*store.SnapshotWriter)(nil)
)

// Collect stores one snapshot from the configured source (collect.source aws or demo) into
// o.DB. Nothing is stored unless the whole collection succeeds. A snapshot with gaps is stored
// and returned with status partial; the caller decides what that means for its exit code.
func Collect(ctx context.Context, o Options) (model.Snapshot, error) {
	return collectInto(ctx, o, o.db())
}

// CheckShardMode refuses a shard (named as from: the flag or the key) outside accounts mode: the
// aggregator is one stream, which cannot be split by account.
func CheckShardMode(cfg config.Config, from string) error {
	if cfg.Collect.AWS.Shard != "" && (cfg.Collect.Source != "aws" || cfg.Collect.AWS.Mode != "accounts") {
		return usagef("%s needs collect.source aws and collect.aws.mode accounts", from)
	}
	return nil
}

// Fill is src as store.WriteSnapshot takes it: the source writes its findings, disabled controls
// and retired-finding counts into the store's snapshot writer (the checks above say it takes all
// three). The glue between collect and store, for every command that stores a snapshot.
func Fill(src collect.Source) func(context.Context, *store.SnapshotWriter) error {
	return collect.Fill[*store.SnapshotWriter](src)
}

func collectInto(ctx context.Context, o Options, db string) (model.Snapshot, error) {
	cfg, log := o.Config, o.log()
	cat, err := LoadCatalog(cfg)
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
		awsCfg, err := loadAWS(ctx, o.AWSConfig)
		if err != nil {
			return model.Snapshot{}, err
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
			ProductNames: a.ProductNames, OwnerTag: a.OwnerTag, Shard: shard, Shards: shards, Catalog: cat, Progress: progress, Log: log,
		})
		if err != nil {
			return model.Snapshot{}, err
		}
		plan, err := aws.Prepare(ctx)
		if err != nil {
			return model.Snapshot{}, err
		}
		log.Info("collecting", "mode", a.Mode, "administrator", plan.AdministratorAccount, "home_region", plan.HomeRegion,
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

	st, err := OpenWritable(ctx, log, db, cfg.Store.MemoryLimit)
	if err != nil {
		return model.Snapshot{}, err
	}
	defer st.Close()
	stopProgress := showProgress(o, progress, showsPairs)
	start := time.Now()
	snap, err := st.WriteSnapshot(ctx, meta, stds, ctls, Fill(collect.WithAccounts(collect.WithDisabled(src, DisabledRules(cfg), cat, ctls), AccountInfos(cfg))))
	stopProgress()
	if err != nil {
		return model.Snapshot{}, err
	}
	d := time.Since(start)
	log.Info("snapshot stored", "snapshot", snap.ID, "status", snap.Status, "findings", snap.Findings,
		"accounts", snap.AccountsCollected, "accounts_expected", snap.AccountsExpected, "duration_ms", d.Milliseconds(),
		"findings_per_s", int(float64(snap.Findings)/max(d.Seconds(), 1e-9)))
	if r, ok := src.(interface{ RetiredFindings() int64 }); ok && r.RetiredFindings() > 0 {
		// The findings are not stored (AWS leaves retired controls out of every score); their count
		// is, per standard, for the reconciliation.
		log.Info("findings of retired controls dropped", "snapshot", snap.ID, "findings", r.RetiredFindings())
	}
	ApplyRetention(ctx, log, st, cfg.Store.RetentionDays)
	return snap, st.Close()
}

// showProgress reports a running collection: a live line on a terminal (o.ProgressLive),
// otherwise a log line every o.ProgressEvery. The returned function stops it and ends the live
// line.
func showProgress(o Options, p *collect.Progress, withETA bool) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	tty := o.ProgressLive && o.Progress != nil
	interval := o.ProgressEvery
	if tty {
		interval = 500 * time.Millisecond
	}
	if interval <= 0 {
		close(finished)
		return func() {}
	}
	log := o.log()
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				if tty {
					fmt.Fprintln(o.Progress)
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
				fmt.Fprintf(o.Progress, "%-100s", line)
				continue
			}
			attrs := []any{"accounts_done", s.AccountsDone, "accounts_total", s.AccountsTotal, "findings", s.Findings,
				"findings_per_s", int(s.FindingsPerSecond), "duration_ms", s.Elapsed.Milliseconds()}
			if withETA && s.ETA > 0 {
				attrs = append(attrs, "eta_s", int(s.ETA.Seconds()))
			}
			log.Info("collect progress", attrs...)
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// AccountInfos converts the configuration's accounts for collect.WithAccounts, OU paths
// normalized (no root).
func AccountInfos(cfg config.Config) []model.Account {
	out := make([]model.Account, len(cfg.Accounts))
	for i, a := range cfg.Accounts {
		out[i] = model.Account{AccountID: a.AccountID, Name: strings.TrimSpace(a.Name), OU: config.OUPath(a.OU), Owner: strings.TrimSpace(a.Owner)}
	}
	return out
}

// DisabledRules are the configuration's disabled controls as collect takes them.
func DisabledRules(cfg config.Config) []collect.DisabledRule {
	out := make([]collect.DisabledRule, len(cfg.Controls.Disabled))
	for i, d := range cfg.Controls.Disabled {
		out[i] = collect.DisabledRule{ControlID: d.ControlID, Standard: d.Standard, Account: d.Account, Region: d.Region, Reason: d.Reason}
	}
	return out
}

// LoadCatalog is the catalog every command uses: the file catalog.path names, or the embedded
// one. A file that cannot be read or used is a configuration error (exit 2) naming the key and
// the file.
func LoadCatalog(cfg config.Config) (*catalog.Catalog, error) {
	p := cfg.Catalog.Path
	if p == "" {
		return catalog.Default()
	}
	r, err := os.Open(p)
	if err != nil {
		return nil, &config.ValidationError{Key: "catalog.path", Msg: err.Error()}
	}
	defer func() { _ = r.Close() }() // read-only: a close error cannot lose data
	f, err := catalog.ParseFile(r, p)
	if err != nil {
		return nil, &config.ValidationError{Key: "catalog.path", Msg: err.Error() + " (not a catalog file as `reporter catalog refresh` writes)"}
	}
	cat, err := catalog.FromFile(f)
	if err != nil {
		return nil, &config.ValidationError{Key: "catalog.path", Msg: fmt.Sprintf("%s: %v", p, err)}
	}
	return cat, nil
}
