package main

import (
	"context"
	"strings"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/model"
	runner "github.com/hubreport/hubreport/internal/run"
	"github.com/hubreport/hubreport/internal/store"
)

type reportOptions struct {
	db       string
	formats  string
	out      string
	snapshot int64
	asOf     string
}

func runReport(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "report", "report [--db PATH] [--format text,json,...] [--out DIR|-] [--snapshot ID|--as-of DATE]")
	var o reportOptions
	dbFlag(fs, &o.db, "")
	fs.StringVar(&o.formats, "format", "", "comma-separated report formats (default: report.formats)")
	fs.StringVar(&o.out, "out", "", "output directory, or - for stdout (default: report.out)")
	fs.Int64Var(&o.snapshot, "snapshot", 0, "snapshot id to report on (default: the latest)")
	fs.StringVar(&o.asOf, "as-of", "", "report on the latest snapshot taken at or before this date or time")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("report takes no arguments, got %q", fs.Args())
	}
	cfg, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	if o.db == "" {
		o.db = cfg.Store.Path
	}
	if o.out == "" {
		o.out = cfg.Report.Out
	}
	formatList := cfg.Report.Formats
	if o.formats != "" {
		formatList = []string{o.formats}
	}
	formats, err := runner.ParseFormats(formatList)
	if err != nil {
		return err
	}
	if o.out == "-" && len(formats) != 1 {
		return usagef("--out - writes one format to stdout; got %d formats (%s)", len(formats), strings.Join(formats, ","))
	}
	if o.snapshot != 0 && o.asOf != "" {
		return usagef("--snapshot and --as-of are alternatives; give one")
	}
	st, err := runner.OpenForAnalysis(ctx, o.db, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	snap, err := pickSnapshot(ctx, st, o.snapshot, o.asOf)
	if err != nil {
		return err
	}
	opts := runner.AnalyzeOptions(cfg)
	if o.snapshot == 0 && o.asOf == "" {
		opts = runner.LatestOptions(cfg, e.now)
	}
	r, err := analyze.Build(ctx, st, snap, opts)
	if err != nil {
		return err
	}
	written, err := runner.WriteReports(ctx, e.runOptions(cfg), st, r, formats, o.out)
	if err != nil {
		return err
	}
	for _, p := range written {
		e.log.Info("report written", "path", p, "snapshot", snap.ID)
	}
	return runner.ReportWarning(r)
}

func pickSnapshot(ctx context.Context, st *store.Store, id int64, asOf string) (model.Snapshot, error) {
	if id != 0 {
		return st.Snapshot(ctx, id)
	}
	if asOf == "" {
		return st.SnapshotAt(ctx, zeroTime)
	}
	t, err := parseTime(asOf, true)
	if err != nil {
		return model.Snapshot{}, usagef("--as-of: %v", err)
	}
	return st.SnapshotAt(ctx, t)
}
