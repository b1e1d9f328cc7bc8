package collect

import (
	"cmp"
	"context"
	"slices"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// DisabledRule is one configured disabled control (config controls.disabled): ControlID is
// required, an empty Standard, Account or Region means every one of the snapshot's.
type DisabledRule struct {
	ControlID string
	Standard  string // resource id, ARN or catalog key
	Account   string
	Region    string
	Reason    string
}

// WithDisabled wraps src so that, once src has yielded its snapshot, the rules are expanded to
// rows for the snapshot's accounts, regions and standards (those the findings, accounts and
// coverage name, and the standards of ctls, the snapshot's catalog) and stored with source
// "config". Exports carry findings but not enablement, so this is how file and demo snapshots
// know what is disabled; with the AWS source the rules add to what AWS says.
func WithDisabled(src Source, rules []DisabledRule, cat *catalog.Catalog, ctls []model.Control) Source {
	if len(rules) == 0 {
		return src
	}
	return SourceFunc(func(ctx context.Context, sink Sink) error {
		seen := &scopeSink{Sink: sink, accounts: map[string]bool{}, regions: map[string]bool{}, controls: map[[2]string]bool{}}
		for _, c := range ctls {
			if !c.Disabled {
				seen.controls[[2]string{c.StandardID, c.ControlID}] = true
			}
		}
		if err := src.Collect(ctx, seen); err != nil {
			return err
		}
		for _, d := range expandDisabled(rules, cat, seen) {
			if err := AddDisabled(sink, d); err != nil {
				return err
			}
		}
		return nil
	})
}

// scopeSink notes the accounts, regions and standard/control pairs a snapshot holds.
type scopeSink struct {
	Sink
	accounts, regions map[string]bool
	controls          map[[2]string]bool // standard id, control id
}

func (s *scopeSink) Unwrap() Sink { return s.Sink }

func (s *scopeSink) AddFinding(f *model.Finding) error {
	s.accounts[f.AccountID], s.regions[f.Region] = true, true
	if f.ControlID != "" {
		for _, st := range f.Standards {
			s.controls[[2]string{st, f.ControlID}] = true
		}
	}
	return s.Sink.AddFinding(f)
}

func (s *scopeSink) AddAccount(a model.Account) error {
	s.accounts[a.AccountID] = true
	return s.Sink.AddAccount(a)
}

func (s *scopeSink) AddCoverage(c model.Coverage) error {
	s.accounts[c.AccountID], s.regions[c.Region] = true, true
	return s.Sink.AddCoverage(c)
}

// expandDisabled turns rules into one row per account, region, standard and control, in a stable
// order. A rule naming an account or region the snapshot does not hold adds nothing: there is
// nothing there to leave out.
func expandDisabled(rules []DisabledRule, cat *catalog.Catalog, seen *scopeSink) []model.DisabledControl {
	accounts := slices.Sorted(func(yield func(string) bool) {
		for a := range seen.accounts {
			if a != "" && !yield(a) {
				return
			}
		}
	})
	regions := slices.Sorted(func(yield func(string) bool) {
		for r := range seen.regions {
			if r != "" && !yield(r) {
				return
			}
		}
	})
	var out []model.DisabledControl
	for _, r := range rules {
		standard := ""
		if r.Standard != "" {
			standard = catalog.NormalizeStandardID(r.Standard)
			if s, ok := cat.Standard(r.Standard); ok {
				standard = s.ID
			}
		}
		var stds []string
		for k := range seen.controls {
			if k[1] == r.ControlID && (standard == "" || k[0] == standard) {
				stds = append(stds, k[0])
			}
		}
		if standard != "" && len(stds) == 0 {
			// A standard the snapshot's catalog and findings do not pair with the control: kept
			// as given, so that a later finding of it is still left out.
			stds = []string{standard}
		}
		slices.Sort(stds)
		for _, a := range accounts {
			if r.Account != "" && r.Account != a {
				continue
			}
			for _, reg := range regions {
				if r.Region != "" && r.Region != reg {
					continue
				}
				for _, st := range stds {
					out = append(out, model.DisabledControl{AccountID: a, Region: reg, StandardID: st, ControlID: r.ControlID,
						Source: model.DisabledByConfig, Reason: cmp.Or(r.Reason, "controls.disabled in the configuration")})
				}
			}
		}
	}
	return out
}
