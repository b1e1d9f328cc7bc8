package xlsx

import (
	"context"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/hubreport/hubreport/internal/report"
)

// exceptions lists every suppressed finding as an accepted risk: where, who accepted it, why,
// since when and until when. Streamed: it has a row per suppressed finding, as Suppressed.
func (b *book) exceptions(ctx context.Context, r *report.Report) error {
	ous := make(map[string]string, len(r.Accounts))
	for _, a := range r.Accounts {
		ous[a.AccountID] = a.OU
	}
	t, err := b.newStreamTable(sheetExceptions, []column{
		{"Account ID", 15}, {"Account name", 24}, {"OU", 22}, {"Control ID", 13}, {"Resource ID", 50},
		{"Suppressed by", 28}, {"Justification", 60}, {"Since (UTC)", 17}, {"Expiry (UTC)", 17}, {"Status", 11},
	})
	if err != nil {
		return err
	}
	return streamRows(ctx, t, r.Suppressed, func(row []any, s *report.SuppressedFinding) {
		row[0], row[1], row[2], row[3] = b.text(s.AccountID), b.text(s.AccountName), b.text(ous[s.AccountID]), b.text(s.ControlID)
		row[4], row[5], row[6], row[7] = b.text(s.ResourceID), b.text(s.NoteBy), b.text(s.Note), b.stamp(s.Since)
		// An expiry that is not a date is shown as written, for whoever has to correct it.
		row[8] = b.stamp(s.Expiry)
		if s.ExceptionStatus == report.ExceptionInvalid {
			row[8] = b.text(s.ExpiryValue)
		}
		row[9] = b.text(s.ExceptionStatus)
	})
}

// maxCellChars is the most characters Excel keeps in a cell.
const maxCellChars = 32767

// remediationPlan lists the plan, one row per failing control, with the accounts it fails in
// and a link to AWS's remediation page.
func (b *book) remediationPlan(_ context.Context, r *report.Report) error {
	t := b.newTable(sheetPlan, []column{
		{"Rank", 6}, {"Control ID", 13}, {"Title", 60}, {"Severity", 11}, {"Failed accounts", 10},
		{"Failed resources", 10}, {"Accounts", 60}, {"OUs", 30}, {"Remediation", 70},
	}, 2)
	for i, p := range r.RemediationPlan {
		ids := make([]string, len(p.Accounts))
		var ous []string
		seen := map[string]bool{}
		for j, a := range p.Accounts {
			ids[j] = a.AccountID
			if a.OU != "" && !seen[a.OU] {
				seen[a.OU] = true
				ous = append(ous, a.OU)
			}
		}
		t.add(b.count(int64(i+1)), b.text(p.ControlID), b.text(p.Title), b.text(p.Severity),
			b.count(int64(p.FailedAccounts)), b.count(int64(p.FailedResources)),
			b.text(cellText(strings.Join(ids, ", "))), b.text(cellText(strings.Join(ous, ", "))), b.text(p.RemediationURL))
		if p.RemediationURL != "" && t.err == nil {
			ref, err := excelize.CoordinatesToCellName(9, t.row)
			if err == nil {
				err = b.f.SetCellHyperLink(sheetPlan, ref, p.RemediationURL, "External")
			}
			t.fail(err)
		}
	}
	t.autoFilter()
	return t.done()
}

// cellText cuts s to what a cell holds, saying so: a control failing in thousands of accounts
// lists more ids than Excel keeps (report.json and the evidence package have them all).
func cellText(s string) string {
	if len(s) <= maxCellChars {
		return s
	}
	const tail = " ... (cut: see report.json)"
	cut := s[:maxCellChars-len(tail)]
	if i := strings.LastIndex(cut, ", "); i > 0 {
		cut = cut[:i]
	}
	return cut + tail
}

// exceptionSummary adds the exception counts to the Summary sheet.
func (b *book) exceptionSummary(e report.Exceptions, section func(string), item func(string, any)) {
	section("Exceptions (suppressed findings)")
	item("Exceptions", b.count(e.Total))
	item("Without justification (no note)", b.count(e.WithoutJustification))
	item("Expired", b.count(e.Expired))
	item(fmt.Sprintf("Expiring within %d days", report.ExpiringWithinDays), b.count(e.ExpiringWithin30Days))
	item("No expiry", b.count(e.NoExpiry))
	item("Invalid expiry value", b.count(e.InvalidExpiry))
	item("Expiry field (UserDefinedFields key)", b.text(e.ExpiryField))
	if e.MaxAgeDays > 0 {
		item("Maximum age without an expiry (days)", b.count(int64(e.MaxAgeDays)))
	} else {
		item("Maximum age without an expiry (days)", b.text("none"))
	}
}
