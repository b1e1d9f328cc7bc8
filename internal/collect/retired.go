package collect

import (
	"sync"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// retiredFilter drops the findings of controls AWS retired (Catalog.Retired). AWS no longer
// evaluates such a control and the console leaves it out of every score, but its last findings
// can stay ACTIVE for days; counted here, a stale FAILED one would lower a score the console
// shows higher. The dropped findings are counted, so that the run can say how many it left out
// and the snapshot can store it (retiredCounts.flush) for the reconciliation.
type retiredFilter struct {
	Sink
	cat     *catalog.Catalog
	dropped *retiredCounts
}

// AddFinding passes f on unless its control is retired.
func (r retiredFilter) AddFinding(f *model.Finding) error {
	if f.ControlID != "" && r.cat.Retired(f.ControlID) {
		r.dropped.add(f)
		return nil
	}
	return r.Sink.AddFinding(f)
}

// Unwrap gives the wrapped sink, so that control enablement (AddDisabled) reaches it.
func (r retiredFilter) Unwrap() Sink { return r.Sink }

// retiredCounts counts dropped findings per account, region, standard and control. The AWS
// source adds findings from several goroutines, hence the lock; it is taken for dropped findings
// only, which are few.
type retiredCounts struct {
	mu    sync.Mutex
	n     map[model.RetiredFindings]int64 // keyed with Findings 0
	total int64
}

func (c *retiredCounts) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n, c.total = nil, 0
}

// add counts f once under each of its standards, or under "" when it has none, and once in total.
func (c *retiredCounts) add(f *model.Finding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[model.RetiredFindings]int64{}
	}
	c.total++
	k := model.RetiredFindings{AccountID: f.AccountID, Region: f.Region, ControlID: f.ControlID}
	if len(f.Standards) == 0 {
		c.n[k]++
		return
	}
	for _, std := range f.Standards {
		k.StandardID = std
		c.n[k]++
	}
}

// Total is how many findings were dropped, each once whatever its standards.
func (c *retiredCounts) Total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// flush hands the counts to sink (AddRetired), once at the end of a collection so that a dropped
// finding costs no more than a map update.
func (c *retiredCounts) flush(sink Sink) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, n := range c.n {
		k.Findings = n
		if err := AddRetired(sink, k); err != nil {
			return err
		}
	}
	return nil
}
