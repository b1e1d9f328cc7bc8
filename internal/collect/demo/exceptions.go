package demo

import (
	"time"

	"github.com/hubreport/hubreport/internal/model"
)

// ExpiryField is the UserDefinedFields key the demo writes a suppression's expiry under: the
// report's default (exceptions.expiry_field), so the demo's exceptions are judged out of the box.
const ExpiryField = "exception_expires"

// InvalidExpiry is the expiry a few suppressions carry that is not a date, as people write it, so
// the report has an invalid expiry to show.
const InvalidExpiry = "next quarter"

// Shares of the suppressions by the kind of expiry they get, cumulative (the rest get a date two to
// six months after the last snapshot). Most exceptions carry a date, as a governed process writes
// one; some have lapsed by the last snapshot, a few are about to, a few have none and one or two
// hold a value that is not a date.
const (
	shareNoExpiry = 0.06
	shareInvalid  = 0.075
	shareExpired  = 0.25
	shareExpiring = 0.27
)

// suppress marks f as an accepted exception at t: its justification note, who wrote it, and its
// expiry in UserDefinedFields. A note that names a date ("Risk accepted until ...") names the
// expiry field's date, or its invalid value.
func (o *Org) suppress(f *model.Finding, a *account, c *control, fk uint64, t time.Time) {
	expiry, note := o.exceptionExpiry(fk, t)
	f.NoteText = o.suppressionReason(a, c, fk, note)
	f.NoteUpdatedBy = o.secTeam[hash2(fk, 93)%uint64(len(o.secTeam))]
	f.NoteUpdatedAt = t
	if expiry == "" {
		return
	}
	if f.UserDefinedFields == nil {
		f.UserDefinedFields = map[string]string{}
	}
	f.UserDefinedFields[ExpiryField] = expiry
}

// exceptionExpiry returns the expiry field's value for a suppression made at t ("" for none) and
// the date its note names (the field's value when there is one).
func (o *Org) exceptionExpiry(fk uint64, t time.Time) (field, note string) {
	end := o.cfg.End
	// The acceptance runs to the end of a month two to six months after the last snapshot.
	later := end.AddDate(0, 2+int(hash2(fk, 96)%5), 0)
	later = time.Date(later.Year(), later.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	u := unit(hash2(fk, 99))
	switch {
	case u < shareNoExpiry:
		// The note may still name a date; nobody wrote it into the field.
		return "", later.Format(time.DateOnly)
	case u < shareInvalid:
		return InvalidExpiry, InvalidExpiry
	case u < shareExpired:
		// Lapsed one to 45 days before the last snapshot, but accepted for at least a week
		// after it was suppressed; a suppression too recent for that gets a later date.
		lapsed := end.AddDate(0, 0, -between(hash2(fk, 100), 1, 45))
		if day := lapsed.Truncate(24 * time.Hour); day.After(t.AddDate(0, 0, 7)) {
			return day.Format(time.DateOnly), day.Format(time.DateOnly)
		}
	case u < shareExpiring:
		s := end.AddDate(0, 0, between(hash2(fk, 100), 3, 28)).Format(time.DateOnly)
		return s, s
	}
	return later.Format(time.DateOnly), later.Format(time.DateOnly)
}
