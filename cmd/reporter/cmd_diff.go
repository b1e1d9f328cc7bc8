package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/render"
	runner "github.com/hubreport/hubreport/internal/run"
	"github.com/hubreport/hubreport/internal/store"
)

type diffOptions struct {
	db     string
	from   string
	to     string
	format string
	out    string
}

func runDiff(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "diff", "diff [--db PATH] --from DATE|SNAPSHOT_ID --to DATE|SNAPSHOT_ID [--format text|json|xlsx] [--out FILE|-]")
	var o diffOptions
	dbFlag(fs, &o.db, "")
	fs.StringVar(&o.from, "from", "", "earlier side: a date YYYY-MM-DD (the latest snapshot taken by the end of that day, UTC) or a snapshot id")
	fs.StringVar(&o.to, "to", "", "later side: a date YYYY-MM-DD or a snapshot id, as --from")
	fs.StringVar(&o.format, "format", "text", "text, json or xlsx")
	fs.StringVar(&o.out, "out", "-", "output file, or - for stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("diff takes no arguments, got %q", fs.Args())
	}
	if !slices.Contains(render.DiffFormats(), o.format) {
		return usagef("--format %q: want one of %s", o.format, strings.Join(render.DiffFormats(), ", "))
	}
	if o.from == "" || o.to == "" {
		return usagef("diff needs --from and --to (a date YYYY-MM-DD or a snapshot id each)")
	}
	// A workbook is bytes: to a pipe or a redirect they are fine, on a terminal they are noise.
	if o.format == "xlsx" && o.out == "-" && isTerminal(e.stdout) {
		return usagef("--format xlsx --out -: stdout is a terminal; give --out FILE or redirect stdout")
	}
	st, err := openForAnalysis(ctx, e, *cfgPath, &o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	from, err := diffSide(ctx, st, "--from", o.from)
	if err != nil {
		return err
	}
	to, err := diffSide(ctx, st, "--to", o.to)
	if err != nil {
		return err
	}
	if from.TakenAt.After(to.TakenAt) {
		return usagef("--from %s (snapshot %d, taken %s) is later than --to %s (snapshot %d, taken %s)",
			o.from, from.ID, from.TakenAt.UTC().Format(time.RFC3339), o.to, to.ID, to.TakenAt.UTC().Format(time.RFC3339))
	}
	d, err := analyze.BuildDiff(ctx, st, from, to)
	if err != nil {
		return err
	}
	if o.out == "-" {
		return render.RenderDiff(ctx, o.format, e.stdout, d)
	}
	if err := runner.WriteFileAtomic(o.out, func(f *os.File) error { return render.RenderDiff(ctx, o.format, f, d) }); err != nil {
		return fmt.Errorf("write diff %s: %w", o.out, err)
	}
	e.log.Info("diff written", "path", o.out, "from", from.ID, "to", to.ID)
	return nil
}

var (
	snapshotIDArg = regexp.MustCompile(`^[0-9]+$`)
	dateArg       = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// diffSide resolves a --from or --to value: a snapshot id, or a date meaning the latest snapshot
// taken on or before the end of that day, UTC. Any value that names no snapshot is a usage error
// naming the flag.
func diffSide(ctx context.Context, st *store.Store, flagName, v string) (model.Snapshot, error) {
	switch {
	case snapshotIDArg.MatchString(v):
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return model.Snapshot{}, usagef("%s %s: not a snapshot id: %v", flagName, v, err)
		}
		snap, err := st.Snapshot(ctx, id)
		if errors.Is(err, store.ErrNoSnapshot) {
			return snap, usagef("%s %s: no snapshot with id %d (reporter snapshots lists them)", flagName, v, id)
		}
		return snap, err
	case dateArg.MatchString(v):
		day, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return model.Snapshot{}, usagef("%s %s: not a date: %v", flagName, v, err)
		}
		snap, err := st.SnapshotAt(ctx, day.Add(24*time.Hour-time.Microsecond))
		if errors.Is(err, store.ErrNoSnapshot) {
			return snap, usagef("%s %s: no snapshot taken on or before that day (UTC)", flagName, v)
		}
		return snap, err
	}
	return model.Snapshot{}, usagef("%s %q: want a date (YYYY-MM-DD) or a snapshot id", flagName, v)
}
