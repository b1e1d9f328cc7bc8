package demo

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/hubreport/hubreport/internal/catalog"
)

type control struct {
	catalog.Control
	key          uint64
	service      string
	standards    []string // enabled standards the control belongs to (shared; capacity == length)
	severity     int      // normalized
	class        uint8    // classClean, classCampaign or classHard
	spread       float64  // share of accounts of average maturity that get it wrong
	nonProd      bool     // mostly wrong outside production only
	orgFix       int      // campaign controls: day the organization-wide fix starts; never otherwise
	campaign     string   // the campaign's name, for notes
	flaky        bool     // its evaluations sometimes end in WARNING or NOT_AVAILABLE
	enabled      int      // day it started producing findings
	res          *resType // nil for account-level controls
	autoDoc      string   // SSM document of its auto-remediation, "" without one
	autoDay      int      // day the auto-remediation rolled out, never without one
	autoProdOnly bool     // rollout limited to prod and landing-zone accounts
	generatorID  string
}

// Control classes. In a real organization most controls pass everywhere because a guardrail (an
// SCP, a conformance pack, a secure default, an auto-remediation) enforces them; failures
// concentrate on a minority of controls that every team has to get right on its own. The
// organization-level score, where a control fails if any finding fails anywhere, follows the
// classes rather than the share of failing findings.
const (
	classClean    uint8 = iota // enforced: fails only briefly, on a new or changed resource
	classCampaign              // fails in some accounts until an organization-wide fix in the window
	classHard                  // fails in many accounts; teams fix it account by account
)

func (o *Org) buildControls() {
	want := map[string]bool{}
	for _, s := range o.standards {
		want[s] = true
	}
	for _, cc := range o.cfg.Catalog.Controls {
		var stds []string
		for _, s := range o.standards { // in Standards() order
			if slices.Contains(cc.Standards, s) {
				stds = append(stds, s)
			}
		}
		if len(stds) == 0 {
			continue // Security Hub only evaluates controls of an enabled standard
		}
		c := &control{Control: cc, key: strKey(cc.ID), standards: stds[:len(stds):len(stds)],
			severity: normalized(cc.Severity), autoDay: never}
		c.service, _, _ = strings.Cut(cc.ID, ".")
		c.generatorID = "security-control/" + cc.ID
		h := hash2(o.seedKey, c.key)
		c.enabled = -200 - int(unit(hash2(h, 2))*700)
		if cc.ResourceType != "AwsAccount" {
			c.res = lookupType(cc.ResourceType, c.service)
		}
		doc, known := automationDocs[cc.ID]
		if (known || automatableServices[c.service]) && unit(hash2(h, 3)) < 0.6 {
			if !known {
				doc = "ASR-AFSBP_1.0.0_" + cc.ID
			}
			c.autoDoc = doc
			if unit(hash2(h, 4)) < 0.35 {
				c.autoDay = -30 - int(unit(hash2(h, 5))*300)
			} else {
				c.autoDay = between(hash2(h, 6), o.cfg.Days*15/100, o.cfg.Days*85/100)
			}
			c.autoProdOnly = unit(hash2(h, 7)) < 0.35
		}
		o.controls = append(o.controls, c)
	}
	o.classify()
}

// Shares of the controls outside the curated tables that are hard, and that are fixed in an
// organization-wide campaign during the window. Quotas rather than independent draws keep the
// scores of every seed and catalog close.
const (
	hardShare     = 0.18
	campaignShare = 0.17
)

