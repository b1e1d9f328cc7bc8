package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/store"
)

// TestMemoryLimitIsOneValue: every memory limit the configuration accepts opens the store, and
// values it refuses, given to the store anyway, are refused by DuckDB as one bad value rather
// than read as further connection settings or SQL.
func TestMemoryLimitIsOneValue(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, v := range []string{"160MB", "1GB", "1.5GiB", "512 MiB", "2gb", "100000000B", "1TB"} {
		if err := config.CheckMemoryLimit(v); err != nil {
			t.Errorf("config refuses %q: %v", v, err)
			continue
		}
		st, err := store.Open(ctx, filepath.Join(dir, "ok.duckdb"), store.Options{MemoryLimit: v})
		if err != nil {
			t.Errorf("config accepts %q but the store does not open with it: %v", v, err)
			continue
		}
		st.Close()
	}
	db := filepath.Join(dir, "r.duckdb")
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	before, _ := os.ReadFile(db)
	for _, v := range []string{"1GB'; DROP TABLE snapshots; --", "1GB&access_mode=READ_ONLY", "lots", "1GB#", "80%"} {
		if err := config.CheckMemoryLimit(v); err == nil || !strings.Contains(err.Error(), v) {
			t.Errorf("config: %q: err = %v, want a refusal naming it", v, err)
		}
		for _, ro := range []bool{false, true} {
			if st, err := store.Open(ctx, db, store.Options{MemoryLimit: v, ReadOnly: ro}); err == nil {
				st.Close()
				t.Errorf("store opened with memory_limit %q (read-only %v)", v, ro)
			}
		}
	}
	if after, _ := os.ReadFile(db); string(after) != string(before) {
		t.Error("a refused memory limit changed the database file")
	}
}
