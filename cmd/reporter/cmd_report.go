package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/config"
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
	// One of these narrows the report to some accounts, as a route's email carries it.
	route   int
	ou, tag string
}

func runReport(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "report", "report [--db PATH] [--format text,json,...] [--out DIR|-] [--snapshot ID|--as-of DATE] [--route N|--ou PATH|--tag KEY=VALUE]")
	var o reportOptions
	dbFlag(fs, &o.db, "")
	fs.StringVar(&o.formats, "format", "", "comma-separated report formats (default: report.formats)")
	fs.StringVar(&o.out, "out", "", "output directory, or - for stdout (default: report.out)")
	fs.Int64Var(&o.snapshot, "snapshot", 0, "snapshot id to report on (default: the latest)")
	fs.StringVar(&o.asOf, "as-of", "", "report on the latest snapshot taken at or before this date or time")
	fs.IntVar(&o.route, "route", -1, "report on the accounts of deliver.email.routes[N] (0-based) only, as that route's email carries it")
	fs.StringVar(&o.ou, "ou", "", "report on the accounts of this OU path and the OUs below it only (e.g. Workloads/Prod)")
	fs.StringVar(&o.tag, "tag", "", "report on the accounts whose owner tag has this value only: KEY=VALUE, KEY being collect.aws.owner_tag")
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
	route, routeKey, err := o.scopeRoute(cfg)
	if err != nil {
		return err
	}
	if route != nil && slices.Contains(formats, "evidence") {
		return usagef("%s: the evidence package holds the whole snapshot's findings; a report of some accounts is text, json, pdf or xlsx", routeKey)
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
	opts.StepDone = func(step string, d time.Duration) {
		e.log.Debug("analysis step done", "step", step, "duration_ms", d.Milliseconds())
	}
	if route != nil {
		if opts.Scope, err = runner.RouteScope(ctx, st, snap.ID, *route, routeKey); err != nil {
			var ve *config.ValidationError
			if errors.As(err, &ve) && strings.HasPrefix(routeKey, "--") {
				return usagef("%s: %s", routeKey, ve.Msg) // a flag, not a configuration key
			}
			return err
		}
		if opts.Scope == nil {
			return fmt.Errorf("%s: %s holds no account in snapshot %d (it did in an earlier one): there is nothing to report", routeKey, route.Name(), snap.ID)
		}
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

// scopeRoute is the route --route, --ou or --tag asks for, and the name errors give it; nil
// without any.
func (o reportOptions) scopeRoute(cfg config.Config) (*config.Route, string, error) {
	given := 0
	for _, set := range []bool{o.route >= 0, o.ou != "", o.tag != ""} {
		if set {
			given++
		}
	}
	switch {
	case given > 1:
		return nil, "", usagef("--route, --ou and --tag are alternatives; give one")
	case o.route >= 0:
		routes := cfg.Deliver.Email.Routes
		if o.route >= len(routes) {
			return nil, "", usagef("--route %d: deliver.email.routes has %d route(s), numbered from 0", o.route, len(routes))
		}
		return &routes[o.route], routes[o.route].ScopeKey(o.route), nil
	case o.ou != "":
		if config.OUPath(o.ou) == "" {
			return nil, "", usagef("--ou: %q is no OU path (e.g. Workloads/Prod)", o.ou)
		}
		return &config.Route{OU: o.ou}, "--ou", nil
	case o.tag != "":
		k, v, ok := strings.Cut(o.tag, "=")
		if !ok || v == "" {
			return nil, "", usagef("--tag: %q is not KEY=VALUE", o.tag)
		}
		if k != cfg.Collect.AWS.OwnerTag {
			return nil, "", usagef("--tag: %q is not stored with accounts: the one account tag kept is the owner tag, %q (collect.aws.owner_tag)", k, cfg.Collect.AWS.OwnerTag)
		}
		return &config.Route{Tag: map[string]string{k: v}}, "--tag", nil
	}
	return nil, "", nil
}
