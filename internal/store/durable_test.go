package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyFileNeedsTheSnapshotInTheFileItself copies a database while its newest snapshot is
// only in the WAL (as a failed checkpoint leaves it): VerifyFile refuses the copy, although a
// read-only open would replay the WAL and find the snapshot. After Close (a checkpoint) the file
// alone holds it, and a snapshot that is not there is refused.
func TestVerifyFileNeedsTheSnapshotInTheFileItself(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.duckdb")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap := write(t, s, t0, finding("f1", "111111111111", "FAILED"))
	copyDir := t.TempDir()
	copied := filepath.Join(copyDir, "r.duckdb")
	for _, suffix := range []string{"", ".wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatalf("the committed snapshot left no %s%s to copy: %v", path, suffix, err)
		}
		if err := os.WriteFile(copied+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var we *WALError
	if err := VerifyFile(ctx, copied, snap.ID); !errors.As(err, &we) || we.Path != copied || we.Size == 0 ||
		!strings.Contains(err.Error(), copied+".wal still holds") {
		t.Errorf("VerifyFile beside a WAL: %v, want a WALError naming %s.wal", err, copied)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if _, err := os.Stat(path + ".wal"); err == nil {
		if fi, _ := os.Stat(path + ".wal"); fi.Size() > 0 {
			t.Errorf("Close left %d bytes of WAL", fi.Size())
		}
	}
	if err := VerifyFile(ctx, path, snap.ID); err != nil {
		t.Errorf("VerifyFile after Close: %v", err)
	}
	if err := VerifyFile(ctx, path, snap.ID+1); err == nil || !strings.Contains(err.Error(), "snapshot 2 is not in the file") {
		t.Errorf("VerifyFile of a snapshot the file lacks: %v", err)
	}
}
