package store

import (
	"context"
	"fmt"

	"github.com/hubreport/hubreport/internal/model"
)

// AddWarning records a warning of the snapshot being written. It is stored at commit, in the
// snapshot's transaction: a rolled-back snapshot leaves none.
func (w *SnapshotWriter) AddWarning(x model.Warning) error {
	if x.Kind == "" || x.Message == "" {
		return fmt.Errorf("snapshot: warning %+v: a kind and a message are required", x)
	}
	w.warnings = append(w.warnings, x)
	return nil
}

// writeWarnings stores the warnings in the order they were given.
func (w *SnapshotWriter) writeWarnings(ctx context.Context, id int64) error {
	for i, x := range w.warnings {
		if _, err := w.conn.ExecContext(ctx, `INSERT INTO snapshot_warnings (snapshot_id, seq, kind, message) VALUES (?, ?, ?, ?)`,
			id, i, x.Kind, x.Message); err != nil {
			return fmt.Errorf("snapshot: warnings: %w", err)
		}
	}
	return nil
}

// WarningsOf gives the warnings stored with snapshot id, in the order they were given.
func (s *Store) WarningsOf(ctx context.Context, id int64) ([]model.Warning, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, message FROM snapshot_warnings WHERE snapshot_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("snapshot %d: warnings: %w", id, err)
	}
	defer rows.Close()
	var out []model.Warning
	for rows.Next() {
		var x model.Warning
		if err := rows.Scan(&x.Kind, &x.Message); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}
