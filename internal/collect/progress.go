package collect

import (
	"sync/atomic"
	"time"
)

// Progress counts a collection as it runs. A source updates it; the command shows it (a live
// line on a terminal, periodic log lines otherwise). The zero value is ready; all methods are
// safe for concurrent use.
type Progress struct {
	start         atomic.Int64 // unix nanoseconds
	accountsTotal atomic.Int64
	accountsDone  atomic.Int64
	pairsTotal    atomic.Int64
	pairsDone     atomic.Int64
	findings      atomic.Int64
}

// ProgressState is a reading of Progress.
type ProgressState struct {
	AccountsDone, AccountsTotal int64
	PairsDone, PairsTotal       int64 // account/region pairs
	Findings                    int64
	Elapsed                     time.Duration
	FindingsPerSecond           float64
	// ETA is the estimated time left, from the share of account/region pairs done; 0 when unknown
	// (aggregator mode reads one stream whose length AWS does not tell in advance).
	ETA time.Duration
}

func (p *Progress) begin(accounts, pairs int) {
	p.start.CompareAndSwap(0, time.Now().UnixNano())
	p.accountsTotal.Store(int64(accounts))
	p.pairsTotal.Store(int64(pairs))
}

func (p *Progress) addFindings(n int) { p.findings.Add(int64(n)) }
func (p *Progress) pairDone()         { p.pairsDone.Add(1) }
func (p *Progress) accountDone()      { p.accountsDone.Add(1) }

// State reads the counters.
func (p *Progress) State() ProgressState {
	s := ProgressState{
		AccountsDone: p.accountsDone.Load(), AccountsTotal: p.accountsTotal.Load(),
		PairsDone: p.pairsDone.Load(), PairsTotal: p.pairsTotal.Load(),
		Findings: p.findings.Load(),
	}
	if start := p.start.Load(); start != 0 {
		s.Elapsed = time.Since(time.Unix(0, start))
	}
	if secs := s.Elapsed.Seconds(); secs > 0 {
		s.FindingsPerSecond = float64(s.Findings) / secs
	}
	if s.PairsDone > 0 && s.PairsTotal > s.PairsDone {
		s.ETA = time.Duration(float64(s.Elapsed) * float64(s.PairsTotal-s.PairsDone) / float64(s.PairsDone))
	}
	return s
}
