package securityhub

import (
	"cmp"
	"encoding/json"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/estate"
)

// GetFindings filters (AwsSecurityFindingFilters). The semantics follow the StringFilter
// documentation of the Security Hub API model:
//   - EQUALS, PREFIX and CONTAINS filters on one field are ORed; NOT_EQUALS, PREFIX_NOT_EQUALS
//     and NOT_CONTAINS filters are ANDed; fields are ANDed.
//   - CONTAINS goes only with CONTAINS, NOT_CONTAINS only with NOT_CONTAINS, and EQUALS not with
//     NOT_EQUALS or PREFIX_NOT_EQUALS on the same field: such requests are InvalidInputException.
//   - Multi-valued fields (ComplianceAssociatedStandardsId) match a positive filter when any value
//     does, and a negative one when no value is excluded by it.
//   - A finding without the field (e.g. ComplianceStatus of a GuardDuty finding) matches no
//     positive filter and every negative one. (AWS does not document this case.)
//
// Filters on fields the emulator does not model are rejected with InvalidInputException naming
// the field, rather than silently ignored.

// stringFields are the StringFilter fields the emulator supports.
var stringFields = map[string]func(f *estate.Finding) []string{
	"AwsAccountId":                       func(f *estate.Finding) []string { return one(f.AccountID) },
	"Region":                             func(f *estate.Finding) []string { return one(f.Region) },
	"Id":                                 func(f *estate.Finding) []string { return one(f.ID) },
	"ProductArn":                         func(f *estate.Finding) []string { return one(f.ProductARN) },
	"ProductName":                        func(f *estate.Finding) []string { return one(f.ProductName) },
	"CompanyName":                        func(f *estate.Finding) []string { return one(f.CompanyName) },
	"GeneratorId":                        func(f *estate.Finding) []string { return one(f.GeneratorID) },
	"Type":                               func(f *estate.Finding) []string { return one(f.Type) },
	"FindingProviderFieldsTypes":         func(f *estate.Finding) []string { return one(f.Type) },
	"Title":                              func(f *estate.Finding) []string { return one(f.Title) },
	"Description":                        func(f *estate.Finding) []string { return one(f.Title) },
	"ResourceType":                       func(f *estate.Finding) []string { return one(f.ResourceType) },
	"ResourceId":                         func(f *estate.Finding) []string { return one(f.ResourceID) },
	"ResourceRegion":                     func(f *estate.Finding) []string { return resourceOnly(f, f.Region) },
	"ResourcePartition":                  func(f *estate.Finding) []string { return resourceOnly(f, "aws") },
	"SeverityLabel":                      func(f *estate.Finding) []string { return one(f.SeverityLabel) },
	"FindingProviderFieldsSeverityLabel": func(f *estate.Finding) []string { return one(f.SeverityLabel) },
	"ComplianceStatus":                   func(f *estate.Finding) []string { return one(f.ComplianceStatus) },
	"ComplianceSecurityControlId":        func(f *estate.Finding) []string { return one(f.ControlID) },
	"ComplianceAssociatedStandardsId": func(f *estate.Finding) []string {
		if f.ControlID == "" {
			return nil // MarshalASFF writes AssociatedStandards only for control findings
		}
		return f.Standards
	},
	"WorkflowStatus": func(f *estate.Finding) []string { return one(f.WorkflowStatus) },
	"WorkflowState":  func(f *estate.Finding) []string { return one(estate.LegacyWorkflowState(f.WorkflowStatus)) },
	"RecordState":    func(f *estate.Finding) []string { return one(f.RecordState) },
	"NoteText":       func(f *estate.Finding) []string { return one(f.NoteText) },
	"NoteUpdatedBy":  func(f *estate.Finding) []string { return one(f.NoteUpdatedBy) },
}

// dateFields are the DateFilter fields. LastObservedAt is written as UpdatedAt (MarshalASFF).
var dateFields = map[string]func(f *estate.Finding) time.Time{
	"UpdatedAt":       func(f *estate.Finding) time.Time { return f.UpdatedAt },
	"LastObservedAt":  func(f *estate.Finding) time.Time { return f.UpdatedAt },
	"CreatedAt":       func(f *estate.Finding) time.Time { return cmp.Or(f.CreatedAt, f.UpdatedAt) },
	"FirstObservedAt": func(f *estate.Finding) time.Time { return f.FirstObservedAt },
	"NoteUpdatedAt":   func(f *estate.Finding) time.Time { return f.NoteUpdatedAt },
}

// numberFields are the NumberFilter fields.
var numberFields = map[string]func(f *estate.Finding) float64{
	"SeverityNormalized": func(f *estate.Finding) float64 { return float64(f.SeverityNormalized) },
}

