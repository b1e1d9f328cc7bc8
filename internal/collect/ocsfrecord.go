package collect

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/ocsf"
)

// decodeOCSF maps record k with internal/ocsf if it is an OCSF event (ok): a Compliance Finding
// becomes a finding like an ASFF one; any other class is refused (ocsf.ClassError says why). A
// record that is no OCSF event, or not valid JSON, is left to the ASFF decoder (!ok), which
// names what is wrong with it.
func (d *decoder) decodeOCSF(k int, b []byte) (f *model.Finding, ok bool, err error) {
	if !ocsf.MayBeRecord(b) {
		return nil, false, nil
	}
	f, err = ocsf.Unmarshal(b)
	var fe *ocsf.FieldError
	var ce *ocsf.ClassError
	var se *json.SyntaxError
	switch {
	case err == nil:
	case errors.Is(err, ocsf.ErrNotOCSF), errors.As(err, &se):
		return nil, false, nil
	case errors.As(err, &fe):
		return nil, true, &ImportError{File: d.name, Record: k, Field: fe.Field, Err: fe.Err}
	case errors.As(err, &ce):
		return nil, true, &ImportError{File: d.name, Record: k, Field: "class_uid", Err: err}
	default:
		return nil, true, &ImportError{File: d.name, Record: k, Err: err}
	}
	if len(f.Standards) > 0 {
		for i, s := range f.Standards {
			f.Standards[i] = catalog.NormalizeStandardID(s)
		}
		slices.Sort(f.Standards)
		f.Standards = slices.Compact(f.Standards)
	}
	return f, true, nil
}
