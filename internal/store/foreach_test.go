package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/hubreport/hubreport/internal/model"
)

// TestForEachFindingStopsAtFnError: batches are read ahead on another goroutine; an error from fn
// stops the reading, is what ForEachFinding returns, and leaves the store usable (the reader is
// done with the connection and its temporary table is dropped).
func TestForEachFindingStopsAtFnError(t *testing.T) {
	defer func(n int64) { forEachBatch = n }(forEachBatch)
	forEachBatch = 2
	s, _ := openTemp(t)
	var fs []*model.Finding
	for i := range 11 {
		fs = append(fs, finding(fmt.Sprintf("f%02d", i), "111122223333", "FAILED"))
	}
	snap := write(t, s, t0, fs...)
	stop := errors.New("stop here")
	for _, after := range []int{1, 2, 5, 11} {
		calls := 0
		err := s.ForEachFinding(context.Background(), snap.ID, func(*model.Finding) error {
			calls++
			if calls == after {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != after {
			t.Errorf("fn failing at call %d: err %v after %d calls", after, err, calls)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := s.ForEachFinding(ctx, snap.ID, func(*model.Finding) error {
		if calls++; calls == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls >= 11 {
		t.Errorf("cancelled at call 3: err %v after %d calls", err, calls)
	}
	n := 0
	if err := s.ForEachFinding(context.Background(), snap.ID, func(*model.Finding) error { n++; return nil }); err != nil || n != 11 {
		t.Errorf("read after the failures: %d findings, err %v", n, err)
	}
}

func TestParseDuckDBSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{{"953.6 MiB", 999922073, true}, {"1.0 GiB", 1 << 30, true}, {"512 bytes", 512, true}, {"256.0 MB", 256e6, true},
		{"", 0, false}, {"12 parsecs", 0, false}, {"many MiB", 0, false}} {
		if got, ok := parseDuckDBSize(c.in); got != c.want || ok != c.ok {
			t.Errorf("parseDuckDBSize(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestCapMemoryRestores: the cap lowers memory_limit while it holds and puts the setting back.
func TestCapMemoryRestores(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	setting := func() int64 {
		t.Helper()
		var v string
		if err := conn.QueryRowContext(ctx, `SELECT current_setting('memory_limit')`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		n, ok := parseDuckDBSize(v)
		if !ok {
			t.Fatalf("memory_limit %q", v)
		}
		return n
	}
	before := setting()
	restore, err := capMemory(ctx, conn, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := setting(); got != 64<<20 {
		t.Errorf("under the cap: memory_limit %d, want %d", got, 64<<20)
	}
	restore()
	if got := setting(); got < before*99/100 || got > before*101/100 {
		t.Errorf("after the cap: memory_limit %d, want %d back", got, before)
	}
}

// TestReadOnlyStoresSpillApart: a read-only store spills to a directory of its process (sharing
// DuckDB's default <path>.tmp, one process read another's spill files), and two read-only stores
// of one database still open side by side in one process.
func TestReadOnlyStoresSpillApart(t *testing.T) {
	s, path := openTemp(t)
	write(t, s, t0, finding("f1", "111122223333", "FAILED"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	for range 2 {
		ro, err := Open(ctx, path, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		var dir string
		if err := ro.db.QueryRowContext(ctx, `SELECT current_setting('temp_directory')`).Scan(&dir); err != nil {
			t.Fatal(err)
		}
		if dir != want {
			t.Errorf("read-only store spills to %s, want %s", dir, want)
		}
	}
}
