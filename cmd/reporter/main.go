// Command reporter turns AWS Security Hub findings of a whole AWS Organization into compliance
// reports: it snapshots findings into a DuckDB file, computes scores AWS's way, and writes reports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hubreport/hubreport/internal/config"
	runner "github.com/hubreport/hubreport/internal/run" // as runner: run is this command's entry point
	"github.com/hubreport/hubreport/internal/store"
)

// Exit codes, as documented in --help and docs/operations.md.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitPartial = 3 // reports written, but the snapshot is partial or stale
	// exitNotDelivered: the snapshot was collected and saved (stored, and uploaded when S3 state
	// is configured), but reporting or delivery failed; `run --steps report,deliver` retries it.
	exitNotDelivered = 4
	exitCancelled    = 130
)

const exitCodesHelp = `Exit codes:
  0    success
  1    error (nothing was stored or written for the failed step)
  2    usage error (bad flag, argument or config value)
  3    reports written, but the snapshot is partial (some account/region not collected, or
       malformed findings skipped) or stale (older than report.max_snapshot_age)
  4    collected and saved, but not reported or delivered: retry with run --steps report,deliver
  130  cancelled by SIGINT or SIGTERM (nothing partial is stored)
See docs/operations.md for what to do after each.`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// Everything we create (the database, its WAL, reports) holds findings of the whole
	// organization: no access for others, whatever the inherited umask.
	syscall.Umask(0o027)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a command needs from the process, passed in so tests can run commands in-process.
type env struct {
	vars   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	// now is the wall clock, which only judges whether a snapshot is stale; tests pin it. Report
	// contents never depend on it otherwise (docs/operations.md, "Retries and re-delivery").
	now func() time.Time
}

// runOptions are the run package's options for cfg, with what the process gives: output, log,
// clock, environment. A terminal on stderr gets a live progress line instead of log lines.
func (e *env) runOptions(cfg config.Config) runner.Options {
	return runner.Options{Config: cfg, Version: version, Log: e.log, Stdout: e.stdout, Progress: e.stderr,
		ProgressLive: isTerminal(e.stderr), ProgressEvery: 10 * time.Second, Now: e.now, Env: e.vars}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"auditmanager", "push evidence to an AWS Audit Manager assessment (auditmanager push --mapping FILE)", runAuditManager},
		{"catalog", "write a live account's control catalog to a file for catalog.path (catalog refresh --out FILE)", runCatalog},
		{"collect", "store one snapshot of the organization's findings from AWS (or the demo organization)", runCollect},
		{"demo", "build the demo organization's history and write every report", runDemo},
		{"diff", "what changed between two snapshots or dates (diff --from DATE|ID --to DATE|ID)", runDiff},
		{"export", "write snapshots as Parquet for Athena or import-parquet, or one as OCSF Compliance Findings (export --format parquet|ocsf --out DIR|FILE)", runExport},
		{"import", "store one snapshot from exported ASFF files", runImport},
		{"import-parquet", "store the snapshots of Parquet exports, several collectors' merged per day", runImportParquet},
		{"report", "write reports for a stored snapshot", runReport},
		{"run", "collect, report and deliver once: what a schedule triggers", runRun},
		{"schedule", "run collect and report on their cron schedules until stopped", runSchedule},
		{"snapshots", "list stored snapshots", runSnapshots},
		{"verify-evidence", "check an evidence package against its manifest", runVerifyEvidence},
		{"version", "print the version", func(_ context.Context, e *env, _ []string) error {
			fmt.Fprintf(e.stdout, "reporter %s (schema %d)\n", version, store.SchemaVersion())
			return nil
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: reporter COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'reporter COMMAND --help' for a command's flags.\n\n%s\n", exitCodesHelp)
}

func run(ctx context.Context, args []string, vars []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{vars: vars, stdin: stdin, stdout: stdout, stderr: stderr, log: newLogger(stderr, vars), now: time.Now}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			return exitCode(e, c.run(ctx, e, args[1:]))
		}
	}
	fmt.Fprintf(stderr, "reporter: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}

// usageError is a mistake in how the command was called (exit 2). It is the run package's, so
// that a run's own usage mistakes (--steps, --init-state) map to the same code.
type usageError = runner.UsageError

func usagef(format string, a ...any) error { return &usageError{Msg: fmt.Sprintf(format, a...)} }

func exitCode(e *env, err error) int {
	var ue *usageError
	var ve *config.ValidationError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(e.stderr, "reporter: cancelled; nothing partial was stored")
		return exitCancelled
	case errors.As(err, new(*runner.NotDeliveredError)):
		fmt.Fprintln(e.stderr, "reporter:", err)
		return exitNotDelivered
	case errors.Is(err, runner.ErrPartial), errors.Is(err, runner.ErrStale):
		fmt.Fprintln(e.stderr, "reporter: warning:", err)
		return exitPartial
	case errors.As(err, &ue), errors.As(err, &ve):
		fmt.Fprintln(e.stderr, "reporter:", err)
		return exitUsage
	default:
		fmt.Fprintln(e.stderr, "reporter:", err)
		return exitError
	}
}

