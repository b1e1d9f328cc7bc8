package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/render"
	runner "github.com/hubreport/hubreport/internal/run"
	"github.com/hubreport/hubreport/internal/store"
)

type demoOptions struct {
	db       string
	out      string
	accounts int
	days     int
	seed     int64
	end      string
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "demo", "demo [--db PATH] [--out DIR] [--accounts N] [--days N] [--seed N] [--end TIME]")
	var o demoOptions
	dbFlag(fs, &o.db, "out/demo/reporter.duckdb")
	fs.StringVar(&o.out, "out", "out/demo", "directory for the reports")
	fs.IntVar(&o.accounts, "accounts", 50, "number of member accounts")
	fs.IntVar(&o.days, "days", 90, "number of daily snapshots")
	fs.Int64Var(&o.seed, "seed", 1, "random seed (the same seed gives the same organization)")
	fs.StringVar(&o.end, "end", "", "time of the last snapshot (default: a fixed date, so output is reproducible)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.accounts < 1 || o.days < 1 {
		return usagef("--accounts and --days must be at least 1")
	}
	cfg, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	var end time.Time
	if o.end != "" {
		if end, err = parseTime(o.end, false); err != nil {
			return usagef("--end: %v", err)
		}
	}
	cat, err := runner.LoadCatalog(cfg)
	if err != nil {
		return err
	}
	org, err := demo.New(demo.Config{Accounts: o.accounts, Days: o.days, Seed: o.seed, End: end, Catalog: cat})
	if err != nil {
		return err
	}
	// Build into a new file and move it into place at the end: a failed or interrupted demo run
	// leaves the previous demo database as it was.
	building := o.db + ".building"
	for _, p := range []string{building, building + ".wal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	// The configured name wins; the demo's own only stands in for none.
	if err := buildDemo(ctx, e, org, cfg.OrganizationOr(org.Organization()), cat, building, cfg.Store.MemoryLimit, runner.DisabledRules(cfg), runner.AccountInfos(cfg)); err != nil {
		// Best effort: the next demo run removes them before it builds.
		_ = os.Remove(building)
		_ = os.Remove(building + ".wal")
		return err
	}
	// A WAL left beside the old database would be replayed onto the new one.
	if err := os.Remove(o.db + ".wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(building, o.db); err != nil {
		return err
	}

	st, err := runner.OpenForAnalysis(ctx, o.db, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	snap, err := st.SnapshotAt(ctx, zeroTime)
	if err != nil {
		return err
	}
	// The demo's history is synthetic, dated by --end: never stale, and with the fixed default
	// date two demo runs give byte-identical reports.
	r, err := analyze.Build(ctx, st, snap, runner.AnalyzeOptions(cfg))
	if err != nil {
		return err
	}
	written, err := runner.WriteReports(ctx, e.runOptions(cfg), st, r, render.Formats(), o.out)
	if err != nil {
		return err
	}
	routed, err := writeDemoRoutes(ctx, e, cfg, st, snap, o.out)
	if err != nil {
		return err
	}
	summary := "n/a"
	if r.SummaryScore != nil {
		summary = fmt.Sprintf("%.1f%%", *r.SummaryScore)
	}
	if m := r.SummaryScoreMeanOfStandards; m != nil {
		summary += fmt.Sprintf(" (mean of standard scores %.1f%%)", *m)
	}
	fmt.Fprintf(e.stdout, "demo organization %s: %d accounts, %d daily snapshots, %d findings in the latest, summary score %s\n",
		r.Organization, snap.AccountsCollected, o.days, snap.Findings, summary)
	for _, p := range written {
		fmt.Fprintf(e.stdout, "  %s\n", p)
	}
	for _, rr := range routed {
		fmt.Fprintf(e.stdout, "routed report for %s (%d accounts):\n", rr.Report.Scope.Title(), rr.Report.Scope.Accounts)
		for _, p := range rr.Written {
			fmt.Fprintf(e.stdout, "  %s\n", p)
		}
	}
	if snap.Status == model.StatusPartial {
		return fmt.Errorf("snapshot %d: %w", snap.ID, runner.ErrPartial)
	}
	return nil
}

func buildDemo(ctx context.Context, e *env, org *demo.Org, organization string, cat *catalog.Catalog, path, memoryLimit string, disabled []collect.DisabledRule, accounts []model.Account) error {
	st, err := runner.OpenWritable(ctx, e.log, path, memoryLimit)
	if err != nil {
		return err
	}
	stds, ctls := cat.ForSnapshot(org.Standards())
	start := time.Now()
	times := org.SnapshotTimes()
	for d, at := range times {
		meta := model.SnapshotMeta{TakenAt: at, Source: "demo", Organization: organization,
			AdministratorAccount: org.AdministratorAccount(), AccountsExpected: len(org.Accounts())}
		day := d
		snap, err := st.WriteSnapshot(ctx, meta, stds, ctls, runner.Fill(collect.WithAccounts(collect.WithDisabled(collect.SourceFunc(func(ctx context.Context, sink collect.Sink) error {
			return org.Snapshot(ctx, day, sink)
		}), disabled, cat, ctls), accounts)))
		if err != nil {
			return errors.Join(fmt.Errorf("demo day %d: %w", d, err), st.Close())
		}
		if (d+1)%10 == 0 || d == len(times)-1 {
			e.log.Info("demo snapshot stored", "snapshot", snap.ID, "day", d+1, "of", len(times),
				"findings", snap.Findings, "duration_ms", time.Since(start).Milliseconds())
		}
	}
	return st.Close()
}

// writeDemoRoutes writes the reports of deliver.email.routes as a run would email them, under
// <out>/routes/; with no route configured, one per OU of the demo organization, to show what
// each OU's owner would get.
func writeDemoRoutes(ctx context.Context, e *env, cfg config.Config, st *store.Store, snap model.Snapshot, out string) ([]runner.RoutedReport, error) {
	if len(cfg.Deliver.Email.Routes) == 0 {
		accounts, _, err := analyze.RouteAccounts(ctx, st, snap.ID)
		if err != nil {
			return nil, err
		}
		var ous []string
		for _, a := range accounts {
			if a.OU != "" && !slices.Contains(ous, a.OU) {
				ous = append(ous, a.OU)
			}
		}
		slices.Sort(ous)
		for _, ou := range ous {
			cfg.Deliver.Email.Routes = append(cfg.Deliver.Email.Routes, config.Route{OU: ou})
		}
	}
	return runner.WriteRoutedReports(ctx, e.runOptions(cfg), st, snap, runner.AnalyzeOptions(cfg), out)
}
