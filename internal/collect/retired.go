package collect

import (
	"sync/atomic"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/store"
)

// retiredFilter drops the findings of controls AWS retired (Catalog.Retired). AWS no longer
// evaluates such a control and the console leaves it out of every score, but its last findings
// can stay ACTIVE for days; counted here, a stale FAILED one would lower a score the console
// shows higher. The dropped findings are counted, so that the run can say how many it left out.
type retiredFilter struct {
	Sink
	cat     *catalog.Catalog
	dropped *atomic.Int64
}

// AddFinding passes f on unless its control is retired.
func (r retiredFilter) AddFinding(f *store.Finding) error {
	if f.ControlID != "" && r.cat.Retired(f.ControlID) {
		r.dropped.Add(1)
		return nil
	}
	return r.Sink.AddFinding(f)
}

// Unwrap gives the wrapped sink, so that control enablement (AddDisabled) reaches it.
func (r retiredFilter) Unwrap() Sink { return r.Sink }
