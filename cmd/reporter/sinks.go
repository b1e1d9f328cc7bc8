package main

import (
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/store"
)

// The store's snapshot writer is what every collector writes into. collect does not import the
// store downstream of it, so the check that the writer takes everything a source hands over
// lives here, where the two are joined.
var (
	_ collect.Sink         = (*store.SnapshotWriter)(nil)
	_ collect.DisabledSink = (*store.SnapshotWriter)(nil)
	_ collect.RetiredSink  = (*store.SnapshotWriter)(nil)
)
