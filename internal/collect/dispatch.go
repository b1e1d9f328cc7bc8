package collect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// recordKind is what dispatch takes a framed record for.
type recordKind uint8

const (
	kindNone recordKind = iota // no record seen yet
	// kindFinding is an ASFF finding, or an object that is no other kind: decoded as a finding,
	// so that the error names the attribute that is missing.
	kindFinding
	kindEvent     // an EventBridge event (eventbridge.go)
	kindOCSF      // an OCSF event (a top-level class_uid): decodeRecord maps it (ocsfrecord.go)
	kindMalformed // not a well-formed object: decoded as a finding, so that encoding/json names the error
)

// singular and plural name the kind in the mixed-kinds error.
func (k recordKind) singular() string {
	switch k {
	case kindEvent:
		return "an EventBridge event"
	case kindOCSF:
		return "an OCSF record"
	}
	return "an ASFF finding"
}

func (k recordKind) plural() string {
	switch k {
	case kindEvent:
		return "EventBridge events"
	case kindOCSF:
		return "OCSF records"
	}
	return "ASFF findings"
}

// shapeState is what dispatch keeps about one file: the kind of its records and what it skipped.
// Only the framer's goroutine touches it while the decode runs.
type shapeState struct {
	name    string
	kind    recordKind // of the file's first record
	kindAt  int64      // that record's input offset
	events  int64
	skipped []SkippedRecords
	index   map[string]int // Kind -> position in skipped
	skips   int
}

// maxSkippedKinds bounds the kinds of skipped records told apart per file: a file of events of
// ever new detail-types must not grow the list without end.
const maxSkippedKinds = 32

func (s *shapeState) stats() DecodeStats {
	return DecodeStats{Events: s.events, Skipped: s.skipped}
}

// dispatch is the one place where a framed record is classified and handed on: every top-level
// object that is not a page, and every element of a top-level array or of a page's findings,
// comes through here. (The findings inside an EventBridge event are ASFF by definition and go
// straight to record.)
//
//   - an ASFF finding is queued for decoding (record);
//   - an EventBridge event of imported Security Hub findings has its detail.findings queued, each
//     one a record; any other event is skipped and counted (event, eventbridge.go);
//   - an OCSF Compliance Finding is queued too: decodeRecord maps it (ocsfrecord.go); an OCSF
//     record of any other class is skipped and counted (ocsfRecord);
//   - anything else is decoded as a finding, which fails naming what is missing.
//
// A file holds records of one kind (oneKind): ASFF findings, in pages, arrays or lines, OCSF
// records, in the same shapes, or EventBridge events, in lines, concatenated or in an array
// (Security Hub's ASFF events and its OCSF "Findings Imported V2" events are both events: one
// EventBridge rule on aws.securityhub delivers both to the same Firehose stream). A new kind of
// record adds its case to classify and here.
func (d *decoder) dispatch(b []byte, start int64) error {
	if b[0] != '{' {
		return d.record(b, start) // refused there, naming what it is
	}
	kind, ev := classify(b, start)
	if kind == kindMalformed {
		return d.record(b, start)
	}
	if err := d.oneKind(kind, start); err != nil {
		return err
	}
	switch kind {
	case kindEvent:
		return d.event(b, start, ev)
	case kindOCSF:
		return d.ocsfRecord(b, start, ev.classUID)
	default:
		return d.record(b, start)
	}
}

// classify tells what the object b, framed at input offset start, is. Its first key usually
// decides, at the cost of one key: exported findings start with an ASFF attribute. Otherwise the
// top-level keys are walked: any ASFF attribute makes a finding (as in object), "source" and
// "detail-type" make an EventBridge event, else "class_uid" an OCSF record, and anything else is
// taken for a finding. An object
// that is not valid JSON as far as the walk goes is kindMalformed.
func classify(b []byte, start int64) (recordKind, eventParts) {
	if firstKeyIsASFF(b) {
		return kindFinding, eventParts{}
	}
	var ev eventParts
	asff, ocsf := false, false
	err := members(b, start, func(key string, v []byte, at int64) (bool, error) {
		switch key {
		case "detail":
			// Left to event, which walks it: checking it here would read it once more. But a
			// repeated key's earlier value (encoding/json keeps the last) is checked here.
			if ev.detail != nil {
				if err := checkValid(ev.detail, ev.detailAt); err != nil {
					return false, err
				}
			}
			ev.detail, ev.detailAt = v, at
			return true, nil
		case "source":
			ev.source, ev.sourceAt = v, at
		case "detail-type":
			ev.detailType, ev.detailTypeAt = v, at
		case "class_uid":
			// The last one counts, as in encoding/json (the value is checked below).
			ocsf, ev.classUID = true, v
		default:
			if asffKeys[key] {
				asff = true
				return false, nil
			}
		}
		// An event's envelope is checked here, once; a finding's members are checked again
		// when it is decoded, but only those before its first ASFF attribute come by here.
		return true, checkValid(v, at)
	})
	switch {
	case err != nil:
		return kindMalformed, eventParts{}
	case asff:
		return kindFinding, eventParts{}
	case ev.source != nil && ev.detailType != nil:
		return kindEvent, ev
	case ocsf:
		return kindOCSF, eventParts{classUID: ev.classUID}
	}
	return kindFinding, eventParts{}
}

