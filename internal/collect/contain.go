package collect

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/hubreport/hubreport/internal/model"
)

// A bad record or a bug meets a wall here: a finding that cannot be stored is counted and left
// out, and a panic in a goroutine that reads or decodes becomes an error naming what was being read,
// instead of a crash that takes the whole process (and the schedule daemon) with it.

// maxMalformedError bounds the first error kept in the coverage: it quotes the bad value.
const maxMalformedError = 1000

// malformed counts the findings of one account/region that the API returned but that cannot be
// stored, and keeps the first one's error for the snapshot's coverage.
type malformed struct {
	n     int64
	first string
}

// add counts err; the first is logged, the rest only counted (one broken integration can send
// thousands).
func (m *malformed) add(err error, log *slog.Logger) {
	if m.n == 0 {
		m.first = err.Error()
		if len(m.first) > maxMalformedError {
			m.first = m.first[:maxMalformedError] + "..."
		}
		log.Warn("malformed finding skipped; the snapshot will be partial", "err", err)
	}
	m.n++
}

// record puts the count and the first error into c. A nil m records nothing.
func (m *malformed) record(c *model.Coverage) {
	if m == nil || m.n == 0 {
		return
	}
	c.Malformed, c.MalformedError = m.n, m.first
}

// PanicError is a panic recovered while reading or decoding: a bug, reported as an error that
// says where it happened. Stack is the panicking goroutine's stack.
type PanicError struct {
	Where string // "collect ACCOUNT/REGION" or "import FILE: record N"
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("%s: internal error (panic: %v): nothing was stored; please report this with the log's stack trace", e.Where, e.Value)
}

// contain recovers a panic in the goroutine reading account/region and sets *err to a
// PanicError naming them. Use it as `defer s.contain(account, region, &err)`.
func (s *AWSSource) contain(account, region string, err *error) {
	p := recover()
	if p == nil {
		return
	}
	pe := &PanicError{Where: "collect " + account + "/" + region, Value: p, Stack: debug.Stack()}
	s.opts.Log.Error("panic while collecting", "account", account, "region", region, "panic", fmt.Sprint(p), "stack", string(pe.Stack))
	*err = pe
}
