package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/store"
)

type exportOptions struct {
	db       string
	format   string
	out      string
	snapshot int64
	all      bool
}

// runExport writes stored snapshots as Parquet in hive layout, for Amazon Athena (deploy/athena)
// or `reporter import-parquet` on another machine, or one snapshot as OCSF Compliance Findings
// (JSON lines) for a SIEM or Security Lake.
func runExport(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "export", "export --format parquet --out DIR [--db PATH] [--snapshot ID | --all]\n"+
		"       reporter export --format ocsf --out FILE [--db PATH] [--snapshot ID]   (FILE - is stdout)")
	var o exportOptions
	dbFlag(fs, &o.db, "")
	fs.StringVar(&o.format, "format", "parquet", "export format: parquet (a directory for Athena) or ocsf (OCSF 1.6 Compliance Findings, JSON lines)")
	fs.StringVar(&o.out, "out", "", "parquet: directory to write into (DIR/findings/snapshot_date=.../account_id=.../, DIR/snapshots/...), files of other snapshots there are kept; ocsf: file to write (replaced whole), - for stdout")
	fs.Int64Var(&o.snapshot, "snapshot", 0, "snapshot id to export (default: the latest)")
	fs.BoolVar(&o.all, "all", false, "export every stored snapshot")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("export takes no arguments, got %q", fs.Args())
	}
	switch o.format {
	case "parquet":
		if o.out == "" || o.out == "-" {
			return usagef("export needs --out DIR (a directory; Parquet does not go to stdout)")
		}
	case "ocsf":
		if o.out == "" {
			return usagef("export --format ocsf needs --out FILE (- for stdout)")
		}
		if o.all {
			return usagef("--all: an OCSF export holds one snapshot; give --snapshot ID or none for the latest")
		}
	default:
		return usagef("--format %q: export writes parquet or ocsf", o.format)
	}
	if o.snapshot != 0 && o.all {
		return usagef("--snapshot and --all are alternatives; give one")
	}
	st, err := openForAnalysis(ctx, e, *cfgPath, &o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	var snaps []model.Snapshot
	switch {
	case o.all:
		if snaps, err = st.Snapshots(ctx); err != nil {
			return err
		}
	default:
		snap, err := pickSnapshot(ctx, st, o.snapshot, "")
		if err != nil {
			return err
		}
		snaps = []model.Snapshot{snap}
	}
	ids := make([]int64, len(snaps))
	var findings int64
	for i, s := range snaps {
		ids[i] = s.ID
		findings += s.Findings
	}
	if len(ids) == 0 {
		return fmt.Errorf("database %s holds no snapshot to export: %w", o.db, store.ErrNoSnapshot)
	}
	if o.format == "ocsf" {
		return exportOCSF(ctx, e, st, snaps[0], o.out)
	}
	start := time.Now()
	if err := st.ExportParquet(ctx, o.out, ids); err != nil {
		return err
	}
	d := time.Since(start)
	e.log.Info("snapshots exported", "snapshots", len(ids), "findings", findings, "dir", o.out,
		"duration_ms", d.Milliseconds(), "findings_per_s", int(float64(findings)/max(d.Seconds(), 1e-9)))
	fmt.Fprintf(e.stdout, "exported %d snapshot(s), %d finding rows, to %s\n", len(ids), findings, o.out)
	return nil
}
