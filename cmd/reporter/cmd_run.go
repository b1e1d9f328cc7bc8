package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/deliver"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/render"
	"github.com/hubreport/hubreport/internal/report"
)

// The steps of a run, in order. merge stores the newest day's collection shards (see
// cmd_run_shards.go); it takes the place of collect in a sharded deployment.
var allSteps = []string{"collect", "merge", "report", "deliver"}

func runRun(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "run", "run [--config FILE] [--steps collect,report,deliver | merge,report,deliver] [--init-state]")
	stepList := fs.String("steps", "collect,report,deliver",
		"steps to run: collect or merge (the shards a sharded collection uploaded), report, deliver (deliver implies report); "+
			"with collect.aws.shard set, only collect")
	var opt jobOptions
	fs.BoolVar(&opt.initState, "init-state", false,
		"first run only: when the store.s3_state object does not exist, start an empty history and create it "+
			"(without this flag a missing object is an error; with it, an existing object is refused)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("run takes no arguments, got %q", fs.Args())
	}
	steps, err := parseSteps(*stepList)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	res, err := runJobWith(ctx, e, cfg, steps, opt)
	logRun(e, "run", res, err)
	if err == nil && res.partial {
		return fmt.Errorf("snapshot %d: %w", res.snapshot, errPartial)
	}
	if err == nil && res.stale != nil {
		return res.stale // exit 3 after the stale reports were delivered
	}
	return err
}

func parseSteps(list string) (map[string]bool, error) {
	steps := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(allSteps, s) {
			return nil, usagef("--steps: unknown step %q (known: %s)", s, strings.Join(allSteps, ", "))
		}
		steps[s] = true
	}
	if len(steps) == 0 {
		return nil, usagef("--steps names no step")
	}
	if steps["collect"] && steps["merge"] {
		return nil, usagef("--steps: collect and merge are alternatives: collect stores a snapshot itself, merge stores the one sharded collectors uploaded")
	}
	if steps["deliver"] {
		steps["report"] = true // what is delivered is what this run rendered
	}
	return steps, nil
}

// runResult is what a run did, for its log line.
type runResult struct {
	steps    []string
	snapshot int64
	partial  bool
	stale    error // reportWarning's errStale when the reported snapshot was stale
	written  []string
	archived int
	emailed  int
	start    time.Time
}

// logRun writes the one line every run ends with: outcome, duration and snapshot.
func logRun(e *env, job string, res runResult, err error) {
	outcome := "ok"
	switch {
	case errors.Is(err, context.Canceled):
		outcome = "cancelled"
	case err != nil:
		outcome = "failed"
	case res.partial:
		outcome = "partial"
	case res.stale != nil:
		outcome = "stale"
	}
	attrs := []any{"job", job, "outcome", outcome, "steps", strings.Join(res.steps, ","), "snapshot", res.snapshot,
		"duration_ms", time.Since(res.start).Milliseconds(), "reports", len(res.written), "archived", res.archived, "emailed", res.emailed}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
		e.log.Error("run finished", attrs...)
		return
	}
	e.log.Info("run finished", attrs...)
}

// runJob is one run, as a schedule starts it (never --init-state: a daemon must not start a new
// history on its own).
func runJob(ctx context.Context, e *env, cfg config.Config, steps map[string]bool) (runResult, error) {
	return runJobWith(ctx, e, cfg, steps, jobOptions{})
}

// jobOptions are a run's flags beyond its steps.
type jobOptions struct {
	initState bool // a missing state object starts an empty history (the first run)
}

