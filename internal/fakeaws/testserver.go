package fakeaws

import (
	"net/http/httptest"
	"testing"
)

// NewTestServer builds an emulator and serves it on a local httptest server that is closed when
// the test ends. Point SDK clients' BaseEndpoint at the returned server's URL.
func NewTestServer(t testing.TB, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("fakeaws: %v", err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}
