package collect

import (
	"context"

	"github.com/hubreport/hubreport/internal/model"
)

// Buffer keeps a snapshot in memory: a Sink that can be replayed as a Source, to look at what a
// source yielded or to store it after changing it.
type Buffer struct {
	Findings []*model.Finding
	Accounts []model.Account
	Coverage []model.Coverage
	Disabled []model.DisabledControl
	Retired  []model.RetiredFindings
	Warnings []model.Warning
}

var (
	_ Sink   = (*Buffer)(nil)
	_ Source = (*Buffer)(nil)
)

// AddFinding keeps f.
func (b *Buffer) AddFinding(f *model.Finding) error { b.Findings = append(b.Findings, f); return nil }

// AddAccount keeps a.
func (b *Buffer) AddAccount(a model.Account) error { b.Accounts = append(b.Accounts, a); return nil }

// AddCoverage keeps c.
func (b *Buffer) AddCoverage(c model.Coverage) error { b.Coverage = append(b.Coverage, c); return nil }

// AddDisabledControl keeps d.
func (b *Buffer) AddDisabledControl(d model.DisabledControl) error {
	b.Disabled = append(b.Disabled, d)
	return nil
}

// AddRetiredFindings keeps r.
func (b *Buffer) AddRetiredFindings(r model.RetiredFindings) error {
	b.Retired = append(b.Retired, r)
	return nil
}

// AddWarning keeps w.
func (b *Buffer) AddWarning(w model.Warning) error {
	b.Warnings = append(b.Warnings, w)
	return nil
}

// Collect replays the buffer into sink: warnings, disabled controls, retired controls' counts,
// accounts, coverage, then findings.
func (b *Buffer) Collect(ctx context.Context, sink Sink) error {
	for _, w := range b.Warnings {
		if err := AddWarning(sink, w); err != nil {
			return err
		}
	}
	for _, d := range b.Disabled {
		if err := AddDisabled(sink, d); err != nil {
			return err
		}
	}
	for _, r := range b.Retired {
		if err := AddRetired(sink, r); err != nil {
			return err
		}
	}
	for _, a := range b.Accounts {
		if err := sink.AddAccount(a); err != nil {
			return err
		}
	}
	for _, c := range b.Coverage {
		if err := sink.AddCoverage(c); err != nil {
			return err
		}
	}
	for i, f := range b.Findings {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := sink.AddFinding(f); err != nil {
			return err
		}
	}
	return nil
}
