// Package collect reads findings from a source (exported ASFF files, the demo organization, and
// later the AWS APIs) and hands them to a Sink, normally the store's snapshot writer (store.WriteSnapshot passes one). A source never
// decides whether a snapshot is kept: it returns an error and the caller rolls the snapshot back.
package collect

import (
	"context"

	"github.com/hubreport/hubreport/internal/model"
)

// Sink receives one snapshot's data. store.SnapshotWriter implements it (the run package checks
// that at compile time: collect does not import the store downstream of it).
type Sink interface {
	AddFinding(f *model.Finding) error
	AddAccount(a model.Account) error
	AddCoverage(c model.Coverage) error
}

// DisabledSink is a Sink that also stores control enablement. It is a separate interface so that
// sinks with no use for it (counters, filters) need not grow a method: AddDisabled passes the rows
// to a sink that takes them and drops them otherwise.
type DisabledSink interface {
	AddDisabledControl(d model.DisabledControl) error
}

var _ DisabledSink = (*Buffer)(nil)

// AddDisabled hands d to sink when it stores disabled controls (or to the sink it wraps, through
// an Unwrap() Sink method), and drops it otherwise.
func AddDisabled(sink Sink, d model.DisabledControl) error {
	if ds, ok := unwrapTo[DisabledSink](sink); ok {
		return ds.AddDisabledControl(d)
	}
	return nil
}

// RetiredSink is a Sink that also stores how many findings of retired controls were dropped
// (optional for the same reason as DisabledSink).
type RetiredSink interface {
	AddRetiredFindings(r model.RetiredFindings) error
}

var (
	_ RetiredSink = (*Buffer)(nil)
)

// AddRetired hands r to sink when it stores retired controls' counts (or to the sink it wraps),
// and drops it otherwise.
func AddRetired(sink Sink, r model.RetiredFindings) error {
	if rs, ok := unwrapTo[RetiredSink](sink); ok {
		return rs.AddRetiredFindings(r)
	}
	return nil
}

// WarningSink is a Sink that also stores the snapshot's warnings: what the collection could not
// read or left out without failing (optional for the same reason as DisabledSink).
type WarningSink interface {
	AddWarning(w model.Warning) error
}

var _ WarningSink = (*Buffer)(nil)

// AddWarning hands w to sink when it stores warnings (or to the sink it wraps), and drops it
// otherwise; the caller logs it as well.
func AddWarning(sink Sink, w model.Warning) error {
	if ws, ok := unwrapTo[WarningSink](sink); ok {
		return ws.AddWarning(w)
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

// SinkFunc is a Sink that receives findings only; accounts and coverage are dropped.
type SinkFunc func(f *model.Finding) error

// AddFinding calls f.
func (f SinkFunc) AddFinding(x *model.Finding) error { return f(x) }

// AddAccount drops the account.
func (SinkFunc) AddAccount(model.Account) error { return nil }

// AddCoverage drops the coverage.
func (SinkFunc) AddCoverage(model.Coverage) error { return nil }

// Fill adapts src to the fill function of a writer whose type W is a Sink, so that a snapshot is
// written without collect importing the store downstream of it:
//
//	st.WriteSnapshot(ctx, meta, stds, ctls, collect.Fill[*store.SnapshotWriter](src))
func Fill[W Sink](src Source) func(context.Context, W) error {
	return func(ctx context.Context, w W) error { return src.Collect(ctx, w) }
}
