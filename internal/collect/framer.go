package collect

import (
	"bytes"
	"fmt"
	"io"
)

// framer is a read window over the input that cuts it into JSON values without decoding them.
// It checks only structure (brackets, strings); every byte it hands out is validated afterwards
// by json.Unmarshal or json.Valid. json.Decoder would do the framing too, but it cannot hand back
// the raw bytes of a top-level object, which is what JSON Lines needs (a finding and a
// {"Findings": ...} page look alike until their keys are read, and a page must not be buffered),
// and its syntax error offsets are relative to the value, not the file.
type framer struct {
	src  io.Reader
	buf  []byte
	off  int   // next unread byte
	n    int   // buf[:n] holds data
	base int64 // input offset of buf[0]
	keep int   // buf[keep:] must survive refills; -1 when nothing before off is needed
	err  error // why the input ended: io.EOF, a read error, or errValueTooLarge
}

func (f *framer) pos() int64 { return f.base + int64(f.off) }

// more reads at least one more byte into buf. It returns false when the input has ended or
// failed; f.err says which.
func (f *framer) more() bool {
	if f.err != nil {
		return false
	}
	if f.keep >= 0 && f.n-f.keep > maxValueSize {
		f.err = errValueTooLarge
		return false
	}
	if len(f.buf)-f.n < minRead {
		from := f.off
		if f.keep >= 0 && f.keep < from {
			from = f.keep
		}
		if from > 0 {
			copy(f.buf, f.buf[from:f.n])
			f.n -= from
			f.off -= from
			if f.keep >= 0 {
				f.keep -= from
			}
			f.base += int64(from)
		}
		if len(f.buf)-f.n < minRead {
			nb := make([]byte, min(2*len(f.buf), maxValueSize+minRead))
			copy(nb, f.buf[:f.n])
			f.buf = nb
		}
	}
	// Like bufio, give up on a reader that keeps returning nothing.
	for range 100 {
		m, err := f.src.Read(f.buf[f.n:])
		f.n += m
		if err != nil {
			f.err = err
			return m > 0
		}
		if m > 0 {
			return true
		}
	}
	f.err = io.ErrNoProgress
	return false
}

// skipSpace moves past whitespace and returns the next byte without consuming it. ok is false
// when the input ended first.
func (f *framer) skipSpace() (c byte, ok bool) {
	for {
		for f.off < f.n {
			switch c := f.buf[f.off]; c {
			case ' ', '\t', '\n', '\r':
				f.off++
			default:
				return c, true
			}
		}
		if !f.more() {
			return 0, false
		}
	}
}

// take frames the value at f.off and returns its bytes (valid until the next read) and its
// input offset. The caller has checked, with skipSpace, that a byte is there.
func (f *framer) take() ([]byte, int64, error) {
	start := f.pos()
	release := f.keep < 0
	if release {
		f.keep = f.off
	}
	err := f.scanValue()
	var b []byte
	if err == nil {
		b = f.buf[start-f.base : f.off]
	}
	if release {
		f.keep = -1
	}
	return b, start, err
}

// scanValue moves past the value at f.off.
func (f *framer) scanValue() error {
	c := f.buf[f.off]
	switch {
	case c == '{' || c == '[' || c == '"':
		return f.scanNested(0)
	case !isValueStart(c):
		return &syntaxError{Offset: f.pos(), Err: fmt.Errorf("invalid character %s looking for beginning of value", quoteByte(c))}
	}
	// A number or literal runs to the next byte that cannot be part of one, or to the end.
	for {
		for f.off < f.n {
			if !isLiteralByte(f.buf[f.off]) {
				return nil
			}
			f.off++
		}
		if !f.more() {
			return f.endErr(true)
		}
	}
}

// scanNested moves past the rest of a string, array or object: the value at f.off when depth is
// 0, or the rest of the enclosing containers when the caller has already entered depth of them.
func (f *framer) scanNested(depth int) error {
	inStr := false
	for {
		buf := f.buf[f.off:f.n]
		i := 0
		for i < len(buf) {
			if inStr {
				// Strings are most of an ASFF record: find the next quote with IndexByte. It
				// ends the string unless an odd run of backslashes stands before it, and that
				// run is in the window: take and object keep the value from its start.
				q := bytes.IndexByte(buf[i:], '"')
				if q < 0 {
					i = len(buf)
					continue
				}
				i += q + 1
				if escapedQuote(f.buf, f.off+i-1) {
					continue
				}
				inStr = false
				if depth == 0 {
					f.off += i
					return nil
				}
				continue
			}
			switch buf[i] {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth <= 0 {
					f.off += i + 1
					return nil
				}
			}
			i++
		}
		f.off = f.n
		if !f.more() {
			return f.endErr(false)
		}
	}
}

// escapedQuote reports whether the quote at b[p], inside a string, is escaped: preceded by an odd
// number of backslashes. The string's opening quote ends the run.
func escapedQuote(b []byte, p int) bool {
	n := 0
	for b[p-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}

// endErr explains why the input stopped inside a value. A number or literal may legitimately end
// with the input (canEnd).
func (f *framer) endErr(canEnd bool) error {
	switch {
	case f.err == io.EOF && canEnd:
		return nil
	case f.err == io.EOF:
		return &syntaxError{Offset: f.pos(), Err: io.ErrUnexpectedEOF}
	default:
		return f.err
	}
}

func isValueStart(c byte) bool {
	switch c {
	case '{', '[', '"', '-', 't', 'f', 'n':
		return true
	}
	return c >= '0' && c <= '9'
}

func isLiteralByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.'
}

func quoteByte(c byte) string {
	if c < 0x80 {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
