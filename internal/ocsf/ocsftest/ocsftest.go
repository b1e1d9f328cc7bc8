// Package ocsftest checks OCSF records against the schema's own source files, for tests: those
// of internal/ocsf and those of the commands that export OCSF. The files (schema-1.6.0, vendored
// from github.com/ocsf/ocsf-schema; see the README there) are embedded, so a test anywhere in
// the module finds them.
//
// The checker resolves a class the way the OCSF schema server compiles it, from the files rather
// than from constants copied by hand: "extends" chains, "$include"d profiles, the dictionary's
// types, arrays and enums (merged with the enums each class or object adds), and the _entity
// constraint. Then it checks a record: required attributes (and those of the profiles listed in
// metadata.profiles), no attribute the class does not define, JSON types (and the data types'
// regular expressions), enum ids and their caption siblings, class_uid and category_uid from
// categories.json, type_uid = class_uid*100 + activity_id, and metadata.version.
package ocsftest

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

//go:embed all:schema-1.6.0
var files embed.FS // all: because _entity.json and _resource.json start with an underscore

const schemaDir = "schema-1.6.0"

type rawAttr struct {
	Requirement string                              `json:"requirement"`
	Type        string                              `json:"type"`
	IsArray     bool                                `json:"is_array"`
	Sibling     string                              `json:"sibling"`
	Enum        map[string]struct{ Caption string } `json:"enum"`
	Profile     json.RawMessage                     `json:"profile"`
}

type rawDef struct {
	Name        string                     `json:"name"`
	Caption     string                     `json:"caption"`
	UID         int                        `json:"uid"`
	Extends     string                     `json:"extends"`
	Category    string                     `json:"category"`
	Attributes  map[string]json.RawMessage `json:"attributes"`
	Constraints struct {
		AtLeastOne []string `json:"at_least_one"`
	} `json:"constraints"`
}

type attr struct {
	requirement string
	typ         string
	array       bool
	sibling     string
	enum        map[string]string // id -> caption
	profile     string
}

type def struct {
	name, caption, category string
	uid                     int
	attrs                   map[string]*attr
	atLeastOne              []string
}

