package store

import (
	"context"
	"errors"
	"runtime/debug"

	"github.com/hubreport/hubreport/internal/model"
)

// WriteSnapshot begins a snapshot, lets fill write its findings, accounts and coverage, and
// commits it. The snapshot is stored only if fill and the commit succeed; on any error or
// cancellation nothing is stored. fill is a function rather than a collect.Source so that the
// store does not depend on the collectors upstream of it: the caller passes src.Collect.
func (s *Store) WriteSnapshot(ctx context.Context, meta model.SnapshotMeta, stds []model.Standard, ctls []model.Control,
	fill func(context.Context, *SnapshotWriter) error) (model.Snapshot, error) {
	w, err := s.BeginSnapshot(ctx, meta, stds, ctls)
	if err != nil {
		return model.Snapshot{}, err
	}
	if err := fill(ctx, w); err != nil {
		return model.Snapshot{}, errors.Join(err, w.Rollback())
	}
	if err := ctx.Err(); err != nil {
		return model.Snapshot{}, errors.Join(err, w.Rollback())
	}
	// What the source decoded is in the store's staging now, and its buffers are garbage. The
	// commit's merge is where the process peaks (DuckDB's working memory on top of everything
	// else), so the Go heap's free pages go back to the system first: about 20 MB at 200,000
	// findings, for the price of one garbage collection.
	debug.FreeOSMemory()
	return w.Commit(ctx)
}
