package demo

// history is a control finding's planned events, kept on the stack: this is the hot path.
type history struct {
	fk  uint64
	n   int
	evs [16]event
}

func (h *history) add(e event) {
	if h.n < len(h.evs) {
		e.salt = hash2(h.fk, uint64(100+h.n))
		h.evs[h.n] = e
		h.n++
	}
}

// u is the finding's i-th uniform draw.
func (h *history) u(i uint64) float64 { return unit(hash2(h.fk, i)) }

// sort orders events by day, then by kind (the order of events within a day). Insertion sort:
// there are at most 16, and sort.Slice would allocate.
func (h *history) sort() {
	ev := h.evs[:h.n]
	for i := 1; i < len(ev); i++ {
		for j := i; j > 0 && (ev[j].day < ev[j-1].day || ev[j].day == ev[j-1].day && ev[j].kind < ev[j-1].kind); j-- {
			ev[j], ev[j-1] = ev[j-1], ev[j]
		}
	}
}

// Event kinds in a control finding's history, in the order they happen within a day.
const (
	evCreate uint8 = iota
	evStatus
	evBlipStart
	evNotify
	evSuppress
	evFix
	evBlipEnd
	evArchive
)

type event struct {
	day    int
	kind   uint8
	status uint8 // evCreate, evStatus
	by     uint8 // evFix: fixManual, fixAuto or fixCampaign
	salt   uint64
}

// Who fixes a failing resource.
const (
	fixManual   uint8 = iota // its owner, on their own or in a team's clean-up
	fixAuto                  // the auto-remediation pipeline
	fixCampaign              // the organization-wide campaign
)

// planCompliance plans the compliance history: the status at creation, then per failure episode
// the fix (by automation, a team campaign or someone on their own), at most one regression, a
// short NOT_AVAILABLE blip, notifications and suppressions.
func (o *Org) planCompliance(h *history, s0 int, a *account, ri int, c *control, ps *pairState) {
	days := o.cfg.Days
	old := s0 < 0
	var pFail float64
	switch {
	case s0 >= ps.guard:
		// Enforced: only a new resource now and then slips through, for a few days.
		if !old {
			pFail = 0.005
		}
	case ps.problematic && old:
		pFail = ps.failShare
		if c.res == nil && !c.Global && ri != a.primary && ri != a.secondary {
			// Account-level settings are often only configured where the account runs.
			pFail = max(pFail, 0.85)
		}
	case ps.problematic && s0 < ps.campaign:
		// New resources of a team that has not fixed its templates yet (a new bucket
		// without block public access).
		pFail = 0.45
	case old && c.class == classHard:
		pFail = 0.001
	case c.class == classHard:
		pFail = 0.01
	case !old:
		pFail = 0.02
	}
	status := stPassed
	if h.u(2) < pFail {
		status = stFailed
	}
	since := s0
	flip := 0.35
	if status == stFailed {
		// Most failures start with a change to a resource that once passed.
		flip = 0.6
	}
	if old && s0 < -1 && h.u(3) < flip {
		// The status flipped once before the window, within the year before it.
		lo := max(s0+1, -365)
		since = lo + int(hash2(h.fk, 4)%uint64(-lo))
		h.add(event{day: s0, kind: evCreate, status: 1 - status})
		h.add(event{day: since, kind: evStatus, status: status})
	} else {
		h.add(event{day: s0, kind: evCreate, status: status})
	}
	notifyP := 0.06
	if c.Severity == "CRITICAL" || c.Severity == "HIGH" {
		notifyP = 0.18
	}
	if a.env == envSandbox {
		notifyP *= 0.3
	}
	regressed := false
	for episode := uint64(0); episode < 3; episode++ {
		if status == stFailed {
			fix, by := o.fixDay(h, since, episode, old, ps)
			sd := never
			if ps.suppress != never {
				sd = max(since+1, ps.suppress)
			} else if h.u(70+episode) < 0.004 {
				sd = since + 3 + int(hash2(h.fk, 71+episode)%120)
			}
			if h.u(60+episode) < notifyP {
				if nd := since + 1 + int(hash2(h.fk, 61+episode)%4); nd < min(fix, sd) {
					h.add(event{day: nd, kind: evNotify})
				}
			}
			if sd < fix {
				// Risk-accepted findings are left alone: auto-remediation rules match NEW
				// findings only, and no team campaigns on an accepted risk.
				h.add(event{day: sd, kind: evSuppress})
				break
			}
			if fix >= days {
				break
			}
			h.add(event{day: fix, kind: evFix, by: by})
			status, since = stPassed, fix
		}
		if regressed {
			break
		}
		regressed = true
		lo := max(since+1, 1)
		if lo > days-1 {
			break
		}
		day := between(hash2(h.fk, 41), lo, days-1)
		p := ps.regress
		if day >= ps.guard || day >= ps.campaign {
			// Once the templates are fixed or a guardrail watches, changes rarely undo it.
			p = min(p, 0.004)
		}
		if h.u(40) >= p {
			break
		}
		since = day
		status = stFailed
		h.add(event{day: since, kind: evStatus, status: stFailed})
	}
	// Evaluations that briefly fail concentrate on flaky controls and on resources that are
	// failing anyway; elsewhere they would make a clean control UNKNOWN for the day.
	blip := 0.0005
	if c.flaky || ps.problematic && c.class == classHard {
		blip = 0.08
	}
	if h.u(50) < blip {
		lo := max(s0, 0) + 1
		if lo <= days-1 {
			b := between(hash2(h.fk, 51), lo, days-1)
			h.add(event{day: b, kind: evBlipStart})
			h.add(event{day: b + 1 + int(hash2(h.fk, 52)%3), kind: evBlipEnd})
		}
	}
}

// fixDay is when a failure that started on day since gets fixed, and by whom.
func (o *Org) fixDay(h *history, since int, episode uint64, old bool, ps *pairState) (int, uint8) {
	days := o.cfg.Days
	day, by := never, fixManual
	if ps.auto != never {
		day, by = max(since+1, ps.auto+int(hash2(h.fk, 10+episode)%2)), fixAuto
	}
	if ps.campaign != never && ps.campaign > since && (ps.orgWide || h.u(20+episode) < 0.97) {
		t, how := ps.campaign+int(hash2(h.fk, 21+episode)%4), fixManual
		if ps.orgWide {
			t, how = ps.campaign, fixCampaign
		}
		if t < day {
			day, by = t, how
		}
	}
	if since >= ps.guard {
		// The guardrail's drift detection puts it right within days.
		if t := since + 1 + int(hash2(h.fk, 14+episode)%6); t < day {
			day, by = t, fixManual
		}
	}
	var p float64
	var t int
	switch {
	case episode == 0 && old:
		p = ps.fixAlone
		lo := max(since+1, 1)
		t = lo + int(hash2(h.fk, 31)%uint64(max(1, days+60-lo)))
	case episode == 0:
		p = 0.35
		t = since + 2 + int(hash2(h.fk, 31)%30)
	default:
		p = 0.6
		t = since + 1 + int(hash2(h.fk, 32+episode)%25)
	}
	if h.u(30+episode) < p && t < day {
		day, by = t, fixManual
	}
	return day, by
}
