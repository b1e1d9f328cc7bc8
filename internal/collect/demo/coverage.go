package demo

import "github.com/hubreport/hubreport/internal/model"

// gap is an account/region pair that could not be collected on some days.
type gap struct {
	account  int
	region   int // -1: every region
	from, to int // days, inclusive
	status   string
	reason   string
}

func (o *Org) planGaps() {
	last := o.cfg.Days - 1
	find := func(env string) int {
		for i, a := range o.accounts {
			if a.env == env {
				return i
			}
		}
		return -1
	}
	add := func(g gap) {
		g.from = max(g.from, 0)
		g.to = min(g.to, last-1) // the latest snapshot is always complete
		if g.account >= 0 && g.from <= g.to {
			o.gaps = append(o.gaps, g)
		}
	}
	if sb := find(envSandbox); sb >= 0 {
		a := o.accounts[sb]
		add(gap{account: sb, region: -1, from: last - 31, to: last - 30, status: model.CoverageDenied,
			reason: "AccessDenied: User: arn:aws:sts::" + o.admin.AccountID + ":assumed-role/hubreport-collector/hubreport " +
				"is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + a.AccountID + ":role/hubreport-reader"})
	}
	dev := find(envDev)
	if dev < 0 && len(o.accounts) > 1 {
		dev = len(o.accounts) - 1
	}
	if dev >= 0 {
		r := len(regions) - 1
		add(gap{account: dev, region: r, from: last - 60, to: last - 54, status: model.CoverageNotEnabled,
			reason: "InvalidAccessException: Account " + o.accounts[dev].AccountID +
				" is not subscribed to AWS Security Hub in " + regions[r]})
	}
}

func (o *Org) coverage(ai, ri, d int) (string, string) {
	for _, g := range o.gaps {
		if g.account == ai && (g.region < 0 || g.region == ri) && d >= g.from && d <= g.to {
			return g.status, g.reason
		}
	}
	return model.CoverageCollected, ""
}
