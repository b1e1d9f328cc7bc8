package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/render"
	"github.com/hubreport/hubreport/internal/render/evidence"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store"
)

// ReportFileMode keeps reports readable by the owner and its group only: they list every failing
// resource of the organization.
const ReportFileMode = 0o640

// ParseFormats splits a comma-separated list and checks every name.
func ParseFormats(list []string) ([]string, error) {
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

// WriteReports renders r in each format into dir, or to o.Stdout when dir is "-" (one format
// only), and returns the files written. Each file is written to a temporary name and renamed, so
// a reader never sees half a report and a failed render leaves the previous file in place.
//
// The evidence package carries the snapshot's findings, read from st, and the PDF and workbook
// when those formats are asked for too.
func WriteReports(ctx context.Context, o Options, st *store.Store, r *report.Report, formats []string, dir string) ([]string, error) {
	rn := render.New(render.Options{PageSize: o.Config.Report.PageSize, ToolVersion: o.Version, EvidenceReports: formats,
		Findings: snapshotASFF(st, r.Snapshot.ID)})
	if dir == "-" {
		if len(formats) != 1 {
			return nil, usagef("--out - writes one format to stdout; got %d formats (%s)", len(formats), strings.Join(formats, ","))
		}
		return nil, rn.Render(ctx, formats[0], o.Stdout, r)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	var written []string
	withEvidence := slices.Contains(formats, "evidence")
	for _, f := range formats {
		path := filepath.Join(dir, render.FileName(f))
		start := time.Now()
		fill := func(w *os.File) error { return rn.Render(ctx, f, w, r) }
		if withEvidence && (f == "pdf" || f == "xlsx") {
			// The evidence package carries this file: keep it, so that the package need not
			// render it again (a workbook of a million findings takes seconds).
			fill = func(w *os.File) error {
				var buf bytes.Buffer
				if err := rn.Render(ctx, f, io.MultiWriter(w, &buf), r); err != nil {
					return err
				}
				rn = rn.WithRendered(f, r, buf.Bytes())
				return nil
			}
		}
		if err := WriteFileAtomic(path, fill); err != nil {
			return written, fmt.Errorf("write %s report %s: %w", f, path, err)
		}
		o.log().Debug("report rendered", "format", f, "snapshot", r.Snapshot.ID, "duration_ms", time.Since(start).Milliseconds())
		written = append(written, path)
		if f == "evidence" {
			sum, err := evidenceManifestSum(path)
			if err != nil {
				return written, err
			}
			// Recorded where the package is filed, this hash makes any later edit detectable.
			o.log().Info("evidence package written", "path", path, "snapshot", r.Snapshot.ID, "manifest_sha256", sum)
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

// WriteFileAtomic writes path through fill into a temporary file beside it, with ReportFileMode,
// and renames it into place.
func WriteFileAtomic(path string, fill func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after the rename
	if err := tmp.Chmod(ReportFileMode); err != nil {
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

// OpenWritable opens the database for writing snapshots. Every snapshot is summarized as it is
// committed (analyze.Summarize), which keeps reports over long histories fast. Each step of
// writing a snapshot is logged at debug level to log (`snapshot step done`), where a slow import
// or collection shows where its time went.
func OpenWritable(ctx context.Context, log *slog.Logger, path, memoryLimit string) (*store.Store, error) {
	return store.Open(ctx, path, store.Options{MemoryLimit: memoryLimit, OnCommit: analyze.Summarize,
		StepDone: func(step string, d time.Duration) {
			log.Debug("snapshot step done", "step", step, "duration_ms", d.Milliseconds())
		}})
}

// OpenForAnalysis opens the database read-only with report.memory_limit: the analysis of a large
// organization needs more than an import's flat budget, and some of DuckDB's operators (distinct
// counts, window functions) cannot spill to disk.
func OpenForAnalysis(ctx context.Context, path string, cfg config.Config) (*store.Store, error) {
	return store.Open(ctx, path, store.Options{ReadOnly: true, MemoryLimit: cfg.Report.MemoryLimit})
}

// ApplyRetention deletes the snapshots older than store.retention_days before the newest one and
// gives their space back. It runs after a snapshot is stored, so a failure (or a cancellation)
// is a warning: the new snapshot is safe, the prune is one transaction, and the next run retries.
func ApplyRetention(ctx context.Context, log *slog.Logger, st *store.Store, days int) {
	if days <= 0 {
		return
	}
	res, err := st.Prune(ctx, time.Duration(days)*24*time.Hour)
	if err != nil {
		log.Warn("pruning old snapshots failed; the next run retries", "retention_days", days, "error", err.Error())
		return
	}
	if res.Snapshots > 0 {
		log.Info("old snapshots pruned", "retention_days", days, "snapshots", res.Snapshots,
			"bytes_before", res.BytesBefore, "bytes_after", res.BytesAfter)
	}
}

// AnalyzeOptions maps the configuration onto the analysis knobs. The report they give is a
// function of the snapshot and the configuration only; LatestOptions adds the clock.
func AnalyzeOptions(cfg config.Config) analyze.Options {
	return analyze.Options{
		WindowDays:          cfg.Report.WindowDays,
		TargetScore:         cfg.Report.TargetScore,
		TargetHorizonDays:   cfg.Report.TargetHorizonDays,
		TopControls:         cfg.Report.TopControls,
		AutomationMarkers:   cfg.Report.AutomationMarkers,
		ExpiryField:         cfg.Exceptions.ExpiryField,
		ExceptionMaxAgeDays: cfg.Exceptions.MaxAgeDays,
	}
}

// LatestOptions are the analysis options of a report on the latest snapshot, the one report that
// claims to show the present: past report.max_snapshot_age at the wall clock now it is marked
// stale. A snapshot asked for by id or date is the past on purpose and is never stale.
func LatestOptions(cfg config.Config, now func() time.Time) analyze.Options {
	o := AnalyzeOptions(cfg)
	o.Now, o.MaxSnapshotAge = now, cfg.Report.MaxSnapshotAge
	return o
}

// ReportWarning is the error (exit 3) for reports written from a partial or a stale snapshot,
// joined when both; nil when neither.
func ReportWarning(r *report.Report) error {
	var partial error
	if r.Snapshot.Status == model.StatusPartial {
		partial = fmt.Errorf("snapshot %d: %w", r.Snapshot.ID, ErrPartial)
	}
	return errors.Join(partial, staleWarning(r))
}

// staleWarning is ErrStale, saying how old, when r is marked stale; nil otherwise.
func staleWarning(r *report.Report) error {
	st := r.Stale
	if st == nil {
		return nil
	}
	return fmt.Errorf("snapshot %d of %s is %s old on %s, past report.max_snapshot_age (%gh): %w; "+
		"the reports were written and say so at the top; check that collection runs",
		r.Snapshot.ID, st.SnapshotDate, st.Age(), st.RunDate, st.MaxAgeHours, ErrStale)
}