// mapFields are the MapFilter fields.
var mapFields = map[string]func(f *estate.Finding) map[string]string{
	"UserDefinedFields": func(f *estate.Finding) map[string]string { return f.UserDefinedFields },
}

func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func resourceOnly(f *estate.Finding, v string) []string {
	if f.ResourceID == "" && f.ResourceType == "" {
		return nil
	}
	return []string{v}
}

type stringFilter struct {
	Value      *string `json:"Value"`
	Comparison string  `json:"Comparison"`
}

type dateFilter struct {
	Start     *string `json:"Start"`
	End       *string `json:"End"`
	DateRange *struct {
		Value      *int   `json:"Value"`
		Unit       string `json:"Unit"`
		Comparison string `json:"Comparison"`
	} `json:"DateRange"`
}

type numberFilter struct {
	Gte *float64 `json:"Gte"`
	Lte *float64 `json:"Lte"`
	Eq  *float64 `json:"Eq"`
	Gt  *float64 `json:"Gt"`
	Lt  *float64 `json:"Lt"`
}

type mapFilter struct {
	Key        *string `json:"Key"`
	Value      *string `json:"Value"`
	Comparison string  `json:"Comparison"`
}

// fieldTest is one field's filters, ready to apply.
type fieldTest func(f *estate.Finding) bool

type filters struct {
	tests []fieldTest
}

func (fs *filters) match(f *estate.Finding) bool {
	for _, t := range fs.tests {
		if !t(f) {
			return false
		}
	}
	return true
}

// parseFilters validates and compiles Filters. now is the clock DateRange counts back from.
func parseFilters(raw map[string]json.RawMessage, now time.Time) (*filters, *shError) {
	out := &filters{}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic error messages
	for _, name := range names {
		msg := raw[name]
		if string(msg) == "null" {
			continue
		}
		var t fieldTest
		var err *shError
		switch {
		case stringFields[name] != nil:
			t, err = compileString(name, msg, stringFields[name])
		case dateFields[name] != nil:
			t, err = compileDate(name, msg, dateFields[name], now)
		case numberFields[name] != nil:
			t, err = compileNumber(name, msg, numberFields[name])
		case mapFields[name] != nil:
			t, err = compileMap(name, msg, mapFields[name])
		default:
			return nil, invalidInput("fakeaws: filter field %s is not supported by the emulator", name)
		}
		if err != nil {
			return nil, err
		}
		if t != nil {
			out.tests = append(out.tests, t)
		}
	}
	return out, nil
}

