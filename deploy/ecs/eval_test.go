package ecs

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// A small evaluator of the template for one set of parameter values: conditions are decided and
// Fn::If resolved, so the tests read the IAM policies a stack with those values would get, not
// the union of both branches.

type stack struct {
	root   *yaml.Node
	params map[string]string
	conds  map[string]bool
}

// evalTemplate reads file with the parameters' defaults overridden by values.
func evalTemplate(t *testing.T, file string, values map[string]string) *stack {
	t.Helper()
	s := &stack{root: readTemplate(t, file), params: map[string]string{}, conds: map[string]bool{}}
	for name, p := range mapping(get(s.root, "Parameters")) {
		if d := get(p, "Default"); d != nil {
			s.params[name] = d.Value
		}
	}
	for k, v := range values {
		if get(get(s.root, "Parameters"), k) == nil {
			t.Fatalf("%s: no parameter %s", file, k)
		}
		s.params[k] = v
	}
	for name, c := range mapping(get(s.root, "Conditions")) {
		s.conds[name] = s.cond(t, c)
	}
	return s
}

func (s *stack) cond(t *testing.T, n *yaml.Node) bool {
	t.Helper()
	if arg, ok := intrinsic(n, "Condition"); ok {
		return s.cond(t, get(get(s.root, "Conditions"), arg.Value))
	}
	if arg, ok := intrinsic(n, "Equals"); ok && len(arg.Content) == 2 {
		return s.str(t, arg.Content[0]) == s.str(t, arg.Content[1])
	}
	if arg, ok := intrinsic(n, "Not"); ok && len(arg.Content) == 1 {
		return !s.cond(t, arg.Content[0])
	}
	and, isAnd := intrinsic(n, "And")
	or, isOr := intrinsic(n, "Or")
	if isAnd || isOr {
		args := and
		if isOr {
			args = or
		}
		for _, c := range args.Content {
			if v := s.cond(t, c); v == isOr {
				return v
			}
		}
		return isAnd
	}
	t.Fatalf("line %d: condition the test cannot evaluate", n.Line)
	return false
}

// resolve returns n with every Fn::If decided, and AWS::NoValue dropped from lists and mappings
// (nil when n itself is AWS::NoValue).
func (s *stack) resolve(t *testing.T, n *yaml.Node) *yaml.Node {
	t.Helper()
	if n == nil || isNoValue(n) {
		return nil
	}
	if arg, ok := intrinsic(n, "If"); ok && arg.Kind == yaml.SequenceNode && len(arg.Content) == 3 {
		c, known := s.conds[arg.Content[0].Value]
		if !known {
			t.Fatalf("line %d: Fn::If on unknown condition %s", n.Line, arg.Content[0].Value)
		}
		if c {
			return s.resolve(t, arg.Content[1])
		}
		return s.resolve(t, arg.Content[2])
	}
	out := *n
	out.Content = nil
	for i := 0; i < len(n.Content); i++ {
		if n.Kind == yaml.MappingNode {
			v := s.resolve(t, n.Content[i+1])
			if v != nil {
				out.Content = append(out.Content, n.Content[i], v)
			}
			i++
			continue
		}
		if v := s.resolve(t, n.Content[i]); v != nil {
			out.Content = append(out.Content, v)
		}
	}
	return &out
}

// Placeholders for what only a deployed stack knows; collector-task-policy.json and
// report-task-policy.json use the same.
var pseudoValues = map[string]string{
	"AWS::Partition": "aws", "AWS::Region": "REGION", "AWS::AccountId": "ACCOUNT_ID", "AWS::StackName": "STACK",
	"Bucket": "BUCKET", "Bucket.Arn": "arn:aws:s3:::BUCKET",
	"ArchiveBucket": "ARCHIVE_BUCKET", "ArchiveBucket.Arn": "arn:aws:s3:::ARCHIVE_BUCKET",
}

// str renders a resolved scalar, Ref, GetAtt or Sub with the parameters' values and the
// placeholders above.
func (s *stack) str(t *testing.T, n *yaml.Node) string {
	t.Helper()
	lookup := func(name string, vars map[string]string) string {
		if v, ok := vars[name]; ok {
			return v
		}
		if v, ok := s.params[name]; ok {
			return v
		}
		if v, ok := pseudoValues[name]; ok {
			return v
		}
		t.Fatalf("line %d: no value for %s", n.Line, name)
		return ""
	}
	n = s.resolve(t, n)
	if arg, ok := intrinsic(n, "Ref"); ok {
		return lookup(arg.Value, nil)
	}
	if arg, ok := intrinsic(n, "GetAtt"); ok {
		return lookup(strings.Join(scalars(arg), "."), nil)
	}
	if arg, ok := intrinsic(n, "Sub"); ok {
		str, vars := arg, map[string]string{}
		if arg.Kind == yaml.SequenceNode && len(arg.Content) == 2 {
			str = arg.Content[0]
			for k, v := range mapping(arg.Content[1]) {
				vars[k] = s.str(t, v)
			}
		}
		return subVar.ReplaceAllStringFunc(str.Value, func(v string) string { return lookup(strings.Trim(v, "${}"), vars) })
	}
	if n == nil || n.Kind != yaml.ScalarNode {
		t.Fatalf("line %d: not a string the test can render", n.Line)
	}
	return n.Value
}