// firstKeyIsASFF reports whether the first key of the object b is an ASFF attribute, spelled
// without escapes. It does not allocate: this runs for every record of an export.
func firstKeyIsASFF(b []byte) bool {
	i := 1
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	if i >= len(b) || b[i] != '"' {
		return false
	}
	j := bytes.IndexByte(b[i+1:], '"')
	if j < 0 {
		return false
	}
	k := b[i+1 : i+1+j]
	return bytes.IndexByte(k, '\\') < 0 && asffKeys[string(k)]
}

// oneKind refuses a record whose kind differs from the file's first record's. A file that mixes
// findings and events is not something AWS or a pipeline writes; it is usually two exports
// appended by mistake, and reading it as one would hide that.
func (d *decoder) oneKind(k recordKind, start int64) error {
	s := &d.shapes
	switch s.kind {
	case kindNone:
		s.kind, s.kindAt = k, start
		return nil
	case k:
		return nil
	}
	return &ImportError{File: d.name, Record: -1, Err: fmt.Errorf(
		"%s at byte %d in a file of %s (the first at byte %d): a file must hold one kind of record; import them as separate files",
		k.singular(), start, s.kind.plural(), s.kindAt)}
}

// skip counts a record left out by rule under kind, a description of what it is.
func (d *decoder) skip(kind string, start int64) error {
	s := &d.shapes
	s.skips++
	if s.skips%ctxCheckEvery == 0 {
		if err := d.ctx.Err(); err != nil {
			return fmt.Errorf("import %s: %w", d.name, err)
		}
	}
	if s.index == nil {
		s.index = map[string]int{}
	}
	i, ok := s.index[kind]
	if !ok && len(s.skipped) >= maxSkippedKinds {
		kind = "records of further kinds"
		i, ok = s.index[kind]
	}
	if ok {
		s.skipped[i].Count++
		return nil
	}
	s.index[kind] = len(s.skipped)
	s.skipped = append(s.skipped, SkippedRecords{File: s.name, Kind: kind, Count: 1, First: start})
	return nil
}

// subFramer frames within b, a value already framed at input offset start, so that offsets in
// errors are the input's.
func subFramer(b []byte, start int64) framer {
	return framer{buf: b, n: len(b), base: start, keep: -1, err: io.EOF}
}

// members calls fn with each member of the object b, framed at input offset start, until fn
// returns false or an error. Keys are checked and unescaped; values are framed, not validated.
// A malformed object is a *syntaxError.
func members(b []byte, start int64, fn func(key string, v []byte, at int64) (bool, error)) error {
	f := subFramer(b, start)
	f.off = 1
	c, ok := f.skipSpace()
	if !ok {
		return f.endErr(false)
	}
	if c == '}' {
		return nil
	}
	for {
		if c != '"' {
			return &syntaxError{Offset: f.pos(), Err: fmt.Errorf("invalid character %s looking for beginning of object key string", quoteByte(c))}
		}
		kb, kat, err := f.take()
		if err != nil {
			return err
		}
		if err := checkValid(kb, kat); err != nil {
			return err
		}
		key, err := objectKey(kb)
		if err != nil {
			return err
		}
		if c, ok = f.skipSpace(); !ok {
			return f.endErr(false)
		}
		if c != ':' {
			return &syntaxError{Offset: f.pos(), Err: fmt.Errorf("invalid character %s after object key", quoteByte(c))}
		}
		f.off++
		if _, ok = f.skipSpace(); !ok {
			return f.endErr(false)
		}
		v, at, err := f.take()
		if err != nil {
			return err
		}
		if more, err := fn(key, v, at); err != nil || !more {
			return err
		}
		if more, err := f.after('}', "object key:value pair"); err != nil || !more {
			return err
		}
		c = f.buf[f.off]
	}
}

// elements calls fn with each element of the array b, framed at input offset start. Elements are
// framed, not validated. A malformed array is a *syntaxError.
func elements(b []byte, start int64, fn func(e []byte, at int64) error) error {
	f := subFramer(b, start)
	f.off = 1
	c, ok := f.skipSpace()
	if !ok {
		return f.endErr(false)
	}
	if c == ']' {
		return nil
	}
	for {
		e, at, err := f.take()
		if err != nil {
			return err
		}
		if err := fn(e, at); err != nil {
			return err
		}
		if more, err := f.after(']', "array element"); err != nil || !more {
			return err
		}
	}
}

// after moves past what follows a member or an element: a ',' and the space after it (true), or
// end, the closing bracket (false). what names the value before, for the error.
func (f *framer) after(end byte, what string) (bool, error) {
	c, ok := f.skipSpace()
	switch {
	case !ok:
		return false, f.endErr(false)
	case c == end:
		return false, nil
	case c != ',':
		return false, &syntaxError{Offset: f.pos(), Err: fmt.Errorf("invalid character %s after %s", quoteByte(c), what)}
	}
	f.off++
	if _, ok := f.skipSpace(); !ok {
		return false, f.endErr(false)
	}
	return true, nil
}

// checkValid reports b, a value framed at input offset start, as a *syntaxError if it is not
// valid JSON.
func checkValid(b []byte, start int64) error {
	if json.Valid(b) {
		return nil
	}
	var v struct{}
	err := json.Unmarshal(b, &v) // only for json's message and offset
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &syntaxError{Offset: start + max(se.Offset-1, 0), Err: se}
	}
	return &syntaxError{Offset: start, Err: errors.New("invalid value")}
}