// runJobWith is one run: fetch the database from S3 when configured, collect (or merge the
// shards of a sharded collection), save the database (closed with a checkpoint, verified, and
// uploaded), then report and deliver. The collection is saved before anything is delivered: a
// delivery that fails after it returns *notDeliveredError (exit 4), and `run --steps
// report,deliver` delivers the saved snapshot later, without uploading anything. The database is
// open only while a step needs it, so other commands can read it between runs. With
// collect.aws.shard set the run is one collector of several instead (collectShard): it never
// touches the database.
func runJobWith(ctx context.Context, e *env, cfg config.Config, steps map[string]bool, opt jobOptions) (runResult, error) {
	res := runResult{start: time.Now()}
	for _, s := range allSteps {
		if steps[s] {
			res.steps = append(res.steps, s)
		}
	}
	if err := checkShardedSteps(cfg, steps); err != nil {
		return res, err
	}
	stores := steps["collect"] || steps["merge"]
	if opt.initState && (!stores || cfg.Store.S3State.Bucket == "" || cfg.Collect.AWS.Shard != "") {
		return res, usagef("--init-state creates the store.s3_state object with this run's snapshot: it needs store.s3_state and the collect or merge step (not a shard's collect)")
	}
	aws := lazyAWS{}
	if cfg.Collect.AWS.Shard != "" {
		err := collectShard(ctx, e, cfg, &aws, &res)
		return res, err
	}
	// The shards are looked for before the state is downloaded: a missing one fails the run at
	// once, naming it.
	var shards *shardSet
	if steps["merge"] {
		var err error
		if shards, err = findShards(ctx, e, cfg, &aws); err != nil {
			return res, err
		}
	}
	db := cfg.Store.Path
	var state *runState
	if cfg.Store.S3State.Bucket != "" {
		var err error
		if state, err = fetchState(ctx, e, cfg, &aws, db, opt.initState); err != nil {
			return res, err
		}
	}

	if stores {
		var snap model.Snapshot
		var err error
		if steps["collect"] {
			snap, err = collectSnapshot(ctx, e, cfg, db, 10*time.Second)
		} else {
			snap, err = shards.merge(ctx, e, cfg, db)
		}
		if err != nil {
			return res, err
		}
		res.snapshot, res.partial = snap.ID, snap.Status == model.StatusPartial
		if state != nil {
			if err := state.save(ctx, e, db, snap.ID); err != nil {
				return res, err
			}
		}
	}

	if err := reportAndDeliver(ctx, e, cfg, &aws, db, steps, &res); err != nil {
		if stores {
			return res, &notDeliveredError{snapshot: res.snapshot, err: err}
		}
		return res, err
	}
	return res, nil
}

// reportAndDeliver runs the report and deliver steps, when asked, for the latest snapshot.
func reportAndDeliver(ctx context.Context, e *env, cfg config.Config, aws *lazyAWS, db string, steps map[string]bool, res *runResult) error {
	if !steps["report"] {
		return nil
	}
	r, written, err := reportLatest(ctx, e, cfg, db)
	if err != nil {
		return err
	}
	res.written = written
	res.snapshot, res.partial = r.Snapshot.ID, r.Snapshot.Status == model.StatusPartial
	res.stale = staleWarning(r)
	if !steps["deliver"] {
		return nil
	}
	return deliverReports(ctx, e, cfg, aws, r, res)
}

