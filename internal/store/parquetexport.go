package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hubreport/hubreport/internal/model"
)

// ExportParquet writes snapshots (every stored one when snapshotIDs is empty) as zstd-compressed
// Parquet under dir, in hive layout:
//
//	dir/findings/snapshot_date=YYYY-MM-DD/account_id=ID/*.parquet   one row per finding
//	dir/{snapshots,accounts,coverage,standards,controls}/snapshot_date=YYYY-MM-DD/*.parquet
//
// snapshot_date is the UTC date of the snapshot's taken_at. File names are deterministic,
// <taken_at>-<snapshot id>-<shard>-<n>.parquet, where shard is a hash of the snapshot's account
// list: exporting a snapshot again replaces its files, and collectors that each read a slice of
// the organization's accounts can export into one directory (or S3 prefix) without overwriting
// each other. Files of other snapshots already in dir are left alone. Files are 0640 and
// directories 0750 at most. A failed export may leave some files of the snapshot written.
func (s *Store) ExportParquet(ctx context.Context, dir string, snapshotIDs []int64) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	snaps, err := s.exportList(ctx, conn, snapshotIDs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, parquetDirMode); err != nil {
		return fmt.Errorf("export parquet: %w", err)
	}
	for _, snap := range snaps {
		if err := s.exportSnapshot(ctx, conn, dir, snap); err != nil {
			return fmt.Errorf("export snapshot %d to %s: %w", snap.ID, dir, err)
		}
	}
	// DuckDB creates files and directories as the umask allows; tighten what is looser than ours.
	for _, t := range ParquetTables() {
		root := filepath.Join(dir, t)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && p == root {
					return nil
				}
				return err
			}
			want := fs.FileMode(parquetFileMode)
			if d.IsDir() {
				want = parquetDirMode
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if perm := fi.Mode().Perm(); perm&^want != 0 {
				return os.Chmod(p, perm&want)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("export parquet: %w", err)
		}
	}
	return nil
}

func (s *Store) exportList(ctx context.Context, conn *sql.Conn, ids []int64) ([]model.Snapshot, error) {
	rows, err := conn.QueryContext(ctx, `SELECT `+snapshotCols+` FROM snapshots ORDER BY taken_at, id`)
	if err != nil {
		return nil, fmt.Errorf("export parquet: %w", err)
	}
	defer rows.Close()
	var all []model.Snapshot
	for rows.Next() {
		snap, err := scanSnapshot(rows)
		if err != nil {
			return nil, err
		}
		all = append(all, snap)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return all, nil
	}
	var out []model.Snapshot
	for _, id := range ids {
		i := slices.IndexFunc(all, func(s model.Snapshot) bool { return s.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("export parquet: snapshot %d: %w", id, ErrNoSnapshot)
		}
		out = append(out, all[i])
	}
	return out, nil
}

func (s *Store) exportSnapshot(ctx context.Context, conn *sql.Conn, dir string, snap model.Snapshot) error {
	var shard string
	if err := conn.QueryRowContext(ctx, `SELECT left(md5(coalesce(string_agg(account_id, ',' ORDER BY account_id), '')), 8)
		FROM snapshot_accounts WHERE snapshot_id = ?`, snap.ID).Scan(&shard); err != nil {
		return err
	}
	date := snap.TakenAt.UTC().Format(time.DateOnly)
	pattern := fmt.Sprintf("%s-%d-%s-{i}", snap.TakenAt.UTC().Format("20060102T150405Z"), snap.ID, shard)
	tables := append([]parquetTable{parquetFindings}, parquetSmallTables...)
	// A partitioned COPY buffers up to this many rows per thread before it writes them out, by
	// default 524,288: at about 1 KB a finding row that is more than report.memory_limit (1GB),
	// and a snapshot of 978,832 findings in 1,000 accounts failed out of memory. At 16,384 it
	// exports in 8 s, one file and row group per account.
	if _, err := conn.ExecContext(ctx, `SET partitioned_write_flush_threshold = 16384`); err != nil {
		return err
	}
	for _, t := range tables {
		if err := ctx.Err(); err != nil {
			return err
		}
		partition := "snapshot_date"
		if t.name == parquetFindings.name {
			partition = "snapshot_date, account_id"
		}
		q := fmt.Sprintf(`COPY (%s) TO %s (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (%s),
			OVERWRITE_OR_IGNORE, FILENAME_PATTERN %s)`,
			fmt.Sprintf(t.query, snap.ID, date), sqlString(filepath.Join(dir, t.name)), partition, sqlString(pattern))
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	return nil
}
