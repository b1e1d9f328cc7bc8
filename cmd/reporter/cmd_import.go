package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/model"
	runner "github.com/hubreport/hubreport/internal/run"
	"github.com/hubreport/hubreport/internal/store"
)

var zeroTime time.Time

type importOptions struct {
	db         string
	asOf       string
	allowEmpty bool
}

func runImport(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "import", "import [--db PATH] [--as-of TIME] [--allow-empty] FILE... (- reads stdin; get-findings output, arrays, JSON Lines, EventBridge events; gzip accepted)")
	var o importOptions
	dbFlag(fs, &o.db, "")
	fs.StringVar(&o.asOf, "as-of", "", "when the findings were exported (date or RFC 3339 time; default: now)")
	fs.BoolVar(&o.allowEmpty, "allow-empty", false, "store a snapshot even when the files hold no findings (marked empty); without it such an import is refused")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("import needs at least one FILE (or - for stdin)")
	}
	cfg, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	if o.db == "" {
		o.db = cfg.Store.Path
	}
	takenAt := time.Now().UTC()
	if o.asOf != "" {
		if takenAt, err = parseTime(o.asOf, false); err != nil {
			return usagef("--as-of: %v", err)
		}
		// The store refuses it too; checked here it is a usage error, before any file is read.
		if err := store.CheckTakenAt(takenAt, time.Now()); err != nil {
			return usagef("--as-of %s: %v", o.asOf, err)
		}
	}
	cat, err := runner.LoadCatalog(cfg)
	if err != nil {
		return err
	}
	// Every standard we know is cataloged; the report shows those the findings belong to.
	var all []string
	for _, s := range cat.Standards {
		all = append(all, s.ID)
	}
	stds, ctls := cat.ForSnapshot(all)
	st, err := runner.OpenWritable(ctx, e.log, o.db, cfg.Store.MemoryLimit)
	if err != nil {
		return err
	}
	defer st.Close()
	// The decoder's live heap is a few batches (about 10 MB), so the default GOGC collects
	// about fifty times a second, competing with decoding for both cores. Three times the live
	// heap instead of twice costs about 10 MB and took 0.4 s off 200,000 findings.
	defer debug.SetGCPercent(debug.SetGCPercent(200))
	start := time.Now()
	files := &collect.FileSource{Paths: fs.Args(), Stdin: e.stdin, Catalog: cat, AllowEmpty: o.allowEmpty}
	src := collect.WithAccounts(collect.WithDisabled(files, runner.DisabledRules(cfg), cat, ctls), runner.AccountInfos(cfg))
	snap, err := st.WriteSnapshot(ctx, model.SnapshotMeta{TakenAt: takenAt, Source: "file",
		Organization: cfg.OrganizationOr(config.DefaultOrganization), AdministratorAccount: cfg.AdministratorAccount}, stds, ctls, runner.Fill(src))
	if err != nil {
		return err
	}
	runner.ApplyRetention(ctx, e.log, st, cfg.Store.RetentionDays)
	// Stored means in the file: the checkpoint at Close can still fail (a full disk).
	if err := st.Close(); err != nil {
		return err
	}
	d := time.Since(start)
	e.log.Info("snapshot stored", "snapshot", snap.ID, "findings", snap.Findings, "accounts", snap.AccountsCollected,
		"duration_ms", d.Milliseconds(), "findings_per_s", int(float64(snap.Findings)/max(d.Seconds(), 1e-9)))
	if n := files.RetiredFindings(); n > 0 {
		// The findings are not stored (AWS leaves retired controls out of every score); their count
		// is, per standard, for the reconciliation.
		e.log.Info("findings of retired controls dropped", "snapshot", snap.ID, "findings", n)
	}
	if n := files.Events(); n > 0 {
		e.log.Info("EventBridge events read", "snapshot", snap.ID, "events", n)
	}
	// The store keeps one copy of a finding given several times, the one with the latest
	// UpdatedAt: EventBridge exports carry each update of a finding.
	superseded := max(files.FindingsRead()-files.RetiredFindings()-snap.Findings, 0)
	if superseded > 0 {
		e.log.Info("repeated findings: older copies superseded", "snapshot", snap.ID, "findings", superseded)
	}
	for _, sk := range files.Skipped() {
		e.log.Warn("records skipped", "snapshot", snap.ID, "file", sk.File, "kind", sk.Kind, "records", sk.Count, "first_byte", sk.First)
	}
	empty := ""
	if snap.Empty {
		empty = ", marked empty"
	}
	fmt.Fprintf(e.stdout, "snapshot %d: %d findings from %d accounts (%s%s)\n", snap.ID, snap.Findings, snap.AccountsCollected, o.db, empty)
	if superseded > 0 {
		fmt.Fprintf(e.stdout, "  %d older copies of repeated findings superseded (the latest UpdatedAt is kept)\n", superseded)
	}
	for _, sk := range files.Skipped() {
		fmt.Fprintf(e.stdout, "  %s\n", sk)
	}
	return nil
}
