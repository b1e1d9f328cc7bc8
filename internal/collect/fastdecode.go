package collect

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// decodeFast fills r, which must be zero, from b, one framed JSON object, exactly as
// json.Unmarshal(b, r) would, and reports whether it could. It handles the shape real exports
// have: every attribute rawFinding decodes has the JSON type of its field, keys and decoded
// strings have no escapes, no key is repeated. On anything else (a syntax error, a wrong type, a
// null, an escape, a key that only case-folds to a field name, nesting deeper than
// maxFastDepth) it gives up and returns false, leaving r in any state: the caller then zeroes r
// and runs json.Unmarshal, which decodes it or finds the error to report. So the fast path never
// has to reproduce encoding/json's error messages, only its results, and TestDecodeFastMatchesJSON
// and FuzzDecodeFast hold it to them.
//
// It is about 5 times as fast as encoding/json on exports, mostly because it does not validate
// and then re-scan, and because the strings it decodes share one copy of the record.
func (r *rawFinding) decodeFast(b []byte) bool {
	p := fastParser{b: b, s: string(b)}
	if !p.finding(r) {
		return false
	}
	p.ws()
	return p.i == len(p.b)
}

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

// Field names per struct, to refuse keys that encoding/json would match case-insensitively.
var (
	findingNames = []string{"Id", "ProductArn", "ProductName", "CompanyName", "GeneratorId", "AwsAccountId",
		"Region", "Types", "Title", "FirstObservedAt", "CreatedAt", "UpdatedAt", "Severity", "Compliance",
		"ProductFields", "Resources", "Workflow", "WorkflowState", "RecordState", "Note", "UserDefinedFields"}
	severityNames      = []string{"Label", "Normalized"}
	complianceNames    = []string{"Status", "SecurityControlId", "AssociatedStandards"}
	standardNames      = []string{"StandardsId"}
	productFieldsNames = []string{"StandardsArn", "StandardsSubscriptionArn", "StandardsGuideArn",
		"StandardsGuideSubscriptionArn", "ControlId", "RuleId", "aws/securityhub/ProductName", "aws/securityhub/CompanyName"}
	resourceNames = []string{"Type", "Id"}
	workflowNames = []string{"Status"}
	noteNames     = []string{"Text", "UpdatedBy", "UpdatedAt"}
)

// foldsToField reports whether an unknown key might select one of names in encoding/json, which
// matches keys case-insensitively (with Unicode folding: "ſ" is "s"). Keys that are not ASCII are
// refused outright.
func foldsToField(k string, names []string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			return true
		}
	}
	for _, n := range names {
		if len(n) == len(k) && strings.EqualFold(n, k) {
			return true
		}
	}
	return false
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