// Schema is the vendored schema, resolved class by class as checks need them.
type Schema struct {
	version    string
	dict       map[string]rawAttr
	types      map[string]struct{ Type, Regex string }
	categories map[string]struct {
		UID     int
		Caption string
	}
	files   map[string]string // event class or object name -> file
	defs    map[string]*def
	regexps map[string]*regexp.Regexp
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := files.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// Load reads the vendored schema.
func Load(t testing.TB) *Schema {
	t.Helper()
	s := &Schema{files: map[string]string{}, defs: map[string]*def{}, regexps: map[string]*regexp.Regexp{}}
	var version struct{ Version string }
	readJSON(t, path.Join(schemaDir, "version.json"), &version)
	s.version = version.Version
	var dict struct {
		Attributes map[string]rawAttr
		Types      struct {
			Attributes map[string]struct{ Type, Regex string }
		}
	}
	readJSON(t, path.Join(schemaDir, "dictionary.json"), &dict)
	s.dict, s.types = dict.Attributes, dict.Types.Attributes
	var cats struct {
		Attributes map[string]struct {
			UID     int
			Caption string
		}
	}
	readJSON(t, path.Join(schemaDir, "categories.json"), &cats)
	s.categories = cats.Attributes
	for _, dir := range []string{"events", "objects"} {
		err := fs.WalkDir(files, path.Join(schemaDir, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			var r rawDef
			readJSON(t, p, &r)
			s.files[r.Name] = p
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// Version is the schema's version (version.json).
func (s *Schema) Version() string { return s.version }

// Class returns the class_uid and category_uid of an event class, as categories.json and the
// class's files make them.
func (s *Schema) Class(t testing.TB, className string) (classUID, categoryUID int) {
	t.Helper()
	cls := s.def(t, className)
	cat, ok := s.categories[cls.category]
	if !ok {
		t.Fatalf("class %s: category %q not in categories.json", cls.name, cls.category)
	}
	return cat.UID*1000 + cls.uid, cat.UID
}

// def resolves a class or object by name.
func (s *Schema) def(t testing.TB, name string) *def {
	t.Helper()
	if d := s.defs[name]; d != nil {
		return d
	}
	file, ok := s.files[name]
	if !ok {
		t.Fatalf("schema: %q is not vendored", name)
	}
	var r rawDef
	readJSON(t, file, &r)
	d := &def{name: r.Name, caption: r.Caption, uid: r.UID, category: r.Category, attrs: map[string]*attr{}, atLeastOne: r.Constraints.AtLeastOne}
	if r.Extends != "" {
		base := s.def(t, r.Extends)
		for k, a := range base.attrs {
			c := *a
			c.enum = map[string]string{}
			for id, cap := range a.enum {
				c.enum[id] = cap
			}
			d.attrs[k] = &c
		}
		d.category = cmpOr(d.category, base.category)
		if d.atLeastOne == nil {
			d.atLeastOne = base.atLeastOne
		}
	}
	// Profiles first, so that the definition's own attributes override what they include.
	if inc, ok := r.Attributes["$include"]; ok {
		var paths []string
		if err := json.Unmarshal(inc, &paths); err != nil {
			t.Fatalf("%s: $include: %v", file, err)
		}
		for _, p := range paths {
			var prof rawDef
			readJSON(t, path.Join(schemaDir, p), &prof)
			for k, raw := range prof.Attributes {
				s.overlay(t, d, k, raw, prof.Name)
			}
		}
	}
	for k, raw := range r.Attributes {
		if k != "$include" {
			s.overlay(t, d, k, raw, "")
		}
	}
	s.defs[name] = d
	return d
}

// overlay applies one attribute definition (from a class, an object or a profile) on top of
// what d inherited, and fills what it leaves unsaid from the dictionary.
func (s *Schema) overlay(t testing.TB, d *def, name string, raw json.RawMessage, profile string) {
	t.Helper()
	var r rawAttr
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s.%s: %v", d.name, name, err)
	}
	a := d.attrs[name]
	if a == nil {
		dict, ok := s.dict[name]
		if !ok {
			t.Fatalf("%s.%s: not in the dictionary", d.name, name)
		}
		a = &attr{typ: dict.Type, array: dict.IsArray, sibling: dict.Sibling, enum: map[string]string{}, profile: profile}
		for id, e := range dict.Enum {
			a.enum[id] = e.Caption
		}
		d.attrs[name] = a
	}
	if r.Requirement != "" {
		a.requirement = r.Requirement
	}
	if r.Type != "" {
		a.typ = r.Type
	}
	for id, e := range r.Enum {
		a.enum[id] = e.Caption
	}
	switch p := strings.TrimSpace(string(r.Profile)); {
	case p == "null":
		a.profile = ""
	case p != "":
		_ = json.Unmarshal(r.Profile, &a.profile)
	}
}

// Check validates one encoded record as an event of class className (a class's name, such as
// "compliance_finding") and returns what is wrong with it, one line per problem.
func (s *Schema) Check(t testing.TB, className string, b []byte) []string {
	t.Helper()
	cls := s.def(t, className)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return []string{err.Error()}
	}
	cat, ok := s.categories[cls.category]
	if !ok {
		t.Fatalf("class %s: category %q not in categories.json", cls.name, cls.category)
	}
	classUID := int64(cat.UID*1000 + cls.uid)
	// As the schema server compiles a class: its class_uid and category_uid enums hold its own
	// values (base_event's hold only 0), so their captions check class_name and category_name.
	cls.attrs["class_uid"].enum = map[string]string{strconv.FormatInt(classUID, 10): cls.caption}
	cls.attrs["category_uid"].enum = map[string]string{strconv.Itoa(cat.UID): cat.Caption}
	c := &checker{s: s, t: t, profiles: map[string]bool{}}
	if md, ok := m["metadata"].(map[string]any); ok {
		if ps, ok := md["profiles"].([]any); ok {
			for _, p := range ps {
				if p, ok := p.(string); ok {
					c.profiles[p] = true
				}
			}
		}
		if v := md["version"]; v != s.version {
			c.errorf("metadata.version", "%v, want the schema's %s", v, s.version)
		}
	}
	c.object(cls, m, "")
	num := func(k string) int64 {
		n, _ := m[k].(json.Number)
		i, _ := n.Int64()
		return i
	}
	if got := num("class_uid"); got != classUID {
		c.errorf("class_uid", "%d, want %d (%s)", got, classUID, cls.caption)
	}
	if got := num("category_uid"); got != int64(cat.UID) {
		c.errorf("category_uid", "%d, want %d (%s)", got, cat.UID, cat.Caption)
	}
	if got, want := num("type_uid"), classUID*100+num("activity_id"); got != want {
		c.errorf("type_uid", "%d, want class_uid*100 + activity_id = %d", got, want)
	}
	return c.errs
}

type checker struct {
	s        *Schema
	t        testing.TB
	profiles map[string]bool
	errs     []string
}

func (c *checker) errorf(path, format string, args ...any) {
	c.errs = append(c.errs, path+": "+fmt.Sprintf(format, args...))
}

func (c *checker) object(d *def, m map[string]any, prefix string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := prefix + k
		a := d.attrs[k]
		switch {
		case a == nil:
			c.errorf(path, "%s defines no such attribute", d.name)
			continue
		case a.profile != "" && !c.profiles[a.profile]:
			c.errorf(path, "belongs to the %s profile, which metadata.profiles does not list", a.profile)
			continue
		}
		c.value(a, m[k], path)
		if len(a.enum) > 0 && a.sibling != "" {
			if sib, ok := m[a.sibling]; ok {
				id := fmt.Sprint(m[k])
				if id != "99" && a.enum[id] != "" && sib != a.enum[id] {
					c.errorf(prefix+a.sibling, "%v, want %q, the caption of %s %s", sib, a.enum[id], k, id)
				}
			}
		}
	}
	for k, a := range d.attrs {
		if a.requirement == "required" && (a.profile == "" || c.profiles[a.profile]) {
			if _, ok := m[k]; !ok {
				c.errorf(prefix+k, "required by %s, missing", d.name)
			}
		}
	}
	if len(d.atLeastOne) > 0 {
		found := false
		for _, k := range d.atLeastOne {
			_, ok := m[k]
			found = found || ok
		}
		if !found {
			c.errorf(strings.TrimSuffix(prefix, "."), "%s needs at least one of %v", d.name, d.atLeastOne)
		}
	}
}

func (c *checker) value(a *attr, v any, path string) {
	if a.array {
		vs, ok := v.([]any)
		if !ok {
			c.errorf(path, "got %T, want an array", v)
			return
		}
		e := *a
		e.array = false
		for i, x := range vs {
			c.value(&e, x, fmt.Sprintf("%s[%d]", path, i))
		}
		return
	}
	typ := a.typ
	base := typ
	if td, ok := c.s.types[typ]; ok && td.Type != "" {
		base = td.Type // e.g. timestamp_t is a long_t, resource_uid_t a string_t
	}
	switch base {
	case "string_t":
		s, ok := v.(string)
		if !ok {
			c.errorf(path, "got %T, want a string (%s)", v, typ)
			return
		}
		if re := c.regexp(typ); re != nil && !re.MatchString(s) {
			c.errorf(path, "%q does not match %s", s, typ)
		}
	case "integer_t", "long_t":
		n, ok := v.(json.Number)
		if !ok {
			c.errorf(path, "got %T, want an integer (%s)", v, typ)
			return
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			c.errorf(path, "%s is not an integer (%s)", n, typ)
			return
		}
		if typ == "timestamp_t" && i < 0 {
			c.errorf(path, "%d is before 1970", i)
		}
		if len(a.enum) > 0 {
			if _, ok := a.enum[string(n)]; !ok {
				c.errorf(path, "%s is not in the enum %v", n, a.enum)
			}
		}
	case "float_t":
		if _, ok := v.(json.Number); !ok {
			c.errorf(path, "got %T, want a number", v)
		}
	case "boolean_t":
		if _, ok := v.(bool); !ok {
			c.errorf(path, "got %T, want a boolean", v)
		}
	case "json_t":
	case "object": // OCSF's free-form object, e.g. unmapped
		if _, ok := v.(map[string]any); !ok {
			c.errorf(path, "got %T, want an object", v)
		}
	default:
		m, ok := v.(map[string]any)
		if !ok {
			c.errorf(path, "got %T, want a %s object", v, typ)
			return
		}
		c.object(c.s.def(c.t, typ), m, path+".")
	}
}

func (c *checker) regexp(typ string) *regexp.Regexp {
	td, ok := c.s.types[typ]
	if !ok || td.Regex == "" {
		return nil
	}
	re, ok := c.s.regexps[typ]
	if !ok {
		re = regexp.MustCompile(td.Regex)
		c.s.regexps[typ] = re
	}
	return re
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
