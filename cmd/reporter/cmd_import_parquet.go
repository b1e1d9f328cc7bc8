package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	runner "github.com/hubreport/hubreport/internal/run"
)

type importParquetOptions struct {
	db string
}

// runImportParquet stores the snapshots of one or several Parquet exports (collectors that each
// read a slice of the accounts), each day's union as one snapshot.
func runImportParquet(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "import-parquet", "import-parquet [--db PATH] DIR (an export, or a directory of exports)")
	var o importParquetOptions
	dbFlag(fs, &o.db, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("import-parquet needs one DIR (written by `reporter export --format parquet`, or holding such directories), got %d arguments", fs.NArg())
	}
	dir := fs.Arg(0)
	cfg, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	if o.db == "" {
		o.db = cfg.Store.Path
	}
	st, err := runner.OpenWritable(ctx, e.log, o.db, cfg.Store.MemoryLimit)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	imported, skipped, err := st.ImportParquet(ctx, dir)
	// Stored means in the file: the checkpoint at Close can still fail (a full disk).
	err = errors.Join(err, st.Close())
	for _, at := range skipped {
		fmt.Fprintf(e.stdout, "skipped the snapshot taken at %s: the database already holds one taken then\n", at.UTC().Format(time.RFC3339))
	}
	var findings int64
	var partial []string
	for _, snap := range imported {
		findings += snap.Findings
		fmt.Fprintf(e.stdout, "snapshot %d: taken at %s, %d findings from %d of %d accounts (%s)\n", snap.ID,
			snap.TakenAt.UTC().Format(time.RFC3339), snap.Findings, snap.AccountsCollected, snap.AccountsExpected, o.db)
		if snap.Status == model.StatusPartial {
			partial = append(partial, fmt.Sprint(snap.ID))
		}
	}
	if err != nil {
		return err
	}
	d := time.Since(start)
	e.log.Info("parquet imported", "dir", dir, "snapshots", len(imported), "skipped", len(skipped), "findings", findings,
		"duration_ms", d.Milliseconds(), "findings_per_s", int(float64(findings)/max(d.Seconds(), 1e-9)))
	if len(partial) > 0 {
		return fmt.Errorf("snapshot(s) %s: %w", strings.Join(partial, ", "), runner.ErrPartial)
	}
	return nil
}
