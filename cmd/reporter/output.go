package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/render"
	"github.com/hubreport/hubreport/internal/render/evidence"
	"github.com/hubreport/hubreport/internal/store"
)

// reportFileMode keeps reports readable by the owner and its group only: they list every failing
// resource of the organization.
const reportFileMode = 0o640

// parseFormats splits a comma-separated list and checks every name.
func parseFormats(list []string) ([]string, error) {
	known := map[string]bool{}
	for _, f := range render.Formats() {
		known[f] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, item := range list {
		for _, f := range strings.Split(item, ",") {
			f = strings.ToLower(strings.TrimSpace(f))
			if f == "" || seen[f] {
				continue
			}
			if !known[f] {
				return nil, usagef("unknown report format %q (known: %s)", f, strings.Join(render.Formats(), ", "))
			}
			seen[f] = true
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, usagef("no report format given (known: %s)", strings.Join(render.Formats(), ", "))
	}
	return out, nil
}

// writeReports renders r in each format into dir, or to stdout when dir is "-" (one format only).
// Each file is written to a temporary name and renamed, so a reader never sees half a report and
// a failed render leaves the previous file in place.
//
// The evidence package carries the snapshot's findings, read from st, and the PDF and workbook
// when those formats are asked for too.
func writeReports(ctx context.Context, e *env, cfg config.Config, st *store.Store, r *analyze.Report, formats []string, dir string) ([]string, error) {
	rn := render.New(render.Options{PageSize: cfg.Report.PageSize, ToolVersion: version, EvidenceReports: formats,
		Findings: snapshotASFF(st, r.Snapshot.ID)})
	if dir == "-" {
		if len(formats) != 1 {
			return nil, usagef("--out - writes one format to stdout; got %d formats (%s)", len(formats), strings.Join(formats, ","))
		}
		return nil, rn.Render(ctx, formats[0], e.stdout, r)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	var written []string
	for _, f := range formats {
		path := filepath.Join(dir, render.FileName(f))
		if err := writeFileAtomic(path, func(w *os.File) error { return rn.Render(ctx, f, w, r) }); err != nil {
			return written, fmt.Errorf("write %s report %s: %w", f, path, err)
		}
		written = append(written, path)
		if f == "evidence" {
			sum, err := evidenceManifestSum(path)
			if err != nil {
				return written, err
			}
			// Recorded where the package is filed, this hash makes any later edit detectable.
			e.log.Info("evidence package written", "path", path, "snapshot", r.Snapshot.ID, "manifest_sha256", sum)
		}
	}
	return written, nil
}

func evidenceManifestSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }() // read-only: a close error cannot lose data
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	sum, err := evidence.ManifestSHA256(f, fi.Size())
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return sum, nil
}

// snapshotASFF streams a snapshot's findings as ASFF JSON, in the store's fixed order.
func snapshotASFF(st *store.Store, id int64) func(context.Context, io.Writer) error {
	return func(ctx context.Context, w io.Writer) error {
		aw := collect.NewASFFWriter(w)
		if err := st.ForEachFinding(ctx, id, aw.Write); err != nil {
			return err
		}
		return aw.Close()
	}
}

func writeFileAtomic(path string, fill func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after the rename
	if err := tmp.Chmod(reportFileMode); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := fill(tmp); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// openWritable opens the database for writing snapshots. Every snapshot is summarized as it is
// committed (analyze.Summarize), which keeps reports over long histories fast.
func openWritable(ctx context.Context, path, memoryLimit string) (*store.Store, error) {
	return store.Open(ctx, path, store.Options{MemoryLimit: memoryLimit, OnCommit: analyze.Summarize})
}

// openForAnalysis opens the database read-only with report.memory_limit: the analysis of a large
// organization needs more than an import's flat budget, and some of DuckDB's operators (distinct
// counts, window functions) cannot spill to disk.
func openForAnalysis(ctx context.Context, path string, cfg config.Config) (*store.Store, error) {
	return store.Open(ctx, path, store.Options{ReadOnly: true, MemoryLimit: cfg.Report.MemoryLimit})
}

// applyRetention deletes the snapshots older than store.retention_days before the newest one and
// gives their space back. It runs after a snapshot is stored, so a failure (or a cancellation)
// is a warning: the new snapshot is safe, the prune is one transaction, and the next run retries.
func applyRetention(ctx context.Context, e *env, st *store.Store, days int) {
	if days <= 0 {
		return
	}
	res, err := st.Prune(ctx, time.Duration(days)*24*time.Hour)
	if err != nil {
		e.log.Warn("pruning old snapshots failed; the next run retries", "retention_days", days, "error", err.Error())
		return
	}
	if res.Snapshots > 0 {
		e.log.Info("old snapshots pruned", "retention_days", days, "snapshots", res.Snapshots,
			"bytes_before", res.BytesBefore, "bytes_after", res.BytesAfter)
	}
}

// analyzeOptions maps the configuration onto the analysis knobs. The report they give is a
// function of the snapshot and the configuration only; latestOptions adds the clock.
func analyzeOptions(cfg config.Config) analyze.Options {
	return analyze.Options{
		WindowDays:        cfg.Report.WindowDays,
		TargetScore:       cfg.Report.TargetScore,
		TargetHorizonDays: cfg.Report.TargetHorizonDays,
		TopControls:       cfg.Report.TopControls,
		AutomationMarkers: cfg.Report.AutomationMarkers,
	}
}

// latestOptions are the analysis options of a report on the latest snapshot, the one report that
// claims to show the present: past report.max_snapshot_age at the wall clock it is marked stale.
// A snapshot asked for by id or date is the past on purpose and is never stale.
func latestOptions(e *env, cfg config.Config) analyze.Options {
	o := analyzeOptions(cfg)
	o.Now, o.MaxSnapshotAge = e.now, cfg.Report.MaxSnapshotAge
	return o
}

// reportWarning is the error (exit 3) for reports written from a partial or a stale snapshot,
// joined when both; nil when neither.
func reportWarning(r *analyze.Report) error {
	var partial error
	if r.Snapshot.Status == store.StatusPartial {
		partial = fmt.Errorf("snapshot %d: %w", r.Snapshot.ID, errPartial)
	}
	return errors.Join(partial, staleWarning(r))
}

// staleWarning is errStale, saying how old, when r is marked stale; nil otherwise.
func staleWarning(r *analyze.Report) error {
	st := r.Stale
	if st == nil {
		return nil
	}
	return fmt.Errorf("snapshot %d of %s is %s old on %s, past report.max_snapshot_age (%gh): %w; "+
		"the reports were written and say so at the top; check that collection runs",
		r.Snapshot.ID, st.SnapshotDate, st.Age(), st.RunDate, st.MaxAgeHours, errStale)
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
