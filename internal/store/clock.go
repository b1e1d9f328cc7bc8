package store

import (
	"errors"
	"fmt"
	"time"
)

// MaxAhead is how far ahead of the clock a snapshot may be dated: enough for hosts whose clocks
// disagree by minutes (a collector and the merge task, say), far too little for a mistyped year.
// A snapshot from the future would be the newest for as long as the future lasts: every real
// snapshot stored meanwhile would be refused as older, and retention, counting from it, would
// delete the history before it.
const MaxAhead = time.Hour

// ErrFutureSnapshot is what a FutureError unwraps to.
var ErrFutureSnapshot = errors.New("snapshot dated ahead of the clock")

// FutureError refuses a snapshot dated more than MaxAhead ahead of the clock.
type FutureError struct {
	TakenAt time.Time // the snapshot's date
	Now     time.Time // the clock when it was refused
}

func (e *FutureError) Error() string {
	return fmt.Sprintf("snapshot taken at %s is %s ahead of the clock (%s; at most %s allowed): "+
		"nothing was stored. Check the date given (import --as-of, collect.aws.shard_started_at) "+
		"or the clock of the host that took the snapshot",
		e.TakenAt.UTC().Format(time.RFC3339Nano), e.TakenAt.Sub(e.Now).Round(time.Second),
		e.Now.UTC().Format(time.RFC3339), MaxAhead)
}

func (e *FutureError) Unwrap() error { return ErrFutureSnapshot }

// CheckTakenAt refuses takenAt when it is more than MaxAhead after now. Callers that learn a
// snapshot's date long before they store it (a collection) check early with it; the store
// checks again, with its own clock, when the snapshot is begun.
func CheckTakenAt(takenAt, now time.Time) error {
	if takenAt.Sub(now) > MaxAhead {
		return &FutureError{TakenAt: takenAt, Now: now}
	}
	return nil
}

// now is the store's clock: Options.Now, or the wall clock.
func (s *Store) now() time.Time {
	if s.opt.Now != nil {
		return s.opt.Now()
	}
	return time.Now()
}
