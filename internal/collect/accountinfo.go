package collect

import (
	"cmp"
	"context"
	"slices"

	"github.com/hubreport/hubreport/internal/model"
)

// WithAccounts wraps src so that the snapshot's accounts take their name, OU and owner from infos
// (config accounts) where those are set: file imports carry no account names, the demo's come from
// its own organization, and an operator may correct what Organizations says. An account of infos
// that the source yields only through findings or coverage is added with the configured fields;
// one the snapshot does not hold at all is not: it is not in scope.
func WithAccounts(src Source, infos []model.Account) Source {
	if len(infos) == 0 {
		return src
	}
	byID := make(map[string]model.Account, len(infos))
	for _, a := range infos {
		byID[a.AccountID] = a
	}
	return SourceFunc(func(ctx context.Context, sink Sink) error {
		s := &accountSink{Sink: sink, infos: byID, given: map[string]bool{}, seen: map[string]bool{}}
		if err := src.Collect(ctx, s); err != nil {
			return err
		}
		var rest []string
		for id := range s.seen {
			if _, ok := byID[id]; ok && !s.given[id] {
				rest = append(rest, id)
			}
		}
		slices.Sort(rest)
		for _, id := range rest {
			if err := sink.AddAccount(byID[id]); err != nil {
				return err
			}
		}
		return nil
	})
}

// accountSink overlays configured account fields and notes which accounts the snapshot holds.
type accountSink struct {
	Sink
	infos       map[string]model.Account
	given, seen map[string]bool
}

func (s *accountSink) Unwrap() Sink { return s.Sink }

func (s *accountSink) AddFinding(f *model.Finding) error {
	s.seen[f.AccountID] = true
	return s.Sink.AddFinding(f)
}

func (s *accountSink) AddCoverage(c model.Coverage) error {
	s.seen[c.AccountID] = true
	return s.Sink.AddCoverage(c)
}

func (s *accountSink) AddAccount(a model.Account) error {
	s.given[a.AccountID] = true
	if c, ok := s.infos[a.AccountID]; ok {
		a.Name = cmp.Or(c.Name, a.Name)
		a.OU = cmp.Or(c.OU, a.OU)
		a.Owner = cmp.Or(c.Owner, a.Owner)
	}
	return s.Sink.AddAccount(a)
}
