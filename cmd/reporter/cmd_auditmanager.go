package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	sdk "github.com/aws/aws-sdk-go-v2/service/auditmanager"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/deliver/auditmanager"
	"github.com/hubreport/hubreport/internal/render/evidence"
	"github.com/hubreport/hubreport/internal/report"
	runner "github.com/hubreport/hubreport/internal/run"
)

type auditManagerOptions struct {
	db       string
	mapping  string
	snapshot int64
	asOf     string
	dryRun   bool
}

// errEvidenceRejected means the push ran but Audit Manager refused some evidence items.
type errEvidenceRejected struct{ n int }

func (e errEvidenceRejected) Error() string {
	return fmt.Sprintf("audit manager rejected %d evidence item(s); see above", e.n)
}

func runAuditManager(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "push" {
		return usagef("usage: reporter auditmanager push --mapping FILE [--db PATH] [--snapshot ID|--as-of DATE] [--dry-run]")
	}
	fs, cfgPath := newFlagSet(e, "auditmanager push", "auditmanager push --mapping FILE [--db PATH] [--snapshot ID|--as-of DATE] [--dry-run]")
	var o auditManagerOptions
	fs.StringVar(&o.mapping, "mapping", "", "assessment controls to Security Hub controls (see configs/auditmanager.example.yaml)")
	dbFlag(fs, &o.db, "")
	fs.Int64Var(&o.snapshot, "snapshot", 0, "snapshot id whose evidence to import (default: the latest)")
	fs.StringVar(&o.asOf, "as-of", "", "import the evidence of the latest snapshot taken at or before this date or time")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print what would be imported and call nothing")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if o.mapping == "" || fs.NArg() > 0 {
		return usagef("auditmanager push needs --mapping FILE and no arguments")
	}
	if o.snapshot != 0 && o.asOf != "" {
		return usagef("--snapshot and --as-of are alternatives; give one")
	}
	cfg, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	if o.db == "" {
		o.db = cfg.Store.Path
	}
	mf, err := os.Open(o.mapping)
	if err != nil {
		return usagef("--mapping: %v", err)
	}
	mapping, err := config.LoadAuditManager(mf)
	_ = mf.Close() // read-only: a close error cannot lose data
	if err != nil {
		return usagef("%s: %v", o.mapping, err)
	}

	r, err := reportFor(ctx, cfg, o.db, o.snapshot, o.asOf)
	if err != nil {
		return err
	}
	var maps []evidence.Mapping
	for _, c := range mapping.Controls {
		maps = append(maps, evidence.Mapping{ControlSetID: c.ControlSet, ControlID: c.ControlID,
			SecurityControls: c.SecurityControls, Standards: c.Standards})
	}
	ev, err := evidence.ForAuditManager(r, maps)
	if err != nil {
		return err
	}
	items := make([]auditmanager.Item, len(ev))
	for i, x := range ev {
		items[i] = auditmanager.Item{ControlSetID: x.ControlSetID, ControlID: x.ControlID, FileName: x.FileName,
			File: x.File, TextResponse: x.TextResponse}
	}
	if err := auditmanager.Validate(mapping.AssessmentID, items); err != nil {
		return err
	}

	opt := auditmanager.Options{}
	var api auditmanager.API
	if o.dryRun {
		opt.DryRun = e.stdout
	} else {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return fmt.Errorf("AWS configuration: %w", err)
		}
		api = sdk.NewFromConfig(awsCfg, func(o *sdk.Options) {
			o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.MaxAttempts = 8 })
		})
	}
	res, err := auditmanager.Push(ctx, api, mapping.AssessmentID, items, opt)
	for _, ie := range res.Errors {
		fmt.Fprintln(e.stderr, "reporter: audit manager:", ie.Error())
	}
	if err != nil {
		return err
	}
	if o.dryRun {
		return nil
	}
	fmt.Fprintf(e.stdout, "assessment %s: %d file(s) uploaded, %d evidence item(s) imported for %d control(s) from snapshot %d (%s)\n",
		mapping.AssessmentID, res.Uploaded, res.Imported, len(items), r.Snapshot.ID, r.ReportDate)
	if len(res.Errors) > 0 {
		return errEvidenceRejected{len(res.Errors)}
	}
	return nil
}

// reportFor builds the report of a stored snapshot (the latest, an id, or the one as of a date).
func reportFor(ctx context.Context, cfg config.Config, db string, id int64, asOf string) (*report.Report, error) {
	st, err := runner.OpenForAnalysis(ctx, db, cfg)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	snap, err := pickSnapshot(ctx, st, id, asOf)
	if err != nil {
		return nil, err
	}
	// Evidence is dated by its snapshot, not by when it was pushed: the report carries no clock.
	return analyze.Build(ctx, st, snap, runner.AnalyzeOptions(cfg))
}
