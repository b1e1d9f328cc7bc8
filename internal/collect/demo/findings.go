package demo

import (
	"strconv"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/model"
)

func (o *Org) controlFindings(d, ai, ri int, pairs []pairState, emit func(*model.Finding)) {
	a := o.accounts[ai]
	acctRes := []resource{{id: "AWS::::Account:" + a.AccountID, key: hash2(a.key, uint64(ri)+0xacc), born: -5000, died: never}}
	for ci, c := range o.controls {
		if c.Global && ri != homeRegion {
			continue // global resources are recorded in the home region only
		}
		rs := acctRes
		if c.res != nil {
			rs = o.inv[ai][ri][c.res.asff]
		}
		for i := range rs {
			if f := o.controlFinding(d, a, ri, c, &pairs[ci], &rs[i]); f != nil {
				emit(f)
			}
		}
	}
}

// controlFinding computes one control finding as of day d from its planned history, or nil when it
// does not exist that day.
func (o *Org) controlFinding(d int, a *account, ri int, c *control, ps *pairState, r *resource) *model.Finding {
	s0 := max(r.born, a.enabled, c.enabled)
	if s0 > d {
		return nil
	}
	arch := min(r.died, ps.disabled)
	if arch <= s0 || d >= arch+archivedDays {
		return nil
	}
	h := history{fk: hash2(r.key, c.key)}
	// Evaluations that cannot complete concentrate on a few controls (a resource type the
	// recorder misses, a check that needs data the account does not provide) and on resources
	// that are misconfigured anyway.
	odd := 0.0
	if c.flaky {
		odd = 0.06
	}
	switch x := h.u(1) / max(odd, 1e-9); {
	case x < 0.54:
		h.add(event{day: s0, kind: evCreate, status: stWarning})
	case x < 1:
		h.add(event{day: s0, kind: evCreate, status: stNotAvailable})
	default:
		o.planCompliance(&h, s0, a, ri, c, ps)
	}
	if arch != never {
		h.add(event{day: arch, kind: evArchive})
	}
	h.sort()
	return o.fold(d, h.evs[:h.n], a, ri, c, r, h.fk)
}

// fold replays the events up to day d into the finding's state, applying Security Hub's workflow
// rules: PASSED sets RESOLVED, leaving PASSED resets to NEW, SUPPRESSED sticks.
func (o *Org) fold(d int, ev []event, a *account, ri int, c *control, r *resource, fk uint64) *model.Finding {
	f := &model.Finding{
		ProductARN:   productARNs["securityhub"][ri],
		ProductName:  "Security Hub",
		CompanyName:  "AWS",
		GeneratorID:  c.generatorID,
		AccountID:    a.AccountID,
		Region:       regions[ri],
		Type:         "Software and Configuration Checks/Industry and Regulatory Standards",
		Title:        c.Title,
		ResourceType: c.ResourceType,
		ResourceID:   r.id,
		ControlID:    c.ID,
		Standards:    c.standards,
		RecordState:  "ACTIVE",
	}
	var buf [160]byte
	id := append(buf[:0], "arn:aws:securityhub:"...)
	id = append(id, regions[ri]...)
	id = append(id, ':')
	id = append(id, a.AccountID...)
	id = append(id, ":security-control/"...)
	id = append(id, c.ID...)
	id = append(id, "/finding/"...)
	id = appendUUID(id, fk, hash2(fk, 0xf1d))
	f.ID = string(id)
	var comp, under uint8
	blip := false
	wf := ""
	setComp := func(s uint8) {
		old := comp
		comp = s
		switch {
		case wf == "SUPPRESSED":
		case s == stPassed:
			wf = "RESOLVED"
		case old == stPassed || wf == "RESOLVED":
			wf = "NEW"
		}
	}
	for _, e := range ev {
		if e.day > d {
			break
		}
		t := o.eventTime(e.day, int(e.kind), e.salt)
		switch e.kind {
		case evCreate:
			comp, under = e.status, e.status
			wf = "NEW"
			if comp == stPassed {
				wf = "RESOLVED"
			}
			f.FirstObservedAt, f.CreatedAt = t, t
		case evStatus:
			under = e.status
			if blip {
				continue
			}
			setComp(e.status)
		case evFix:
			under = stPassed
			changed := !blip
			if e.by == fixAuto {
				o.autoNote(f, a, c, fk, t)
				changed = true
			} else if e.by == fixCampaign && unit(hash2(fk, 80)) < 0.5 {
				note := campaignFixNotes[hash2(fk, 81)%uint64(len(campaignFixNotes))]
				f.NoteText = fill(strings.ReplaceAll(note, "%c", c.campaign), hash2(fk, 82))
				f.NoteUpdatedBy = o.secTeam[hash2(fk, 83)%uint64(len(o.secTeam))]
				f.NoteUpdatedAt = t.Add(-time.Duration(10+hash2(fk, 84)%600) * time.Minute)
				changed = true
			} else if unit(hash2(fk, 80)) < 0.2 {
				f.NoteText = fill(manualFixNotes[hash2(fk, 81)%uint64(len(manualFixNotes))], hash2(fk, 82))
				f.NoteUpdatedBy = a.lead
				f.NoteUpdatedAt = t.Add(-time.Duration(10+hash2(fk, 83)%600) * time.Minute)
				changed = true
			}
			if !changed {
				continue // hidden behind a NOT_AVAILABLE evaluation
			}
			if !blip {
				setComp(stPassed)
			}
		case evNotify:
			if wf != "NEW" || comp != stFailed {
				continue
			}
			wf = "NOTIFIED"
			ticket := strconv.Itoa(1000 + int(hash2(fk, 90)%9000))
			if hash2(fk, 91)%2 == 0 {
				f.NoteText = "Jira SEC-" + ticket + " created and assigned to the " + a.bu + " team"
				f.NoteUpdatedBy = "arn:aws:sts::" + o.admin.AccountID + ":assumed-role/SecurityHub-Jira-Sync/jira-sync"
			} else {
				f.NoteText = "Owner notified in #sec-" + a.bu + ", follow-up SEC-" + ticket
				f.NoteUpdatedBy = o.secTeam[hash2(fk, 92)%uint64(len(o.secTeam))]
			}
			f.NoteUpdatedAt = t
		case evSuppress:
			if under != stFailed && comp != stFailed {
				continue
			}
			wf = "SUPPRESSED"
			o.suppress(f, a, c, fk, t)
		case evBlipStart:
			if blip {
				continue
			}
			blip = true
			setComp(stNotAvailable)
		case evBlipEnd:
			if !blip {
				continue
			}
			blip = false
			setComp(under)
		case evArchive:
			f.RecordState = "ARCHIVED"
		}
		f.UpdatedAt = t
		if e.kind == evArchive {
			break
		}
	}
	if f.CreatedAt.IsZero() {
		return nil
	}
	f.ComplianceStatus = statusNames[comp]
	f.WorkflowStatus = wf
	// Security Hub reports passed control findings as INFORMATIONAL and the control's severity
	// otherwise (Severity.Original keeps the control's rating, which the store does not hold).
	if comp == stPassed {
		f.SeverityLabel, f.SeverityNormalized = "INFORMATIONAL", 0
	} else {
		f.SeverityLabel, f.SeverityNormalized = c.Severity, c.severity
	}
	return f
}

