package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrNoSnapshot is returned when no snapshot matches.
var ErrNoSnapshot = errors.New("no such snapshot")

const snapshotCols = `id, taken_at, source, organization, administrator_account, status, findings,
	accounts_collected, accounts_expected, created_at`

func scanSnapshot(row interface{ Scan(...any) error }) (Snapshot, error) {
	var s Snapshot
	err := row.Scan(&s.ID, &s.TakenAt, &s.Source, &s.Organization, &s.AdministratorAccount, &s.Status,
		&s.Findings, &s.AccountsCollected, &s.AccountsExpected, &s.CreatedAt)
	return s, err
}

// Snapshots lists every stored snapshot, oldest first.
func (s *Store) Snapshots(ctx context.Context) ([]Snapshot, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+snapshotCols+` FROM snapshots ORDER BY taken_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	defer rows.Close()
	var out []Snapshot
	for rows.Next() {
		snap, err := scanSnapshot(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, snap)
	}
	return out, rows.Err()
}

// Snapshot returns snapshot id.
func (s *Store) Snapshot(ctx context.Context, id int64) (Snapshot, error) {
	snap, err := scanSnapshot(s.db.QueryRowContext(ctx, `SELECT `+snapshotCols+` FROM snapshots WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return snap, fmt.Errorf("snapshot %d: %w", id, ErrNoSnapshot)
	}
	return snap, err
}

// SnapshotAt returns the latest snapshot taken at or before t (the latest of all when t is zero).
func (s *Store) SnapshotAt(ctx context.Context, t time.Time) (Snapshot, error) {
	q := `SELECT ` + snapshotCols + ` FROM snapshots ORDER BY taken_at DESC, id DESC LIMIT 1`
	var args []any
	if !t.IsZero() {
		q = `SELECT ` + snapshotCols + ` FROM snapshots WHERE taken_at <= ? ORDER BY taken_at DESC, id DESC LIMIT 1`
		args = append(args, t.UTC())
	}
	snap, err := scanSnapshot(s.db.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		if t.IsZero() {
			return snap, fmt.Errorf("the database holds no snapshot yet: %w", ErrNoSnapshot)
		}
		return snap, fmt.Errorf("no snapshot taken at or before %s: %w", t.UTC().Format(time.RFC3339), ErrNoSnapshot)
	}
	return snap, err
}
