// Package storetest opens real stores for other packages' tests, as net/http/httptest starts
// real servers: the temporary file, the cleanup and the check of Close live here once instead
// of in a copy per package. Package store's own tests cannot import it (a cycle) and keep theirs.
package storetest

import (
	"path/filepath"
	"testing"

	"github.com/hubreport/hubreport/internal/store"
)

// Open opens the store at path, creating it if needed, and closes it when the test ends. A
// failed Close fails the test: closing a writable store checkpoints, so its error is lost data.
// A test may close the store itself first; Close is idempotent.
func Open(t testing.TB, path string, opt store.Options) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close %s: %v", path, err)
		}
	})
	return st
}

// New opens a new, empty store in a folder of the test's own.
func New(t testing.TB) *store.Store {
	t.Helper()
	return Open(t, filepath.Join(t.TempDir(), "r.duckdb"), store.Options{})
}
