package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/model"
	runner "github.com/hubreport/hubreport/internal/run"
)

type collectOptions struct {
	db            string
	mode          string
	shard         string
	progressEvery time.Duration
}

func runCollect(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "collect", "collect [--config FILE] [--db PATH] [--mode aggregator|accounts|regions] [--shard i/n]")
	var o collectOptions
	dbFlag(fs, &o.db, "")
	fs.StringVar(&o.mode, "mode", "", "aggregator (read the delegated administrator's aggregation region), accounts (assume a role in each member) or regions (the administrator reads each region in parallel); default: collect.aws.mode")
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
	if err := runner.CheckShardMode(cfg, shardFrom); err != nil {
		return err
	}
	opts := e.runOptions(cfg)
	opts.DB, opts.ProgressEvery = o.db, o.progressEvery
	snap, err := runner.Collect(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "snapshot %d: %d findings from %d of %d accounts (%s, %s)\n",
		snap.ID, snap.Findings, snap.AccountsCollected, snap.AccountsExpected, snap.Source, o.db)
	if snap.Status == model.StatusPartial {
		return fmt.Errorf("snapshot %d: %w (see the report's coverage section, or `reporter report --format text`)", snap.ID, runner.ErrPartial)
	}
	return nil
}