// classify decides how the organization fares with each control: the curated tables first, then
// the quotas. Hard controls are drawn with weight on resources every account has (the controls
// that fail widely are on buckets, security groups and account settings, not on the odd Neptune
// cluster) and away from CIS and PCI, whose hard controls the curated table already holds.
func (o *Org) classify() {
	days := o.cfg.Days
	var cisPCI []string
	for _, k := range []string{"cis5", "pci321"} {
		if s, ok := o.cfg.Catalog.Standard(k); ok {
			cisPCI = append(cisPCI, s.ID)
		}
	}
	type candidate struct {
		c      *control
		common float64
		key    float64
	}
	var rest []candidate
	for _, c := range o.controls {
		h := hash2(o.seedKey, c.key)
		c.orgFix = never
		c.flaky = unit(hash2(h, 8)) < 0.015
		if hc, ok := hardControls[c.ID]; ok {
			// What makes these hard: no runbook fixes them without breaking workloads.
			c.class, c.spread, c.nonProd = classHard, hc.spread, hc.nonProd
			c.autoDoc, c.autoDay = "", never
			continue
		}
		if cc, ok := campaignControls[c.ID]; ok {
			c.class, c.spread, c.campaign = classCampaign, 0.3+0.2*unit(hash2(h, 9)), cc.name
			c.orgFix = max(1, int(cc.at*float64(days)))
			continue
		}
		common := 1.0
		if c.res != nil && c.res.every == 0 {
			common = min(1, c.res.presence)
		}
		w := common * common
		if slices.ContainsFunc(c.standards, func(s string) bool { return slices.Contains(cisPCI, s) }) {
			w = 0 // the curated tables cover CIS and PCI
		}
		rest = append(rest, candidate{c, common, sampleKey(hash2(h, 10), w)})
	}
	byKey := func(a, b candidate) int {
		if a.key != b.key {
			return cmp.Compare(b.key, a.key)
		}
		return strings.Compare(a.c.ID, b.c.ID)
	}
	slices.SortFunc(rest, byKey)
	nHard := int(math.Round(hardShare * float64(len(rest))))
	for _, x := range rest[:nHard] {
		c, v := x.c, unit(hash2(hash2(o.seedKey, x.c.key), 11))
		c.class = classHard
		// Spread over the accounts that have the resource: about as many accounts fail a
		// control on a rarer resource as one on a resource every account has.
		c.spread = min(0.75, (0.45+0.2*v)/math.Sqrt(max(x.common, 0.2)))
		if x.common == 1 {
			c.spread = 0.38 + 0.15*v // every account has data
		}
		c.nonProd = unit(hash2(hash2(o.seedKey, c.key), 12)) < 0.15
		// No organization-wide rollout of a runbook: it would break too much. Teams opt in
		// account by account (see pair).
		c.autoDay = never
		if doc, known := automationDocs[c.ID]; known {
			c.autoDoc = doc
		} else if automatableServices[c.service] {
			c.autoDoc = "ASR-AFSBP_1.0.0_" + c.ID
		}
	}
	rest = rest[nHard:]
	for i := range rest {
		c, w := rest[i].c, 1.0
		if slices.ContainsFunc(c.standards, func(s string) bool { return slices.Contains(cisPCI, s) }) {
			w = 0 // here too
		}
		rest[i].key = sampleKey(hash2(hash2(o.seedKey, c.key), 14), w)
	}
	slices.SortFunc(rest, byKey)
	nCampaign := int(math.Round(campaignShare * float64(len(rest)+nHard)))
	for _, x := range rest[:min(nCampaign, len(rest))] {
		c, h := x.c, hash2(o.seedKey, x.c.key)
		c.class = classCampaign
		c.spread = 0.2 + 0.4*unit(hash2(h, 9))
		c.orgFix = between(hash2(h, 13), max(1, days*4/100), days*95/100)
		c.campaign = "fix " + c.ID + " in every account"
	}
	for _, c := range o.controls {
		h := hash2(o.seedKey, c.key)
		if c.class == classCampaign && c.autoDoc == "" && unit(hash2(h, 15)) < 0.6 {
			// Most campaigns ship as an Automated Security Response runbook.
			c.autoDoc = "ASR-AFSBP_1.0.0_" + c.ID
			if doc, ok := automationDocs[c.ID]; ok {
				c.autoDoc = doc
			}
		}
		if c.class == classCampaign && c.autoDoc != "" {
			// The campaign is the auto-remediation's rollout, to every account.
			c.autoDay, c.autoProdOnly = c.orgFix, false
		}
	}
}

// sampleKey is a key for weighted sampling without replacement: the items with the largest keys
// u^(1/w) are a sample drawn with probabilities proportional to w (Efraimidis-Spirakis).
func sampleKey(h uint64, w float64) float64 {
	return math.Pow(unit(h), 1/max(w, 1e-3))
}
