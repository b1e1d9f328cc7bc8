package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sort"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/hubreport/hubreport/internal/model"
)

// retiredKey is a RetiredFindings row without its count.
type retiredKey struct{ account, region, standard, control string }

// AddRetiredFindings records r. Counts given more than once for the same account, region,
// standard and control add up (the shards of an import each give theirs).
func (w *SnapshotWriter) AddRetiredFindings(r model.RetiredFindings) error {
	if r.ControlID == "" || r.Findings < 0 {
		return fmt.Errorf("snapshot: retired findings %+v: a control and a count of 0 or more are required", r)
	}
	if w.retired == nil {
		w.retired = map[retiredKey]int64{}
	}
	w.retired[retiredKey{r.AccountID, r.Region, r.StandardID, r.ControlID}] += r.Findings
	return nil
}

// writeRetired stores the retired controls' counts, sorted so the same run writes the same rows.
func (w *SnapshotWriter) writeRetired(id int64) error {
	if len(w.retired) == 0 {
		return nil
	}
	keys := make([]retiredKey, 0, len(w.retired))
	for k := range w.retired {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.account != b.account {
			return a.account < b.account
		}
		if a.region != b.region {
			return a.region < b.region
		}
		if a.standard != b.standard {
			return a.standard < b.standard
		}
		return a.control < b.control
	})
	err := w.conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppender(dc.(driver.Conn), "", "main", "snapshot_retired_findings")
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := a.AppendRow(id, k.account, k.region, k.standard, k.control, w.retired[k]); err != nil {
				return errors.Join(err, a.Close())
			}
		}
		return a.Close()
	})
	if err != nil {
		return fmt.Errorf("snapshot: retired findings: %w", err)
	}
	return nil
}

// RetiredFindingsOf gives the retired controls' dropped findings of snapshot id.
func (s *Store) RetiredFindingsOf(ctx context.Context, id int64) ([]model.RetiredFindings, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT account_id, region, standard_id, control_id, findings
		FROM snapshot_retired_findings WHERE snapshot_id = ? ORDER BY account_id, region, standard_id, control_id`, id)
	if err != nil {
		return nil, fmt.Errorf("snapshot %d: retired findings: %w", id, err)
	}
	defer rows.Close()
	var out []model.RetiredFindings
	for rows.Next() {
		var r model.RetiredFindings
		if err := rows.Scan(&r.AccountID, &r.Region, &r.StandardID, &r.ControlID, &r.Findings); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
