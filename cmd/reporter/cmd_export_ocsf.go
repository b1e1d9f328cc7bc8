package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/ocsf"
	runner "github.com/hubreport/hubreport/internal/run"
	"github.com/hubreport/hubreport/internal/store"
)

// exportOCSF writes one OCSF Compliance Finding per finding of snap, as JSON lines, to out ("-"
// is stdout). Findings stream from the store to the file, none held; the store reads them in a
// fixed order (product, then finding id), so the same snapshot gives the same bytes. A file is
// written beside out and renamed into place, so a reader never sees half an export.
func exportOCSF(ctx context.Context, e *env, st *store.Store, snap model.Snapshot, out string) error {
	start := time.Now()
	var n int64
	write := func(w io.Writer) error {
		x := ocsf.NewWriter(w)
		if err := st.ForEachFinding(ctx, snap.ID, x.Write); err != nil {
			return err
		}
		n = x.Records()
		return x.Flush()
	}
	if out == "-" {
		if err := write(e.stdout); err != nil {
			return fmt.Errorf("export snapshot %d as OCSF: %w", snap.ID, err)
		}
	} else if err := runner.WriteFileAtomic(out, func(f *os.File) error { return write(f) }); err != nil {
		return fmt.Errorf("export snapshot %d as OCSF to %s: %w", snap.ID, out, err)
	}
	d := time.Since(start)
	e.log.Info("snapshot exported as OCSF", "snapshot", snap.ID, "findings", n, "path", out,
		"duration_ms", d.Milliseconds(), "findings_per_s", int(float64(n)/max(d.Seconds(), 1e-9)))
	if out != "-" {
		fmt.Fprintf(e.stdout, "exported snapshot %d, %d findings as OCSF %s Compliance Findings, to %s\n", snap.ID, n, ocsf.SchemaVersion, out)
	}
	return nil
}