// key reads an object key without escapes and the ':' after it.
func (p *fastParser) key() (string, bool) {
	var k string
	if !p.str(&k) || p.peek() != ':' {
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

// str reads a string without escapes into *dst, as a substring of the record.
func (p *fastParser) str(dst *string) bool {
	if p.peek() != '"' {
		return false
	}
	start := p.i + 1
	i := start + plainLen(p.b[start:], true)
	ascii := i == len(p.b) || p.b[i] < utf8.RuneSelf
	if !ascii {
		i += plainLen(p.b[i:], false)
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

// object walks the members of an object: member handles the value of each key and reports false
// for an unknown key (which is then skipped, unless it case-folds to one of names), and a known
// key must not repeat (bit, at most 32 per object).
func (p *fastParser) object(names []string, member func(k string) (bit uint32, known, ok bool)) bool {
	empty, ok := p.open('{', '}')
	var seen uint32
	for more := !empty; ok && more; {
		k, kok := p.key()
		if !kok {
			return false
		}
		bit, known, vok := member(k)
		switch {
		case known && seen&bit != 0:
			return false // encoding/json would merge or overwrite; leave it to it
		case known:
			seen |= bit
		case foldsToField(k, names):
			return false
		default:
			vok = p.skip()
		}
		if !vok {
			return false
		}
		more, ok = p.next('}')
	}
	return ok
}

func (p *fastParser) finding(r *rawFinding) bool {
	// Not through object(): the top level is where the time goes, so no closure call per key.
	empty, ok := p.open('{', '}')
	var seen uint32
	for more := !empty; ok && more; {
		k, kok := p.key()
		if !kok {
			return false
		}
		var bit uint32
		switch k {
		case "Id":
			bit, ok = 1<<0, p.str(&r.ID)
		case "ProductArn":
			bit, ok = 1<<1, p.str(&r.ProductArn)
		case "ProductName":
			bit, ok = 1<<2, p.str(&r.ProductName)
		case "CompanyName":
			bit, ok = 1<<3, p.str(&r.CompanyName)
		case "GeneratorId":
			bit, ok = 1<<4, p.str(&r.GeneratorID)
		case "AwsAccountId":
			bit, ok = 1<<5, p.str(&r.AwsAccountID)
		case "Region":
			bit, ok = 1<<6, p.str(&r.Region)
		case "Types":
			bit, ok = 1<<7, p.strs(&r.Types)
		case "Title":
			bit, ok = 1<<8, p.str(&r.Title)
		case "FirstObservedAt":
			bit, ok = 1<<9, p.str(&r.FirstObservedAt)
		case "CreatedAt":
			bit, ok = 1<<10, p.str(&r.CreatedAt)
		case "UpdatedAt":
			bit, ok = 1<<11, p.str(&r.UpdatedAt)
		case "Severity":
			bit, ok = 1<<12, p.severity(&r.Severity)
		case "Compliance":
			bit, ok = 1<<13, p.compliance(&r.Compliance)
		case "ProductFields":
			bit, ok = 1<<14, p.productFields(&r.ProductFields)
		case "Resources":
			bit, ok = 1<<15, p.resources(&r.Resources)
		case "Workflow":
			bit = 1 << 16
			ok = p.object(workflowNames, func(k string) (uint32, bool, bool) {
				if k == "Status" {
					return 1, true, p.str(&r.Workflow.Status)
				}
				return 0, false, true
			})
		case "WorkflowState":
			bit, ok = 1<<17, p.str(&r.WorkflowState)
		case "RecordState":
			bit, ok = 1<<18, p.str(&r.RecordState)
		case "Note":
			bit, ok = 1<<19, p.note(&r.Note)
		case "UserDefinedFields":
			bit, ok = 1<<20, p.stringMap(&r.UserDefinedFields)
		default:
			if foldsToField(k, findingNames) {
				return false
			}
			ok = p.skip()
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		more, ok = p.next('}')
	}
	return ok
}

func (p *fastParser) severity(s *rawSeverity) bool {
	return p.object(severityNames, func(k string) (uint32, bool, bool) {
		switch k {
		case "Label":
			return 1, true, p.str(&s.Label)
		case "Normalized":
			return 2, true, p.looseNumber(&s.Normalized)
		}
		return 0, false, true
	})
}

// looseNumber hands a number, or a string without escapes, to looseNumber.UnmarshalJSON as
// encoding/json would.
func (p *fastParser) looseNumber(n *looseNumber) bool {
	var raw []byte
	switch p.peek() {
	case '"':
		start := p.i
		var s string
		if !p.str(&s) {
			return false
		}
		raw = p.b[start:p.i]
	default:
		var ok bool
		if raw, ok = p.number(); !ok {
			return false
		}
	}
	return n.UnmarshalJSON(raw) == nil
}

func (p *fastParser) compliance(c *rawCompliance) bool {
	return p.object(complianceNames, func(k string) (uint32, bool, bool) {
		switch k {
		case "Status":
			return 1, true, p.str(&c.Status)
		case "SecurityControlId":
			return 2, true, p.str(&c.SecurityControlID)
		case "AssociatedStandards":
			empty, ok := p.open('[', ']')
			if !ok {
				return 4, true, false
			}
			// encoding/json sets an empty slice, not nil, for [].
			c.AssociatedStandards = make([]struct {
				StandardsID string `json:"StandardsId"`
			}, 0, 4)
			for more := !empty; more; {
				var id string
				if !p.object(standardNames, func(k string) (uint32, bool, bool) {
					if k == "StandardsId" {
						return 1, true, p.str(&id)
					}
					return 0, false, true
				}) {
					return 4, true, false
				}
				c.AssociatedStandards = append(c.AssociatedStandards, struct {
					StandardsID string `json:"StandardsId"`
				}{id})
				if more, ok = p.next(']'); !ok {
					return 4, true, false
				}
			}
			return 4, true, true
		}
		return 0, false, true
	})
}

func (p *fastParser) productFields(f *rawProductFields) bool {
	return p.object(productFieldsNames, func(k string) (uint32, bool, bool) {
		switch k {
		case "StandardsArn":
			return 1, true, p.str(&f.StandardsArn)
		case "StandardsSubscriptionArn":
			return 2, true, p.str(&f.StandardsSubscriptionArn)
		case "StandardsGuideArn":
			return 4, true, p.str(&f.StandardsGuideArn)
		case "StandardsGuideSubscriptionArn":
			return 8, true, p.str(&f.StandardsGuideSubscriptionArn)
		case "ControlId":
			return 16, true, p.str(&f.ControlID)
		case "RuleId":
			return 32, true, p.str(&f.RuleID)
		case "aws/securityhub/ProductName":
			return 64, true, p.str(&f.ProductName)
		case "aws/securityhub/CompanyName":
			return 128, true, p.str(&f.CompanyName)
		}
		return 0, false, true
	})
}

func (p *fastParser) resources(dst *[]rawResource) bool {
	empty, ok := p.open('[', ']')
	if !ok {
		return false
	}
	out := []rawResource{}
	for more := !empty; more; {
		var res rawResource
		if !p.object(resourceNames, func(k string) (uint32, bool, bool) {
			switch k {
			case "Type":
				return 1, true, p.str(&res.Type)
			case "Id":
				return 2, true, p.str(&res.ID)
			}
			return 0, false, true
		}) {
			return false
		}
		out = append(out, res)
		if more, ok = p.next(']'); !ok {
			return false
		}
	}
	*dst = out
	return true
}

func (p *fastParser) note(n *rawNote) bool {
	return p.object(noteNames, func(k string) (uint32, bool, bool) {
		switch k {
		case "Text":
			return 1, true, p.str(&n.Text)
		case "UpdatedBy":
			return 2, true, p.str(&n.UpdatedBy)
		case "UpdatedAt":
			return 4, true, p.str(&n.UpdatedAt)
		}
		return 0, false, true
	})
}

// stringMap reads an object of strings. encoding/json makes the map even for {}, and a repeated
// key keeps its last value, as here.
func (p *fastParser) stringMap(dst *map[string]string) bool {
	empty, ok := p.open('{', '}')
	if !ok {
		return false
	}
	m := map[string]string{}
	for more := !empty; more; {
		k, kok := p.key()
		var v string
		if !kok || !p.str(&v) {
			return false
		}
		m[k] = v
		if more, ok = p.next('}'); !ok {
			return false
		}
	}
	*dst = m
	return true
}