func compileString(name string, msg json.RawMessage, get func(*estate.Finding) []string) (fieldTest, *shError) {
	var list []stringFilter
	if err := json.Unmarshal(msg, &list); err != nil {
		return nil, invalidInput("Filters.%s: %v", name, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	var pos, neg []stringFilter
	seen := map[string]bool{}
	for i, sf := range list {
		if sf.Value == nil || *sf.Value == "" {
			return nil, invalidInput("Filters.%s[%d].Value must not be empty", name, i)
		}
		switch sf.Comparison {
		case "EQUALS", "PREFIX", "CONTAINS":
			pos = append(pos, sf)
		case "NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS":
			neg = append(neg, sf)
		case "":
			return nil, invalidInput("Filters.%s[%d].Comparison is required", name, i)
		default:
			return nil, invalidInput("Filters.%s[%d].Comparison %s is not valid for GetFindings", name, i, sf.Comparison)
		}
		seen[sf.Comparison] = true
	}
	switch {
	case seen["CONTAINS"] && len(seen) > 1:
		return nil, invalidInput("Filters.%s: CONTAINS filters can only be combined with other CONTAINS filters", name)
	case seen["NOT_CONTAINS"] && len(seen) > 1:
		return nil, invalidInput("Filters.%s: NOT_CONTAINS filters can only be combined with other NOT_CONTAINS filters", name)
	case seen["EQUALS"] && (seen["NOT_EQUALS"] || seen["PREFIX_NOT_EQUALS"]):
		return nil, invalidInput("Filters.%s: EQUALS filters cannot be combined with NOT_EQUALS or PREFIX_NOT_EQUALS filters", name)
	}
	return func(f *estate.Finding) bool {
		vals := get(f)
		if len(pos) > 0 {
			hit := false
			for _, sf := range pos {
				for _, v := range vals {
					if stringHit(sf.Comparison, v, *sf.Value) {
						hit = true
						break
					}
				}
				if hit {
					break
				}
			}
			if !hit {
				return false
			}
		}
		for _, sf := range neg {
			for _, v := range vals {
				if stringHit(sf.Comparison, v, *sf.Value) {
					return false
				}
			}
		}
		return true
	}, nil
}

// stringHit reports whether v is what comparison c names with value x; negative comparisons
// report whether v is excluded.
func stringHit(c, v, x string) bool {
	switch c {
	case "EQUALS", "NOT_EQUALS":
		return v == x
	case "PREFIX", "PREFIX_NOT_EQUALS":
		return strings.HasPrefix(v, x)
	case "CONTAINS", "NOT_CONTAINS":
		return strings.Contains(v, x)
	}
	return false
}

func parseTimestamp(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999Z07"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func compileDate(name string, msg json.RawMessage, get func(*estate.Finding) time.Time, now time.Time) (fieldTest, *shError) {
	var list []dateFilter
	if err := json.Unmarshal(msg, &list); err != nil {
		return nil, invalidInput("Filters.%s: %v", name, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	type span struct{ from, to time.Time } // inclusive; zero: open
	spans := make([]span, len(list))
	for i, df := range list {
		var sp span
		switch {
		case df.DateRange != nil:
			if df.Start != nil || df.End != nil {
				return nil, invalidInput("Filters.%s[%d]: use either DateRange or Start/End", name, i)
			}
			dr := df.DateRange
			if dr.Value == nil || *dr.Value < 0 {
				return nil, invalidInput("Filters.%s[%d].DateRange.Value must be a non-negative integer", name, i)
			}
			if dr.Unit != "DAYS" {
				return nil, invalidInput("Filters.%s[%d].DateRange.Unit %q is not DAYS", name, i, dr.Unit)
			}
			edge := now.Add(-time.Duration(*dr.Value) * 24 * time.Hour)
			switch dr.Comparison {
			case "", "WITHIN":
				sp = span{from: edge, to: now}
			case "OLDER_THAN":
				sp = span{to: edge.Add(-time.Nanosecond)}
			default:
				return nil, invalidInput("Filters.%s[%d].DateRange.Comparison %q is not WITHIN or OLDER_THAN", name, i, dr.Comparison)
			}
		case df.Start != nil || df.End != nil:
			if df.Start != nil {
				t, ok := parseTimestamp(*df.Start)
				if !ok {
					return nil, invalidInput("Filters.%s[%d].Start %q is not a valid timestamp", name, i, *df.Start)
				}
				sp.from = t
			}
			if df.End != nil {
				t, ok := parseTimestamp(*df.End)
				if !ok {
					return nil, invalidInput("Filters.%s[%d].End %q is not a valid timestamp", name, i, *df.End)
				}
				sp.to = t
			}
		default:
			return nil, invalidInput("Filters.%s[%d] needs Start, End or DateRange", name, i)
		}
		spans[i] = sp
	}
	return func(f *estate.Finding) bool {
		t := get(f)
		if t.IsZero() {
			return false
		}
		for _, sp := range spans {
			if (sp.from.IsZero() || !t.Before(sp.from)) && (sp.to.IsZero() || !t.After(sp.to)) {
				return true
			}
		}
		return false
	}, nil
}

func compileNumber(name string, msg json.RawMessage, get func(*estate.Finding) float64) (fieldTest, *shError) {
	var list []numberFilter
	if err := json.Unmarshal(msg, &list); err != nil {
		return nil, invalidInput("Filters.%s: %v", name, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	for i, nf := range list {
		if nf.Gte == nil && nf.Lte == nil && nf.Eq == nil && nf.Gt == nil && nf.Lt == nil {
			return nil, invalidInput("Filters.%s[%d] needs Gte, Lte, Eq, Gt or Lt", name, i)
		}
	}
	return func(f *estate.Finding) bool {
		v := get(f)
		for _, nf := range list {
			if (nf.Gte == nil || v >= *nf.Gte) && (nf.Lte == nil || v <= *nf.Lte) &&
				(nf.Eq == nil || math.Abs(v-*nf.Eq) < 1e-9) && (nf.Gt == nil || v > *nf.Gt) && (nf.Lt == nil || v < *nf.Lt) {
				return true
			}
		}
		return false
	}, nil
}

func compileMap(name string, msg json.RawMessage, get func(*estate.Finding) map[string]string) (fieldTest, *shError) {
	var list []mapFilter
	if err := json.Unmarshal(msg, &list); err != nil {
		return nil, invalidInput("Filters.%s: %v", name, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	var pos, neg []mapFilter
	for i, mf := range list {
		if mf.Key == nil || mf.Value == nil {
			return nil, invalidInput("Filters.%s[%d] needs Key and Value", name, i)
		}
		switch mf.Comparison {
		case "EQUALS", "CONTAINS":
			pos = append(pos, mf)
		case "NOT_EQUALS", "NOT_CONTAINS":
			neg = append(neg, mf)
		default:
			return nil, invalidInput("Filters.%s[%d].Comparison %q is not valid for a map filter", name, i, mf.Comparison)
		}
	}
	return func(f *estate.Finding) bool {
		m := get(f)
		if len(pos) > 0 {
			hit := false
			for _, mf := range pos {
				if v, ok := m[*mf.Key]; ok && stringHit(mf.Comparison, v, *mf.Value) {
					hit = true
					break
				}
			}
			if !hit {
				return false
			}
		}
		for _, mf := range neg {
			if v, ok := m[*mf.Key]; ok && stringHit(mf.Comparison, v, *mf.Value) {
				return false
			}
		}
		return true
	}, nil
}

// sortFields are the SortCriteria fields the emulator supports.
var sortFields = map[string]func(a, b *estate.Finding) int{
	"AwsAccountId":                func(a, b *estate.Finding) int { return strings.Compare(a.AccountID, b.AccountID) },
	"Region":                      func(a, b *estate.Finding) int { return strings.Compare(a.Region, b.Region) },
	"Id":                          func(a, b *estate.Finding) int { return strings.Compare(a.ID, b.ID) },
	"ProductArn":                  func(a, b *estate.Finding) int { return strings.Compare(a.ProductARN, b.ProductARN) },
	"ProductName":                 func(a, b *estate.Finding) int { return strings.Compare(a.ProductName, b.ProductName) },
	"GeneratorId":                 func(a, b *estate.Finding) int { return strings.Compare(a.GeneratorID, b.GeneratorID) },
	"Title":                       func(a, b *estate.Finding) int { return strings.Compare(a.Title, b.Title) },
	"ResourceId":                  func(a, b *estate.Finding) int { return strings.Compare(a.ResourceID, b.ResourceID) },
	"ResourceType":                func(a, b *estate.Finding) int { return strings.Compare(a.ResourceType, b.ResourceType) },
	"SeverityLabel":               func(a, b *estate.Finding) int { return strings.Compare(a.SeverityLabel, b.SeverityLabel) },
	"SeverityNormalized":          func(a, b *estate.Finding) int { return cmp.Compare(a.SeverityNormalized, b.SeverityNormalized) },
	"ComplianceStatus":            func(a, b *estate.Finding) int { return strings.Compare(a.ComplianceStatus, b.ComplianceStatus) },
	"ComplianceSecurityControlId": func(a, b *estate.Finding) int { return strings.Compare(a.ControlID, b.ControlID) },
	"WorkflowStatus":              func(a, b *estate.Finding) int { return strings.Compare(a.WorkflowStatus, b.WorkflowStatus) },
	"RecordState":                 func(a, b *estate.Finding) int { return strings.Compare(a.RecordState, b.RecordState) },
	"UpdatedAt":                   func(a, b *estate.Finding) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
	"LastObservedAt":              func(a, b *estate.Finding) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
	"CreatedAt": func(a, b *estate.Finding) int {
		return cmp.Or(a.CreatedAt, a.UpdatedAt).Compare(cmp.Or(b.CreatedAt, b.UpdatedAt))
	},
	"FirstObservedAt": func(a, b *estate.Finding) int { return a.FirstObservedAt.Compare(b.FirstObservedAt) },
}

// sorter compiles SortCriteria. nil means the default order (ProductArn, Id), which the findings
// are kept in, so a stable sort also breaks ties by it.
func sorter(criteria []sortCriterion) (func(a, b *estate.Finding) int, *shError) {
	if len(criteria) == 0 {
		return nil, nil
	}
	type key struct {
		cmp  func(a, b *estate.Finding) int
		desc bool
	}
	keys := make([]key, len(criteria))
	for i, c := range criteria {
		fn := sortFields[c.Field]
		if fn == nil {
			if c.Field == "" {
				return nil, invalidInput("SortCriteria[%d].Field is required", i)
			}
			return nil, invalidInput("fakeaws: SortCriteria field %s is not supported by the emulator", c.Field)
		}
		switch c.SortOrder {
		case "", "asc", "desc":
		default:
			return nil, invalidInput("SortCriteria[%d].SortOrder %q is not asc or desc", i, c.SortOrder)
		}
		keys[i] = key{fn, c.SortOrder == "desc"}
	}
	return func(a, b *estate.Finding) int {
		for _, k := range keys {
			c := k.cmp(a, b)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}, nil
}
