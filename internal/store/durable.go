package store

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Close makes everything committed durable in the database file and closes it. For a writable
// store that is an explicit CHECKPOINT (folding the write-ahead log into the file), then the
// close, then a check that no WAL is left beside the file: DuckDB checkpoints on close too, but
// swallows a failure there (a full disk, say), leaving the newest snapshot only in path.wal, where
// a copy of the file (the S3 state) would not have it. Every error is returned, naming the step
// and the file. A second Close (a deferred one after an explicit one) does nothing.
func (s *Store) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.ro {
		return s.db.Close()
	}
	return s.shutdown()
}

// shutdown checkpoints and closes the pool and checks that no WAL is left; compact reuses it
// before swapping files, so a compaction never discards a WAL that holds data.
func (s *Store) shutdown() error {
	var errs []error
	if _, err := s.db.ExecContext(context.Background(), `CHECKPOINT `+attachedName); err != nil {
		errs = append(errs, fmt.Errorf("checkpoint database %s: %w", s.path, err))
	}
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close database %s: %w", s.path, err))
	}
	if err := checkNoWAL(s.path); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		errs = append(errs, fmt.Errorf("what was committed is kept in %s and its WAL: free space on its file system (or fix the error above); "+
			"opening the database again replays the WAL into the file (a run with store.s3_state downloads the state again instead, and collects anew)", s.path))
	}
	return errors.Join(errs...)
}

// WALError means a write-ahead log is left beside the database file: the file alone does not
// hold everything committed, so it must not be copied or uploaded.
type WALError struct {
	Path string // the database file
	Size int64  // bytes in Path.wal
}

func (e *WALError) Error() string {
	return fmt.Sprintf("checkpoint database %s: its write-ahead log %s.wal still holds %d bytes after closing, so the file alone lacks the newest commits (was the disk full?)",
		e.Path, e.Path, e.Size)
}

func checkNoWAL(path string) error {
	fi, err := os.Stat(path + ".wal")
	if errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint database %s: %w", path, err)
	}
	return &WALError{Path: path, Size: fi.Size()}
}

// VerifyFile checks that the database file at path, on its own, holds snapshot id: no WAL beside
// it (a read-only open would replay one, hiding that the file lacks it), and the snapshot found
// by opening the file read-only. Run it before a copy of the file goes anywhere (S3 state).
func VerifyFile(ctx context.Context, path string, id int64) error {
	if err := checkNoWAL(path); err != nil {
		return err
	}
	st, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("verify database %s: %w", path, err)
	}
	var n int
	err = st.db.QueryRowContext(ctx, `SELECT count(*) FROM snapshots WHERE id = ?`, id).Scan(&n)
	err = errors.Join(err, st.Close())
	if err != nil {
		return fmt.Errorf("verify database %s: %w", path, err)
	}
	if n != 1 {
		return fmt.Errorf("verify database %s: snapshot %d is not in the file, although it was committed", path, id)
	}
	return nil
}
