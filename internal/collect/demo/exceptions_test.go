package demo

import (
	"regexp"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
)

// TestSuppressionExpiry: on the last day most suppressions carry an expiry date in the report's
// default field, some lapsed, a couple about to lapse, a few without one and at least one that is
// not a date; a note naming a date names the field's.
func TestSuppressionExpiry(t *testing.T) {
	noteDate := regexp.MustCompile(`(?:until|review) (\d{4}-\d{2}-\d{2}|` + InvalidExpiry + `)`)
	forCatalogs(t, func(t *testing.T, cat *catalog.Catalog) {
		s := cachedSnapshot(t, cat, 89)
		end := DefaultEnd
		var total, expired, expiring, later, none, invalid int
		for _, f := range s.Findings {
			if f.RecordState != "ACTIVE" || f.WorkflowStatus != "SUPPRESSED" {
				continue
			}
			total++
			v, ok := f.UserDefinedFields[ExpiryField]
			if m := noteDate.FindStringSubmatch(f.NoteText); m != nil && ok && m[1] != v {
				t.Errorf("%s: note %q names %s, %s is %q", f.ID, f.NoteText, m[1], ExpiryField, v)
			}
			if !ok {
				none++
				continue
			}
			day, err := time.Parse(time.DateOnly, v)
			switch {
			case v == InvalidExpiry:
				invalid++
			case err != nil:
				t.Errorf("%s: %s = %q, neither a date nor the invalid example", f.ID, ExpiryField, v)
			case !day.After(end):
				expired++
				if !day.After(f.NoteUpdatedAt) {
					t.Errorf("%s: expires %s, before it was suppressed at %s", f.ID, v, f.NoteUpdatedAt)
				}
			case !day.After(end.AddDate(0, 0, 30)):
				expiring++
			default:
				later++
			}
		}
		t.Logf("%d suppressed: %d expired, %d expiring within 30 days, %d later, %d without expiry, %d invalid",
			total, expired, expiring, later, none, invalid)
		if len(cat.Controls) < 120 {
			return
		}
		if later*2 < total || expired == 0 || expiring == 0 || none == 0 || invalid == 0 || invalid > 5 || expiring > total/10 {
			t.Errorf("expiries %d expired, %d expiring, %d later, %d none, %d invalid of %d: want most dated, some expired, a couple expiring, a few none, one or a few invalid",
				expired, expiring, later, none, invalid, total)
		}
	})
}
