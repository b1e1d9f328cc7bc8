package collect

import (
	"errors"
	"slices"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/ocsf"
)

// decodeOCSF maps record k, an OCSF event, with internal/ocsf. A Compliance Finding becomes a
// finding like an ASFF one; any other class is refused (ocsf.ClassError says why).
func (d *decoder) decodeOCSF(k int, b []byte) (*model.Finding, error) {
	f, err := ocsf.Unmarshal(b)
	if err != nil {
		var fe *ocsf.FieldError
		var ce *ocsf.ClassError
		switch {
		case errors.As(err, &fe):
			return nil, &ImportError{File: d.name, Record: k, Field: fe.Field, Err: fe.Err}
		case errors.As(err, &ce):
			return nil, &ImportError{File: d.name, Record: k, Field: "class_uid", Err: err}
		}
		return nil, &ImportError{File: d.name, Record: k, Err: err}
	}
	if len(f.Standards) > 0 {
		for i, s := range f.Standards {
			f.Standards[i] = catalog.NormalizeStandardID(s)
		}
		slices.Sort(f.Standards)
		f.Standards = slices.Compact(f.Standards)
	}
	return f, nil
}