// reportLatest writes every configured format for the latest snapshot into report.out.
func reportLatest(ctx context.Context, e *env, cfg config.Config, db string) (*report.Report, []string, error) {
	formats, err := parseFormats(cfg.Report.Formats)
	if err != nil {
		return nil, nil, err
	}
	st, err := openForAnalysis(ctx, db, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	snap, err := st.SnapshotAt(ctx, zeroTime)
	if err != nil {
		return nil, nil, err
	}
	// The latest snapshot: stale past report.max_snapshot_age, which the reports then say.
	r, err := analyze.Build(ctx, st, snap, latestOptions(e, cfg))
	if err != nil {
		return nil, nil, err
	}
	written, err := writeReports(ctx, e, cfg, st, r, formats, cfg.Report.Out)
	return r, written, err
}

// deliverReports archives the reports and emails them. Over SES's size limit the email carries
// links to the archived copies instead of attachments.
func deliverReports(ctx context.Context, e *env, cfg config.Config, aws *lazyAWS, r *report.Report, res *runResult) error {
	a := cfg.Deliver.Archive
	archive := deliver.Archive{Dir: a.Dir, Bucket: a.S3.Bucket, Prefix: a.S3.Prefix, KMSKeyID: a.S3.KMSKeyID}
	if a.S3.Bucket != "" {
		s3c, err := aws.s3(ctx)
		if err != nil {
			return err
		}
		archive.S3, archive.Presign = s3c, s3.NewPresignClient(s3c)
		archive.LinkValidity = aws.linkValidity(ctx)
	}
	var archived []deliver.Archived
	if archive.Dir != "" || archive.S3 != nil {
		var err error
		if archived, err = archive.Store(ctx, r.Snapshot.TakenAt, r.Snapshot.ID, res.written); err != nil {
			return err
		}
		res.archived = len(archived)
		e.log.Info("reports archived", "snapshot", r.Snapshot.ID, "files", len(archived))
	}

	em := cfg.Deliver.Email
	if len(em.To) == 0 {
		return nil
	}
	var sender deliver.Sender
	switch em.Transport {
	case "smtp":
		sender = deliver.SMTP{Host: em.SMTP.Host, Port: em.SMTP.Port, StartTLS: em.SMTP.StartTLS,
			Username: em.SMTP.Username, Password: lookupEnv(e.vars, em.SMTP.PasswordEnv)}
		if em.SMTP.Username != "" && lookupEnv(e.vars, em.SMTP.PasswordEnv) == "" {
			return &config.ValidationError{Key: "deliver.email.smtp.password_env",
				Msg: fmt.Sprintf("environment variable %s holds no password for %s", em.SMTP.PasswordEnv, em.SMTP.Username)}
		}
	default:
		api, err := aws.ses(ctx)
		if err != nil {
			return err
		}
		sender = deliver.SES{API: api}
	}
	var attachments []deliver.Attachment
	for _, p := range res.written {
		if ext := filepath.Ext(p); ext == ".pdf" || ext == ".xlsx" {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			attachments = append(attachments, deliver.Attachment{Name: filepath.Base(p), Data: data, ContentType: deliver.ContentType(p)})
		}
	}
	send := func(opt render.EmailOptions, attach []deliver.Attachment) error {
		content, err := render.Email(ctx, r, opt)
		if err != nil {
			return err
		}
		raw, err := deliver.Compose(deliver.Message{From: em.From, To: em.To, Subject: content.Subject,
			HTML: content.HTML, Text: content.Text, Attachments: attach})
		if err != nil {
			return err
		}
		return sender.Send(ctx, em.From, em.To, raw)
	}
	opt := render.EmailOptions{TargetScore: cfg.Report.TargetScore}
	err := send(opt, attachments)
	if errors.Is(err, deliver.ErrTooLarge) {
		for _, x := range archived {
			if x.URL != "" && (strings.HasSuffix(x.Name, ".pdf") || strings.HasSuffix(x.Name, ".xlsx")) {
				opt.Links = append(opt.Links, render.Link{Name: x.Name, URL: x.URL})
			}
		}
		if len(opt.Links) == 0 {
			return fmt.Errorf("%w, and there is no S3 archive (deliver.archive.s3.bucket) to link to instead", err)
		}
		opt.LinkValidity = archive.LinkValidity
		e.log.Warn("reports too large to attach; sending links to the archived copies", "error", err.Error())
		err = send(opt, nil)
	}
	if err != nil {
		return err
	}
	res.emailed = len(em.To)
	e.log.Info("report emailed", "transport", em.Transport, "recipients", len(em.To), "attachments", len(opt.Links) == 0)
	return nil
}

func lookupEnv(vars []string, name string) string {
	for _, kv := range vars {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// lazyAWS loads the SDK configuration once, when a step first needs AWS.
type lazyAWS struct {
	cfg  *sdkaws.Config
	s3c  *s3.Client
	sesc *sesv2.Client
}

func (l *lazyAWS) config(ctx context.Context) (sdkaws.Config, error) {
	if l.cfg == nil {
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return cfg, fmt.Errorf("AWS configuration: %w", err)
		}
		l.cfg = &cfg
	}
	return *l.cfg, nil
}

// linkValidity is how long a presigned link can work: 7 days (SigV4's maximum), or less when the
// credentials that sign it expire sooner (an ECS task role's last hours, not days).
func (l *lazyAWS) linkValidity(ctx context.Context) time.Duration {
	v := 7 * 24 * time.Hour
	cfg, err := l.config(ctx)
	if err != nil || cfg.Credentials == nil {
		return v
	}
	if creds, err := cfg.Credentials.Retrieve(ctx); err == nil && creds.CanExpire {
		v = min(v, time.Until(creds.Expires).Truncate(time.Hour))
	}
	return max(v, time.Hour)
}

func (l *lazyAWS) s3(ctx context.Context) (*s3.Client, error) {
	if l.s3c == nil {
		cfg, err := l.config(ctx)
		if err != nil {
			return nil, err
		}
		l.s3c = s3.NewFromConfig(cfg, func(o *s3.Options) {
			// Emulators and S3-compatible endpoints address buckets by path, not by host name.
			o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
		})
	}
	return l.s3c, nil
}

func (l *lazyAWS) ses(ctx context.Context) (*sesv2.Client, error) {
	if l.sesc == nil {
		cfg, err := l.config(ctx)
		if err != nil {
			return nil, err
		}
		l.sesc = sesv2.NewFromConfig(cfg)
	}
	return l.sesc, nil
}
