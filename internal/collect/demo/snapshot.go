package demo

import (
	"context"
	"fmt"
	"math"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/model"
)

// Snapshot writes day d (0 = oldest) to sink: every account, every account/region pair's
// coverage, and every finding of the pairs collected that day. The output depends only on the
// Config and d. Each finding is a new value the sink may keep, but findings of one control share
// their Standards slice, which the sink must not modify.
func (o *Org) Snapshot(ctx context.Context, d int, sink collect.Sink) error {
	if d < 0 || d >= o.cfg.Days {
		return fmt.Errorf("demo: snapshot %d is outside 0..%d", d, o.cfg.Days-1)
	}
	for _, a := range o.accounts {
		if err := sink.AddAccount(a.Account); err != nil {
			return err
		}
	}
	if err := o.storeDisabled(d, sink); err != nil {
		return err
	}
	pairs := make([]pairState, len(o.controls))
	for ai, a := range o.accounts {
		if err := ctx.Err(); err != nil {
			return err
		}
		for ci, c := range o.controls {
			pairs[ci] = o.pair(a, c)
		}
		for ri, region := range regions {
			status, reason := o.coverage(ai, ri, d)
			if status != model.CoverageCollected {
				if err := sink.AddCoverage(model.Coverage{AccountID: a.AccountID, Region: region, Status: status, Reason: reason}); err != nil {
					return err
				}
				continue
			}
			n := int64(0)
			var err error
			emit := func(f *model.Finding) {
				if err == nil {
					err = sink.AddFinding(f)
					n++
				}
			}
			o.controlFindings(d, ai, ri, pairs, emit)
			o.guardDutyFindings(d, ai, ri, emit)
			o.inspectorFindings(d, ai, ri, emit)
			o.macieFindings(d, ai, ri, emit)
			if err != nil {
				return fmt.Errorf("demo: %s/%s: %w", a.AccountID, region, err)
			}
			if err := sink.AddCoverage(model.Coverage{AccountID: a.AccountID, Region: region,
				Status: model.CoverageCollected, Findings: n}); err != nil {
				return err
			}
		}
	}
	return nil
}

// pairState is what one account does about one control.
type pairState struct {
	problematic bool    // the account gets this control wrong on most resources
	failShare   float64 // share of resources failing when problematic
	campaign    int     // day the owning team fixes it in bulk, or never
	orgWide     bool    // the campaign is the organization's: it fixes everything it finds
	guard       int     // day from which a guardrail enforces the control, or never
	auto        int     // day auto-remediation covers the account, or never
	disabled    int     // day the control is disabled in the account, or never
	suppress    int     // day the failures are risk-accepted as a whole, or never
	regress     float64 // probability a passing resource regresses in the window
	fixAlone    float64 // probability someone fixes a failing resource on their own
}

func (o *Org) pair(a *account, c *control) pairState {
	h := hash2(a.key, c.key)
	ps := pairState{campaign: never, guard: never, auto: never, disabled: never, suppress: never}
	// Mature accounts get a control wrong far less often than sandboxes.
	p := c.spread * math.Exp((0.55-a.quality)*1.2)
	switch {
	case a.env == envSandbox:
		p *= 1.5 // nobody looks
	case c.nonProd && (a.env == envProd || a.env == envFoundation):
		p *= 0.15
	}
	ps.problematic = unit(hash2(h, 1)) < min(0.95, p)
	ps.failShare = 0.55 + 0.4*unit(hash2(h, 2))
	switch c.class {
	case classClean:
		ps.guard = -never
	case classCampaign:
		// Each account follows the organization's rollout within a week; from then on the
		// setting is enforced.
		ps.guard = c.orgFix + int(hash2(h, 7)%7)
		if c.autoDoc == "" {
			ps.campaign, ps.orgWide = ps.guard, true
		}
	case classHard:
		if ps.problematic && unit(hash2(h, 3)) < 0.03+0.15*a.quality {
			ps.campaign = between(hash2(h, 4), 2, o.cfg.Days-3)
			if c.autoDoc != "" && unit(hash2(h, 8)) < 0.85 {
				// The team fixes it by turning the auto-remediation on for its account.
				ps.auto, ps.campaign = ps.campaign, never
			}
		}
	}
	switch {
	case c.autoDay == never:
	case c.class == classCampaign:
		ps.auto = ps.guard
	case a.env != envSandbox && (!c.autoProdOnly || a.env == envProd || a.env == envFoundation):
		ps.auto = c.autoDay
	}
	for _, dis := range o.disablements {
		if dis.control == c.ID && dis.match(a) {
			ps.disabled = min(ps.disabled, dis.day)
		}
	}
	if ps.problematic && unit(hash2(h, 5)) < 0.007 {
		ps.suppress = between(hash2(h, 6), -200, o.cfg.Days-5)
	}
	ps.regress = 0.003
	if ps.problematic {
		ps.regress = 0.07
	}
	switch a.env {
	case envSandbox:
		ps.regress *= 1.6
	case envDev:
		ps.regress *= 1.3
	case envProd, envFoundation:
		ps.regress *= 0.8
	}
	ps.fixAlone = 0.05 + 0.1*a.quality
	return ps
}
