package collect

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// array decodes the elements of a findings array; f.off is at its '['.
func (d *decoder) array() error {
	f := &d.f
	f.off++
	c, ok := f.skipSpace()
	if !ok {
		return d.cut(-1)
	}
	if c == ']' {
		f.off++
		return nil
	}
	for {
		if _, ok := f.skipSpace(); !ok {
			return d.cut(d.rec)
		}
		b, start, err := f.take()
		if err != nil {
			return d.fail(d.rec, err)
		}
		if err := d.dispatch(b, start); err != nil {
			return err
		}
		c, ok := f.skipSpace()
		if !ok {
			return d.cut(-1)
		}
		switch c {
		case ',':
			f.off++
		case ']':
			f.off++
			return nil
		default:
			return d.syntax(-1, f.pos(), "invalid character %s after array element", quoteByte(c))
		}
	}
}

// object handles a top-level object, which is either a page ({"Findings": [...], "NextToken":
// ...}) or one record (JSON Lines): a finding, an EventBridge event. Its keys decide: "Findings"
// (or "findings", as other exporters write it) makes a page, whose array is streamed and never
// held; any ASFF attribute makes a finding, which is then framed whole. Keys that are neither are
// held until one of those turns up; an object that ends without either is a record for dispatch
// to classify. f.off is at the '{'.
func (d *decoder) object() error {
	f := &d.f
	start := f.pos()
	f.keep = f.off
	f.off++
	page := false
	// The input span of a "detail" member left unchecked: an EventBridge event's detail holds its
	// findings, and dispatch checks them as it reads them, so checking them here too would read
	// them once more. Should the object turn out to be a page, it is checked then.
	var detail [2]int64
	c, ok := f.skipSpace()
	if !ok {
		return d.cut(-1)
	}
	if c == '}' {
		f.off++
		return d.heldRecord(start)
	}
	for {
		if c != '"' {
			return d.syntax(-1, f.pos(), "invalid character %s looking for beginning of object key string", quoteByte(c))
		}
		kb, kstart, err := f.take()
		if err != nil {
			return d.fail(-1, err)
		}
		if err := d.validate(-1, kb, kstart); err != nil {
			return err
		}
		key, err := objectKey(kb)
		if err != nil {
			return d.fail(-1, err) // not reached: kb is a valid JSON string
		}
		if c, ok = f.skipSpace(); !ok {
			return d.cut(-1)
		}
		if c != ':' {
			return d.syntax(-1, f.pos(), "invalid character %s after object key", quoteByte(c))
		}
		f.off++
		if c, ok = f.skipSpace(); !ok {
			return d.cut(-1)
		}
		switch {
		case key == "Findings" || key == "findings":
			if detail[1] > 0 {
				if err := checkValid(f.buf[detail[0]-f.base:detail[1]-f.base], detail[0]); err != nil {
					return &ImportError{File: d.name, Record: -1, Err: err}
				}
				detail = [2]int64{}
			}
			page = true
			f.keep = -1 // what came before is ignored page metadata
			if err := d.pageFindings(key, c); err != nil {
				return err
			}
		case !page && asffKeys[key]:
			// This object is a finding: frame the rest of it, one level deep.
			if err := f.scanNested(1); err != nil {
				return d.fail(d.rec, err)
			}
			return d.heldRecord(start)
		default:
			b, vstart, err := f.take()
			if err != nil {
				return d.fail(-1, err)
			}
			switch {
			case key == "detail" && !page && detail[1] == 0:
				detail = [2]int64{vstart, vstart + int64(len(b))}
			default: // a repeated "detail" too: classify checks only the earlier ones
				if err := d.validate(-1, b, vstart); err != nil {
					return err
				}
			}
		}
		if c, ok = f.skipSpace(); !ok {
			return d.cut(-1)
		}
		switch c {
		case ',':
			f.off++
			if c, ok = f.skipSpace(); !ok {
				return d.cut(-1)
			}
		case '}':
			f.off++
			if page {
				return nil
			}
			// Neither a page nor any ASFF attribute: an event, or another kind of record.
			return d.heldRecord(start)
		default:
			return d.syntax(-1, f.pos(), "invalid character %s after object key:value pair", quoteByte(c))
		}
	}
}

// pageFindings decodes the value of a page's "Findings" (or "findings") key; c is its first byte.
func (d *decoder) pageFindings(key string, c byte) error {
	if c == '[' {
		return d.array()
	}
	b, start, err := d.f.take()
	if err != nil {
		return d.fail(-1, err)
	}
	if err := d.validate(-1, b, start); err != nil {
		return err
	}
	if string(b) == "null" {
		return nil
	}
	return &ImportError{File: d.name, Record: -1, Field: key, Err: fmt.Errorf("got %s, want an array", kindOf(c))}
}

// heldRecord dispatches the top-level object framed from f.keep (at input offset start) to f.off.
func (d *decoder) heldRecord(start int64) error {
	b := d.f.buf[d.f.keep:d.f.off]
	d.f.keep = -1
	return d.dispatch(b, start)
}

// objectKey returns the text of a framed object key.
func objectKey(b []byte) (string, error) {
	if len(b) >= 2 && bytes.IndexByte(b, '\\') < 0 {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}
