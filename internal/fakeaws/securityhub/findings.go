package securityhub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
	"github.com/hubreport/hubreport/internal/fakeaws/estate"
)

type getFindingsInput struct {
	Filters      map[string]json.RawMessage `json:"Filters"`
	SortCriteria []sortCriterion            `json:"SortCriteria"`
	MaxResults   *int                       `json:"MaxResults"`
	NextToken    *string                    `json:"NextToken"`
}

type sortCriterion struct {
	Field     string `json:"Field"`
	SortOrder string `json:"SortOrder"`
}

// visible lists the positions of the findings caller sees, in default order.
func (s *Service) visible(c core.Caller) []int {
	if c.Account == s.org.Admin {
		if s.opts.Aggregator && c.Region == s.home() {
			all := make([]int, len(s.findings))
			for i := range all {
				all[i] = i
			}
			return all
		}
		return s.byRegion[c.Region]
	}
	return s.byAccountRegion[c.Account+":"+c.Region]
}

func (s *Service) getFindings(w http.ResponseWriter, c core.Caller, body []byte) {
	var in getFindingsInput
	if err := decodeBody(body, &in); err != nil {
		writeSHError(w, err)
		return
	}
	size, err := maxResults(in.MaxResults, 100, 100)
	if err != nil {
		writeSHError(w, err)
		return
	}
	f, err := parseFilters(in.Filters, s.est.Now)
	if err != nil {
		writeSHError(w, err)
		return
	}
	less, err := sorter(in.SortCriteria)
	if err != nil {
		writeSHError(w, err)
		return
	}
	canonFilters, _ := json.Marshal(in.Filters) // map keys sorted: canonical
	canonSort, _ := json.Marshal(in.SortCriteria)
	key := string(canonFilters) + "\x00" + string(canonSort)
	hash := core.QueryHash("GetFindings", c.Account, c.Region, key, strconv.Itoa(size))
	offset, ok := core.ReadToken(in.NextToken, hash)
	if !ok {
		writeSHError(w, invalidInput("The NextToken is invalid or does not match the request parameters"))
		return
	}
	matches := s.match(c, key, f, less)
	items, next := core.Page(matches, offset, size, hash)
	var buf bytes.Buffer
	buf.WriteString(`{"Findings":[`)
	for i, p := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(s.wire[p])
	}
	buf.WriteByte(']')
	if next != "" {
		buf.WriteString(`,"NextToken":`)
		b, _ := json.Marshal(next)
		buf.Write(b)
	}
	buf.WriteByte('}')
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf.Bytes())
}

// match returns the positions of the caller's findings that pass f, sorted; results are cached
// per caller view and query so that paging through a large result does not filter again.
func (s *Service) match(c core.Caller, key string, f *filters, less func(a, b *estate.Finding) int) []int {
	view := "member:" + c.Account + ":" + c.Region
	if c.Account == s.org.Admin {
		view = "admin:" + c.Region
	}
	ck := view + "\x00" + key
	s.mu.Lock()
	if m, ok := s.cache[ck]; ok {
		s.mu.Unlock()
		return m
	}
	s.mu.Unlock()
	var out []int
	for _, p := range s.visible(c) {
		if f.match(s.findings[p]) {
			out = append(out, p)
		}
	}
	if less != nil {
		slices.SortStableFunc(out, func(a, b int) int { return less(s.findings[a], s.findings[b]) })
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cache[ck]; !ok {
		if len(s.cacheLRU) >= 256 {
			delete(s.cache, s.cacheLRU[0])
			s.cacheLRU = s.cacheLRU[1:]
		}
		s.cache[ck] = out
		s.cacheLRU = append(s.cacheLRU, ck)
	}
	return out
}

// indexFindings puts the estate's findings in the default order (ProductArn, Id), leaving out
// those of account/regions where Security Hub is not enabled, encodes them and indexes them.
func (s *Service) indexFindings() error {
	for _, f := range s.est.Findings {
		if !s.regionDisabled(f.AccountID, f.Region) {
			s.findings = append(s.findings, f)
		}
	}
	slices.SortStableFunc(s.findings, func(a, b *estate.Finding) int {
		if c := strings.Compare(a.ProductARN, b.ProductARN); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	s.wire = make([][]byte, len(s.findings))
	for i, f := range s.findings {
		b, err := estate.MarshalASFF(f)
		if err != nil {
			return fmt.Errorf("fakeaws: finding %s: %w", f.ID, err)
		}
		s.wire[i] = b
		s.byRegion[f.Region] = append(s.byRegion[f.Region], i)
		k := f.AccountID + ":" + f.Region
		s.byAccountRegion[k] = append(s.byAccountRegion[k], i)
	}
	return nil
}
