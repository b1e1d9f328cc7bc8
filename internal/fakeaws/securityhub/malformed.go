package securityhub

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

// malformedKinds are the ways MalformedFindings breaks a finding, in turn: each still decodes
// (AWS never sends a wrong JSON type) but cannot be stored as it is.
var malformedKinds = []struct {
	name  string
	apply func(m map[string]any)
}{
	{"no Id", func(m map[string]any) { delete(m, "Id") }},
	{"empty AwsAccountId", func(m map[string]any) { m["AwsAccountId"] = "" }},
	{"malformed UpdatedAt", func(m map[string]any) { m["UpdatedAt"] = "yesterday" }},
}

// breakFindings serves opts.MalformedFindings findings malformed: active ones (the collector reads
// only those) spread evenly over the estate.
func (s *Service) breakFindings() error {
	n := s.opts.MalformedFindings
	if n == 0 {
		return nil
	}
	var active []int
	for i, f := range s.findings {
		if f.RecordState == "ACTIVE" {
			active = append(active, i)
		}
	}
	if n > len(active) {
		return &core.OptionsError{Field: "MalformedFindings", Reason: fmt.Sprintf("%d is more than the %d active findings", n, len(active))}
	}
	for k := range n {
		i := active[k*len(active)/n]
		var m map[string]any
		if err := json.Unmarshal(s.wire[i], &m); err != nil {
			return fmt.Errorf("fakeaws: finding %s: %w", s.findings[i].ID, err)
		}
		malformedKinds[k%len(malformedKinds)].apply(m)
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("fakeaws: finding %s: %w", s.findings[i].ID, err)
		}
		s.wire[i] = b
		s.malformed = append(s.malformed, s.findings[i].ID)
	}
	slices.Sort(s.malformed)
	return nil
}
