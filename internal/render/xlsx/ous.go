package xlsx

import (
	"context"

	"github.com/hubreport/hubreport/internal/report"
)

// ous lists the OU scorecards, one row per OU path (parents before their children): accounts,
// the summary score, its change over the window, the worst failing control and weakest account.
func (b *book) ous(_ context.Context, r *report.Report) error {
	cols := []column{{"OU", 28}, {"Accounts", 10}, {"Summary score", 10}, {"Change (pts)", 10},
		{"Failed controls", 10}, {"Top failed control", 14}, {"Title", 50}, {"Failed accounts", 10}, {"Weakest account", 28}, {"Weakest score", 10}}
	for _, s := range r.Standards {
		cols = append(cols, column{standardLabel(s.ShortName, s.Name, s.ID), 14})
	}
	t := b.newTable(sheetOUs, cols, 1)
	for _, ou := range r.OrganizationalUnits {
		row := []any{b.text(ou.Path), b.count(int64(ou.Accounts)), b.pct(ou.SummaryScore), b.decimal(ou.Change),
			b.count(int64(ou.SummaryControls.Failed)), nil, nil, nil, nil, nil}
		if len(ou.TopFailedControls) > 0 {
			c := ou.TopFailedControls[0]
			row[5], row[6], row[7] = b.text(c.ControlID), b.text(c.Title), b.count(int64(c.FailedAccounts))
		}
		if len(ou.WeakestAccounts) > 0 {
			w := ou.WeakestAccounts[0]
			row[8], row[9] = b.text(w.Name+" ("+w.AccountID+")"), b.pct(w.SummaryScore)
		}
		byID := make(map[string]*float64, len(ou.Standards))
		for _, s := range ou.Standards {
			byID[s.ID] = s.Score
		}
		for _, s := range r.Standards {
			row = append(row, b.pct(byID[s.ID]))
		}
		t.add(row...)
	}
	t.autoFilter()
	return t.done()
}