// newLogger logs to stderr (stdout carries reports and listings): JSON for CloudWatch and other
// collectors, text on a terminal, level from LOG_LEVEL.
func newLogger(w io.Writer, vars []string) *slog.Logger {
	level := slog.LevelInfo
	for _, kv := range vars {
		if v, ok := strings.CutPrefix(kv, "LOG_LEVEL="); ok {
			_ = level.UnmarshalText([]byte(v))
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// newFlagSet makes a command's flag set, with --config and --help text that lists exit codes.
func newFlagSet(e *env, name, synopsis string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML); see configs/reporter.yaml")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: reporter %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\n%s\n", exitCodesHelp)
	}
	return fs, cfgPath
}

// dbFlag declares --db, the flag every command that opens the database has, with one help text.
// demo builds a database of its own, so it passes that file as the default (builds); the others
// pass "" and fall back to store.path.
func dbFlag(fs *flag.FlagSet, p *string, builds string) {
	if builds != "" {
		fs.StringVar(p, "db", builds, "database file to (re)build")
		return
	}
	fs.StringVar(p, "db", "", "database file (default: store.path, REPORTER_DB, or data/reporter.duckdb)")
}

// parseFlags parses args; a bad flag is a usage error (the flag package already printed why).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{Msg: err.Error()}
	}
	return nil
}

// loadConfig reads the config file (if any) and the environment. A catalog.path that cannot be
// used fails every command here, not only those that read the catalog: a run on a schedule finds
// out when it is configured, not at collection time.
func loadConfig(e *env, path string) (config.Config, error) {
	cfg, err := readConfig(e, path)
	if err == nil && cfg.Catalog.Path != "" {
		_, err = runner.LoadCatalog(cfg)
	}
	return cfg, err
}

// openForAnalysis loads the configuration and opens the store read for analysis: *db, or the
// configured store.path when *db is empty (then *db is set to it, for messages that name it).
// For the commands that only read the store.
func openForAnalysis(ctx context.Context, e *env, cfgPath string, db *string) (*store.Store, error) {
	cfg, err := loadConfig(e, cfgPath)
	if err != nil {
		return nil, err
	}
	if *db == "" {
		*db = cfg.Store.Path
	}
	return runner.OpenForAnalysis(ctx, *db, cfg)
}

func readConfig(e *env, path string) (config.Config, error) {
	if path == "" {
		return config.Load(nil, e.vars)
	}
	f, err := os.Open(path)
	if err != nil {
		return config.Config{}, &usageError{Msg: fmt.Sprintf("config: %v", err)}
	}
	defer func() { _ = f.Close() }() // read-only: a close error cannot lose data
	cfg, err := config.Load(f, e.vars)
	if err != nil {
		// Any config mistake is a usage error (exit 2), whatever its kind.
		return cfg, &usageError{Msg: fmt.Sprintf("%s: %v", path, err)}
	}
	return cfg, nil
}

// isTerminal reports whether w is a terminal: logs are text there, and a collection shows a live
// progress line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// parseTime accepts a date (meaning the end of that day, UTC) or an RFC 3339 time.
func parseTime(s string, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if endOfDay {
			return t.Add(24*time.Hour - time.Microsecond), nil
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a date (2025-02-23) nor an RFC 3339 time (2025-02-23T06:00:00Z)", s)
}
