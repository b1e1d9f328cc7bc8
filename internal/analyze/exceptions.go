package analyze

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

// Exceptions. A suppressed finding is an accepted risk: who accepted it (Note.UpdatedBy), why
// (Note.Text) and until when. Security Hub has no expiry of its own, so it is read from a
// UserDefinedFields key (exceptions.expiry_field), or, when the key is absent, the suppression
// lapses exceptions.max_age_days after it was last set or reviewed. Every date is judged at the
// snapshot's time, never the clock's: the same snapshot gives the same report.

// DefaultExpiryField is the UserDefinedFields key read as an exception's expiry.
const DefaultExpiryField = "exception_expires"

// parseExpiry reads an expiry value: an ISO date (YYYY-MM-DD, meaning 00:00 UTC that day, so an
// exception expiring on the report's date has expired) or an RFC 3339 time.
func parseExpiry(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", s)
}

// exceptionStatus is where an exception expiring at expiry stands at asOf (zero expiry: none).
func exceptionStatus(expiry, asOf time.Time) string {
	switch {
	case expiry.IsZero():
		return report.ExceptionNoExpiry
	case !expiry.After(asOf):
		return report.ExceptionExpired
	case !expiry.After(asOf.AddDate(0, 0, report.ExpiringWithinDays)):
		return report.ExceptionExpiring
	}
	return report.ExceptionActive
}

// judgeException fills x's Since, Expiry, ExpiryValue and ExceptionStatus from the finding's
// UpdatedAt and its UserDefinedFields as stored (a JSON object, "" when absent).
func (a *analyzer) judgeException(x *report.SuppressedFinding, updated time.Time, udf string) error {
	x.Since = x.NoteAt
	if x.Since.IsZero() {
		x.Since = updated
	}
	if udf != "" {
		var fields map[string]string
		if err := json.Unmarshal([]byte(udf), &fields); err != nil {
			return fmt.Errorf("user defined fields: %w", err)
		}
		// A blank value is no expiry: the key was cleared rather than given a bad date.
		x.ExpiryValue = strings.TrimSpace(fields[a.opt.ExpiryField])
	}
	switch {
	case x.ExpiryValue != "":
		t, err := parseExpiry(x.ExpiryValue)
		if err != nil {
			x.ExceptionStatus = report.ExceptionInvalid
			return nil
		}
		x.Expiry = t
	case a.opt.ExceptionMaxAgeDays > 0 && !x.Since.IsZero():
		x.Expiry = x.Since.AddDate(0, 0, a.opt.ExceptionMaxAgeDays)
	}
	x.ExceptionStatus = exceptionStatus(x.Expiry, a.snap.TakenAt.UTC())
	return nil
}

// exceptions counts Report.Suppressed (filled by suppressed) as governed exceptions.
func (a *analyzer) exceptions(ctx context.Context, r *report.Report) error {
	infos, err := a.controlInfos(ctx, a.snap.ID)
	if err != nil {
		return err
	}
	e := report.Exceptions{ExpiryField: a.opt.ExpiryField, MaxAgeDays: a.opt.ExceptionMaxAgeDays,
		ByControl: []report.ExceptionControl{}, InvalidExpiries: []report.InvalidExpiry{}}
	byControl := map[string]int64{}
	for i := range r.Suppressed {
		x := &r.Suppressed[i]
		e.Total++
		if x.ControlID == "" {
			e.WithoutControl++
		} else {
			byControl[x.ControlID]++
		}
		if strings.TrimSpace(x.Note) == "" {
			e.WithoutJustification++
		}
		switch x.ExceptionStatus {
		case report.ExceptionExpired:
			e.Expired++
		case report.ExceptionExpiring:
			e.ExpiringWithin30Days++
		case report.ExceptionNoExpiry:
			e.NoExpiry++
		case report.ExceptionInvalid:
			e.InvalidExpiry++
			if len(e.InvalidExpiries) < report.MaxInvalidExpiriesListed {
				e.InvalidExpiries = append(e.InvalidExpiries, report.InvalidExpiry{AccountID: x.AccountID,
					Region: x.Region, ControlID: x.ControlID, ResourceID: x.ResourceID, Value: x.ExpiryValue})
			}
		}
	}
	for id, n := range byControl {
		info := infos[id]
		e.ByControl = append(e.ByControl, report.ExceptionControl{ControlID: id, Title: info.title, Severity: info.severity, Count: n})
	}
	sort.Slice(e.ByControl, func(i, j int) bool {
		x, y := e.ByControl[i], e.ByControl[j]
		if x.Count != y.Count {
			return x.Count > y.Count
		}
		if sx, sy := severityRank[x.Severity], severityRank[y.Severity]; sx != sy {
			return sx > sy
		}
		return x.ControlID < y.ControlID
	})
	r.Exceptions = e
	return nil
}
