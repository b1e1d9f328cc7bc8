package demo

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/model"
)

// DisabledControl is a control disabled in an account (in every region).
type DisabledControl struct {
	AccountID string
	ControlID string
	Since     time.Time
	Reason    string
}

// DisabledControls lists the controls disabled in some account as of snapshot d, ordered by
// account then control. Their findings are archived from that day on.
func (o *Org) DisabledControls(d int) []DisabledControl {
	return o.disabledAsOf(d)
}

// PlannedDisabledControls lists every control the organization disables in some account, on
// whatever day: the emulator (internal/fakeaws) serves them as the control associations of its
// one-day estate, whose findings of them are then still active (AWS archives a disabled
// control's findings only after a while).
func (o *Org) PlannedDisabledControls() []DisabledControl {
	return o.disabledAsOf(math.MaxInt)
}

func (o *Org) disabledAsOf(d int) []DisabledControl {
	var out []DisabledControl
	for _, a := range o.accounts {
		for _, dis := range o.disablements {
			if dis.day <= d && dis.match(a) {
				out = append(out, DisabledControl{AccountID: a.AccountID, ControlID: dis.control,
					Since: o.eventTime(dis.day, 1, hash2(a.key, strKey(dis.control))), Reason: dis.reason})
			}
		}
	}
	return out
}

// storeDisabled hands the sink, as the control associations would report them, the controls
// disabled on day d: one row per account, region and standard of the control.
func (o *Org) storeDisabled(d int, sink collect.Sink) error {
	for _, dc := range o.DisabledControls(d) {
		i := slices.IndexFunc(o.controls, func(c *control) bool { return c.ID == dc.ControlID })
		if i < 0 {
			continue
		}
		for _, region := range regions {
			for _, std := range o.controls[i].standards {
				if err := collect.AddDisabled(sink, model.DisabledControl{AccountID: dc.AccountID, Region: region,
					StandardID: std, ControlID: dc.ControlID, Source: model.DisabledByAssociation, Reason: dc.Reason}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// disablement is a control disabled in some accounts (all regions) from a day on.
type disablement struct {
	control string
	day     int
	match   func(*account) bool
	reason  string
}

func (o *Org) planDisablements() {
	days := o.cfg.Days
	has := func(id string) bool {
		return slices.ContainsFunc(o.controls, func(c *control) bool { return c.ID == id })
	}
	if has("IAM.6") {
		o.disablements = append(o.disablements, disablement{control: "IAM.6", day: max(1, days*35/100),
			match:  func(a *account) bool { return a.role != "management" },
			reason: "Root user credentials of member accounts are centrally managed (IAM centralized root access), CHG-2207"})
	}
	nonProd := func(a *account) bool { return a.env == envSandbox || a.env == envDev }
	for _, id := range []string{"S3.11", "EC2.10", "S3.15", "ELB.10", "DynamoDB.4"} {
		if has(id) {
			o.disablements = append(o.disablements, disablement{control: id, day: max(1, days*60/100),
				match: nonProd, reason: "Not required in non-production accounts, exception EXC-118"})
			if len(o.disablements) >= 3 {
				break
			}
		}
	}
	sort.SliceStable(o.disablements, func(i, j int) bool { return o.disablements[i].control < o.disablements[j].control })
}
