package collect

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxFastDepth bounds the nesting the fast path skips; deeper values go to encoding/json, whose
// own limit is 10000.
const maxFastDepth = 512

// fastParser walks one record. s is b as a string: decoded strings are substrings of it, so the
// record is copied once however many attributes it has.
type fastParser struct {
	b     []byte
	s     string
	i     int
	depth int
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, 0 at the end.
func (p *fastParser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// open consumes the c ('{' or '[') that starts a container and reports whether the container is
// empty (and then consumes its end too).
func (p *fastParser) open(c, end byte) (empty, ok bool) {
	if p.peek() != c {
		return false, false
	}
	p.i++
	if p.peek() == end {
		p.i++
		return true, true
	}
	return false, true
}

// next consumes the ',' (more) or the end byte (done) after a member or element.
func (p *fastParser) next(end byte) (more, ok bool) {
	switch p.peek() {
	case ',':
		p.i++
		return true, true
	case end:
		p.i++
		return false, true
	}
	return false, false
}

// key reads an object key without escapes and the ':' after it. An escaped key goes to
// encoding/json, which unescapes it before matching it to a field.
func (p *fastParser) key() (string, bool) {
	var k string
	if !p.quoted(&k, false) || p.peek() != ':' {
		return "", false
	}
	p.i++
	return k, true
}

// strSpecial marks the bytes that end the fast scan of a string.
var strSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// str reads a string into *dst: a substring of the record when it has no escapes, or its
// unescaped copy.
func (p *fastParser) str(dst *string) bool { return p.quoted(dst, true) }

func (p *fastParser) quoted(dst *string, escapes bool) bool {
	if p.peek() != '"' {
		return false
	}
	start := p.i + 1
	i := start + plainLen(p.b[start:], true)
	ascii := i == len(p.b) || p.b[i] < utf8.RuneSelf
	if !ascii {
		i += plainLen(p.b[i:], false)
	}
	if i < len(p.b) && p.b[i] == '\\' && escapes {
		return p.escaped(dst, start, i)
	}
	if i == len(p.b) || p.b[i] != '"' {
		return false // an escape, a control character, or the end
	}
	// encoding/json replaces invalid UTF-8 with U+FFFD; leave that to it.
	if !ascii && !utf8.Valid(p.b[start:i]) {
		return false
	}
	*dst = p.s[start:i]
	p.i = i + 1
	return true
}

// escaped unescapes the string that starts at b[start] and whose first escape is at b[i], as
// encoding/json does. Titles and descriptions quote things ("root" user, "*" privileges), so
// about one record in a hundred has one, and encoding/json took 2% of an import's decoding
// time on those alone. What it would replace (invalid UTF-8, a lone surrogate) is left to it.
func (p *fastParser) escaped(dst *string, start, i int) bool {
	out := make([]byte, 0, i-start+32)
	out = append(out, p.b[start:i]...)
	for {
		// p.b[i] is a backslash.
		if i+1 >= len(p.b) {
			return false
		}
		switch c := p.b[i+1]; c {
		case '"', '\\', '/':
			out = append(out, c)
			i += 2
		case 'b':
			out, i = append(out, '\b'), i+2
		case 'f':
			out, i = append(out, '\f'), i+2
		case 'n':
			out, i = append(out, '\n'), i+2
		case 'r':
			out, i = append(out, '\r'), i+2
		case 't':
			out, i = append(out, '\t'), i+2
		case 'u':
			r, ok := hex4(p.b[i+2:])
			if !ok || utf16.IsSurrogate(r) {
				return false
			}
			out, i = utf8.AppendRune(out, r), i+6
		default:
			return false
		}
		n := plainLen(p.b[i:], false)
		out = append(out, p.b[i:i+n]...)
		if i += n; i == len(p.b) {
			return false
		}
		switch p.b[i] {
		case '"':
			if !utf8.Valid(out) {
				return false
			}
			*dst = string(out)
			p.i = i + 1
			return true
		case '\\':
		default:
			return false // a control character
		}
	}
}

// hex4 decodes the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// plainLen is how many bytes at the start of b need no attention inside a JSON string: it stops
// at the first '"', '\\' or control character (the bytes of strSpecial) and, when nonASCII is
// set, at the first byte of a multi-byte character. Strings are most of an ASFF record, and it
// looks at eight bytes at a time: for each of the four tests, the lowest flagged byte of a word
// is exactly the first byte that matches (a borrow only ever flags bytes above a true match).
func plainLen(b []byte, nonASCII bool) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	var stopHigh uint64 // the high bit of every byte, when non-ASCII bytes stop the scan
	if nonASCII {
		stopHigh = highs
	}
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (ones * '"')
		e := x ^ (ones * '\\')
		m := (q-ones)&^q | (e-ones)&^e | (x-ones*0x20)&^x
		if m = m&highs | x&stopHigh; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if strSpecial[b[i]] || nonASCII && b[i] >= utf8.RuneSelf {
			break
		}
	}
	return i
}

// strs reads an array of strings.
func (p *fastParser) strs(dst *[]string) bool {
	empty, ok := p.open('[', ']')
	if !ok {
		return false
	}
	out := []string{} // encoding/json sets an empty slice, not nil, for []
	for more := !empty; more; {
		var s string
		if !p.str(&s) {
			return false
		}
		out = append(out, s)
		if more, ok = p.next(']'); !ok {
			return false
		}
	}
	*dst = out
	return true
}

// skip moves past any valid JSON value.
func (p *fastParser) skip() bool {
	switch c := p.peek(); c {
	case '"':
		return p.skipString()
	case '{', '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		if p.depth++; p.depth > maxFastDepth {
			return false
		}
		empty, ok := p.open(c, end)
		for more := !empty; ok && more; {
			if c == '{' {
				if p.peek() != '"' || !p.skipString() || p.peek() != ':' {
					return false
				}
				p.i++
			}
			if !p.skip() {
				return false
			}
			more, ok = p.next(end)
		}
		p.depth--
		return ok
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	}
	_, ok := p.number()
	return ok
}

func (p *fastParser) literal(lit string) bool {
	if !strings.HasPrefix(p.s[p.i:], lit) {
		return false
	}
	p.i += len(lit)
	return true
}

// skipString moves past a string, escapes included; p.i is at its opening quote.
func (p *fastParser) skipString() bool {
	i := p.i + 1
	for {
		if i += plainLen(p.b[i:], false); i >= len(p.b) {
			return false
		}
		switch p.b[i] {
		case '"':
			p.i = i + 1
			return true
		case '\\':
			if i+1 >= len(p.b) {
				return false
			}
			switch p.b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(p.b) {
					return false
				}
				for _, h := range p.b[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				i += 6
			default:
				return false
			}
		default:
			return false // a control character
		}
	}
}

// number moves past a number (JSON's grammar) and returns its text.
func (p *fastParser) number() ([]byte, bool) {
	b, i := p.b, p.i
	start := i
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	p.i = i
	return b[start:i], true
}
