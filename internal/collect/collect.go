// Package collect reads findings from a source (exported ASFF files, the demo organization, and
// later the AWS APIs) and hands them to a Sink, normally a store.SnapshotWriter. A source never
// decides whether a snapshot is kept: it returns an error and the caller rolls the snapshot back.
package collect

import (
	"context"
	"errors"
	"runtime/debug"

	"github.com/hubreport/hubreport/internal/store"
)

// Sink receives one snapshot's data. store.SnapshotWriter implements it.
type Sink interface {
	AddFinding(f *store.Finding) error
	AddAccount(a store.Account) error
	AddCoverage(c store.Coverage) error
}

var _ Sink = (*store.SnapshotWriter)(nil)

// DisabledSink is a Sink that also stores control enablement. It is a separate interface so that
// sinks with no use for it (counters, filters) need not grow a method: AddDisabled passes the rows
// to a sink that takes them and drops them otherwise.
type DisabledSink interface {
	AddDisabledControl(d store.DisabledControl) error
}

var (
	_ DisabledSink = (*store.SnapshotWriter)(nil)
	_ DisabledSink = (*Buffer)(nil)
)

// AddDisabled hands d to sink when it stores disabled controls (or to the sink it wraps, through
// an Unwrap() Sink method), and drops it otherwise.
func AddDisabled(sink Sink, d store.DisabledControl) error {
	if ds, ok := unwrapTo[DisabledSink](sink); ok {
		return ds.AddDisabledControl(d)
	}
	return nil
}

// RetiredSink is a Sink that also stores how many findings of retired controls were dropped
// (optional for the same reason as DisabledSink).
type RetiredSink interface {
	AddRetiredFindings(r store.RetiredFindings) error
}

var (
	_ RetiredSink = (*store.SnapshotWriter)(nil)
	_ RetiredSink = (*Buffer)(nil)
)

// AddRetired hands r to sink when it stores retired controls' counts (or to the sink it wraps),
// and drops it otherwise.
func AddRetired(sink Sink, r store.RetiredFindings) error {
	if rs, ok := unwrapTo[RetiredSink](sink); ok {
		return rs.AddRetiredFindings(r)
	}
	return nil
}

// unwrapTo is sink, or the first sink it wraps (through Unwrap() Sink methods), that is a T.
func unwrapTo[T any](sink Sink) (T, bool) {
	for sink != nil {
		if t, ok := sink.(T); ok {
			return t, true
		}
		u, ok := sink.(interface{ Unwrap() Sink })
		if !ok {
			break
		}
		sink = u.Unwrap()
	}
	var zero T
	return zero, false
}

// Source yields one snapshot's findings (and, when it knows them, accounts and coverage).
type Source interface {
	Collect(ctx context.Context, sink Sink) error
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, sink Sink) error

// Collect calls f.
func (f SourceFunc) Collect(ctx context.Context, sink Sink) error { return f(ctx, sink) }

// Snapshot runs src into a new snapshot of st. The snapshot is stored only if src and the commit
// succeed; on any error or cancellation nothing is stored.
func Snapshot(ctx context.Context, st *store.Store, meta store.SnapshotMeta, stds []store.Standard, ctls []store.Control, src Source) (store.Snapshot, error) {
	w, err := st.BeginSnapshot(ctx, meta, stds, ctls)
	if err != nil {
		return store.Snapshot{}, err
	}
	if err := src.Collect(ctx, w); err != nil {
		return store.Snapshot{}, errors.Join(err, w.Rollback())
	}
	if err := ctx.Err(); err != nil {
		return store.Snapshot{}, errors.Join(err, w.Rollback())
	}
	// What the source decoded is in the store's staging now, and its buffers are garbage. The
	// commit's merge is where the process peaks (DuckDB's working memory on top of everything
	// else), so the Go heap's free pages go back to the system first: about 20 MB at 200,000
	// findings, for the price of one garbage collection.
	debug.FreeOSMemory()
	return w.Commit(ctx)
}

// SinkFunc is a Sink that receives findings only; accounts and coverage are dropped.
type SinkFunc func(f *store.Finding) error

// AddFinding calls f.
func (f SinkFunc) AddFinding(x *store.Finding) error { return f(x) }

// AddAccount drops the account.
func (SinkFunc) AddAccount(store.Account) error { return nil }

// AddCoverage drops the coverage.
func (SinkFunc) AddCoverage(store.Coverage) error { return nil }
