package run

import (
	"errors"
	"fmt"
)

// ErrPartial means the work was done and written, but the snapshot did not cover everything.
// cmd/reporter exits 3 on it.
var ErrPartial = errors.New("snapshot is partial: some account/region pairs were not collected")

// ErrStale means the reports were written from a snapshot older than report.max_snapshot_age.
// It maps to the same exit code as ErrPartial: the reports exist, but they do not show today.
var ErrStale = errors.New("snapshot is stale")

// NotDeliveredError means the snapshot was collected and saved, and a later step (report or
// deliver) failed. The collected day is not lost: `run --steps report,deliver` retries it.
// cmd/reporter exits 4 on it.
type NotDeliveredError struct {
	Snapshot int64
	Err      error
}

func (e *NotDeliveredError) Error() string {
	return fmt.Sprintf("snapshot %d was collected and saved, but not delivered: %v "+
		"(retry with: reporter run --steps report,deliver)", e.Snapshot, e.Err)
}

func (e *NotDeliveredError) Unwrap() error { return e.Err }

// UsageError is a mistake in how the run was asked for: its steps, flags, or a combination of
// configuration values that cannot run together. cmd/reporter exits 2 on it. The message is
// shown as it is, so it names the flag or key.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }
