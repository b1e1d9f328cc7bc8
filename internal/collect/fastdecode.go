package collect

import (
	"strings"
	"unicode/utf8"
)

// decodeFast fills r, which must be zero, from b, one framed JSON object, exactly as
// json.Unmarshal(b, r) would, and reports whether it could. It handles the shape real exports
// have: every attribute rawFinding decodes has the JSON type of its field, keys have no escapes,
// no key is repeated. On anything else (a syntax error, a wrong type, a null, an escaped key, an
// escape it leaves to encoding/json (fastparser.go), a key that only case-folds to a field name,
// nesting deeper than maxFastDepth) it gives up and returns false, leaving r in any state: the
// caller then zeroes r and runs json.Unmarshal, which decodes it or finds the error to report. So the fast path never
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
