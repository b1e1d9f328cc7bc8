package collect

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/ocsf"
)

// ocsfRecord handles the OCSF record b, framed at input offset start, whose class_uid (raw JSON,
// checked) classify or v2Finding found. A Compliance Finding is queued for decoding. A record of
// another class (a Detection Finding from GuardDuty, a Vulnerability Finding from Inspector,
// which a GetFindingsV2 export or a V2 event stream carries beside the control findings) is
// skipped and counted: it holds no control's status, and read as one it would change the scores.
// A class_uid that is no integer is left to decodeRecord, which names the field.
func (d *decoder) ocsfRecord(b []byte, start int64, classUID []byte) error {
	uid, err := strconv.Atoi(string(classUID))
	if err != nil || uid == ocsf.ClassUID {
		return d.record(b, start)
	}
	// A skipped record must still be valid JSON: skipping is not a way past the syntax check.
	if err := checkValid(b, start); err != nil {
		return &ImportError{File: d.name, Record: -1, Err: err}
	}
	return d.skip(fmt.Sprintf("OCSF class %d (%s)", uid, ocsf.ClassName(uid)), start)
}

// v2Finding handles e, an element (at input offset at) of the detail.findings of the "Findings
// Imported V2" event at start: an OCSF record, which goes the way of one at the top level. An
// element without a class_uid refuses the file, naming the event: such an event carries OCSF only.
func (d *decoder) v2Finding(start int64, e []byte, at int64) error {
	if e[0] != '{' {
		return d.record(e, at) // refused there, naming what it is
	}
	var classUID []byte
	err := members(e, at, func(key string, v []byte, vat int64) (bool, error) {
		if key != "class_uid" {
			return true, nil
		}
		if err := checkValid(v, vat); err != nil {
			return false, err
		}
		classUID = v // the last one counts, as in encoding/json
		return true, nil
	})
	switch {
	case err != nil:
		return d.eventError(start, "detail.findings", err)
	case classUID == nil:
		return d.eventError(start, "detail.findings", fmt.Errorf(
			"the finding at byte %d has no class_uid: a %q event carries OCSF findings", at, importedV2DetailType))
	}
	return d.ocsfRecord(e, at, classUID)
}

// decodeOCSF maps record k with internal/ocsf if it is an OCSF event (ok): a Compliance Finding
// becomes a finding like an ASFF one. Records of other classes were skipped before they were
// queued (ocsfRecord); one that still comes here (an object with ASFF attributes beside its
// class_uid, which dispatch takes for a finding) is refused: ocsf.ClassError says why. A
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