// autoNote marks a finding the way an EventBridge rule + SSM Automation pipeline does after fixing
// the resource: a BatchUpdateFindings call from the remediation role with a note and/or
// user-defined fields.
func (o *Org) autoNote(f *model.Finding, a *account, c *control, fk uint64, fixed time.Time) {
	exec := uuidString(hash2(fk, 84), hash2(fk, 85))
	style := pairStyle(a, c)
	noted := fixed.Add(-time.Duration(2+hash2(fk, 86)%8) * time.Minute)
	if style != 2 {
		f.NoteText = "Auto-remediated by SSM Automation document " + c.autoDoc + " (execution " + exec + ")"
		f.NoteUpdatedBy = "arn:aws:sts::" + o.admin.AccountID + ":assumed-role/SecurityHub-AutoRemediation/remediate-" + c.ID
		f.NoteUpdatedAt = noted
	}
	if style != 1 {
		f.UserDefinedFields = map[string]string{
			"RemediatedBy":          "SSM-Automation",
			"AutomationExecutionId": exec,
			"AutomationDocument":    c.autoDoc,
			"RemediatedAt":          noted.Format(time.RFC3339),
		}
	}
}

func pairStyle(a *account, c *control) int {
	switch x := hash2(a.key, c.key^0x5757) % 100; {
	case x < 25:
		return 1
	case x < 40:
		return 2
	}
	return 0
}

// suppressionReason is a suppression's justification; until is the date (or what stands for
// one) that a "Risk accepted until %u" note names.
func (o *Org) suppressionReason(a *account, c *control, fk uint64, until string) string {
	list := suppressionReasons[""]
	if l, ok := suppressionReasons[c.service]; ok && hash2(fk, 94)%3 != 0 {
		list = l
	}
	if a.env == envSandbox && hash2(fk, 95)%2 == 0 {
		list = suppressionReasons["sandbox"]
	}
	return fill(strings.ReplaceAll(list[hash2(fk, 97)%uint64(len(list))], "%u", until), hash2(fk, 98))
}

// fill replaces %n with a ticket number.
func fill(s string, h uint64) string {
	return strings.ReplaceAll(s, "%n", strconv.Itoa(1000+int(h%9000)))
}

// normalized is Security Hub's normalized score for a severity label.
func normalized(label string) int {
	switch label {
	case "CRITICAL":
		return 90
	case "HIGH":
		return 70
	case "MEDIUM":
		return 40
	case "LOW":
		return 1
	}
	return 0
}