// statement is an IAM policy statement as the tests compare it: conditions as
// operator -> key -> values.
type statement struct {
	Sid       string
	Effect    string
	Action    stringOrList
	Resource  stringOrList
	Condition map[string]map[string]stringOrList `json:",omitempty"`
}

// grants lists a statement's action-on-resource pairs, "action resource".
func (st statement) grants() []string {
	var g []string
	for _, a := range st.Action {
		for _, r := range st.Resource {
			g = append(g, a+" "+r)
		}
	}
	return g
}

// roleStatements returns the resolved statements of a role's inline policies.
func (s *stack) roleStatements(t *testing.T, role string) []statement {
	t.Helper()
	r := get(get(s.root, "Resources"), role)
	if r == nil || get(r, "Type").Value != "AWS::IAM::Role" {
		t.Fatalf("no role %s", role)
	}
	props := s.resolve(t, get(r, "Properties"))
	if get(props, "ManagedPolicyArns") != nil {
		t.Errorf("%s has managed policies; its permissions must be inline", role)
	}
	var out []statement
	for _, p := range s.resolve(t, get(props, "Policies")).Content {
		out = append(out, s.statements(t, get(p, "PolicyDocument"))...)
	}
	return out
}

func (s *stack) statements(t *testing.T, doc *yaml.Node) []statement {
	t.Helper()
	var out []statement
	sts := get(doc, "Statement")
	if sts.Kind == yaml.MappingNode {
		sts = &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{sts}}
	}
	for _, n := range sts.Content {
		st := statement{Effect: s.str(t, get(n, "Effect"))}
		if sid := get(n, "Sid"); sid != nil {
			st.Sid = sid.Value
		}
		for _, field := range []struct {
			key string
			to  *stringOrList
		}{{"Action", &st.Action}, {"Resource", &st.Resource}} {
			v := get(n, field.key)
			if v != nil && v.Kind == yaml.SequenceNode && v.Tag != "!Sub" {
				for _, c := range v.Content {
					*field.to = append(*field.to, s.str(t, c))
				}
			} else if v != nil {
				*field.to = stringOrList{s.str(t, v)}
			}
		}
		for op, kv := range mapping(get(n, "Condition")) {
			if st.Condition == nil {
				st.Condition = map[string]map[string]stringOrList{}
			}
			st.Condition[op] = map[string]stringOrList{}
			for k, v := range mapping(kv) {
				st.Condition[op][k] = stringOrList{s.str(t, v)}
			}
		}
		if get(n, "NotAction") != nil || get(n, "NotResource") != nil || st.Effect != "Allow" {
			t.Errorf("statement %q: want a plain Allow with Action and Resource", st.Sid)
		}
		out = append(out, st)
	}
	return out
}

type stringOrList []string

func (l *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// readPolicyFile reads a policy JSON file, refusing fields the tests would not compare.
func readPolicyFile(t *testing.T, name string) []statement {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var doc struct {
		Version   string
		Statement []statement
	}
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if doc.Version != "2012-10-17" {
		t.Errorf("%s: Version %q, want 2012-10-17", name, doc.Version)
	}
	return doc.Statement
}

// canonical renders statements for comparison: sorted lists, one JSON line each.
func canonical(sts []statement) []string {
	var out []string
	for _, st := range sts {
		st.Action, st.Resource = slices.Sorted(slices.Values(st.Action)), slices.Sorted(slices.Values(st.Resource))
		b, _ := json.Marshal(st)
		out = append(out, string(b))
	}
	return out
}

// allowedPattern reports whether CloudFormation would accept value for parameter name
// (AllowedPattern must match the whole value).
func allowedPattern(t *testing.T, root *yaml.Node, name, value string) bool {
	t.Helper()
	p := path(root, "Parameters", name, "AllowedPattern")
	if p == nil {
		t.Fatalf("parameter %s has no AllowedPattern", name)
	}
	re, err := regexp.Compile("^(?:" + p.Value + ")$")
	if err != nil {
		t.Fatalf("parameter %s: AllowedPattern %q: %v", name, p.Value, err)
	}
	return re.MatchString(value)
}

func (st statement) String() string {
	return fmt.Sprintf("%s %v on %v", st.Sid, st.Action, st.Resource)
}
