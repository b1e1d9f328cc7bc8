package fakeaws

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hubreport/hubreport/internal/model"
)

// Security Hub is rest-json. Errors carry the code in the X-Amzn-ErrorType header and the body
// {"Code":..,"Message":..}; the SDK's deserializer reads either, header first.

// shError is a Security Hub error response.
type shError struct {
	status  int
	code    string
	message string
}

func (e *shError) Error() string { return e.code + ": " + e.message }

func invalidInput(format string, args ...any) *shError {
	return &shError{http.StatusBadRequest, "InvalidInputException", fmt.Sprintf(format, args...)}
}

func writeSHError(w http.ResponseWriter, e *shError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	b, _ := json.Marshal(map[string]string{"Code": e.code, "Message": e.message})
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(b)
}

// shOperation names the Security Hub operation of a request ("" when unknown).
func shOperation(r *http.Request) (op, arg string) {
	p := r.URL.EscapedPath()
	switch {
	case r.Method == http.MethodPost && p == "/findings":
		return "GetFindings", ""
	case r.Method == http.MethodPost && p == "/standards/get":
		return "GetEnabledStandards", ""
	case r.Method == http.MethodGet && p == "/standards":
		return "DescribeStandards", ""
	case r.Method == http.MethodGet && p == "/securityControls/definitions":
		return "ListSecurityControlDefinitions", ""
	case r.Method == http.MethodGet && p == "/associations":
		return "ListStandardsControlAssociations", ""
	case r.Method == http.MethodGet && p == "/findingAggregator/list":
		return "ListFindingAggregators", ""
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/findingAggregator/get/"):
		// {FindingAggregatorArn+} is a greedy label: the SDK escapes each segment and keeps the
		// slashes; other clients escape the slashes too. Unescape either.
		a, err := url.PathUnescape(strings.TrimPrefix(p, "/findingAggregator/get/"))
		if err != nil {
			a = strings.TrimPrefix(p, "/findingAggregator/get/")
		}
		return "GetFindingAggregator", a
	case r.Method == http.MethodGet && p == "/accounts":
		return "DescribeHub", ""
	}
	return enablementOperation(r.Method, p)
}

func (s *Server) serveSecurityHub(w http.ResponseWriter, r *http.Request, c caller, authErr error) {
	op, arg := shOperation(r)
	if op == "" {
		s.count("Unknown")
		writeSHError(w, &shError{http.StatusNotFound, "UnknownOperationException",
			fmt.Sprintf("fakeaws: no Security Hub operation for %s %s", r.Method, r.URL.Path)})
		return
	}
	s.count(op)
	if authErr != nil {
		writeSHError(w, &shError{http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token"})
		return
	}
	if serverErr, throttled := s.fault(true); serverErr {
		writeSHError(w, &shError{http.StatusInternalServerError, "InternalException", "Internal service error (injected)"})
		return
	} else if throttled {
		writeSHError(w, &shError{http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded (injected)"})
		return
	}
	class := "Other"
	if op == "GetFindings" {
		class = "GetFindings"
	}
	if !s.allow(c, class) {
		writeSHError(w, &shError{http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded"})
		return
	}
	if a := s.inOrg[c.account]; a == nil || a.Status != "ACTIVE" || s.regionDisabled(c.account, c.region) {
		writeSHError(w, &shError{http.StatusUnauthorized, "InvalidAccessException",
			"Account " + c.account + " is not subscribed to AWS Security Hub in " + c.region})
		return
	}
	var body []byte
	if r.Method == http.MethodPost {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			writeSHError(w, invalidInput("reading request body: %v", err))
			return
		}
	}
	var res any
	err := s.denied(c, op)
	if err != nil {
		writeSHError(w, err)
		return
	}
	switch op {
	case "GetFindings":
		s.getFindings(w, c, body)
		return
	case "GetEnabledStandards":
		res, err = s.getEnabledStandards(c, body)
	case "DescribeStandards":
		res, err = s.describeStandards(c, r.URL.Query())
	case "ListSecurityControlDefinitions":
		res, err = s.listSecurityControlDefinitions(c, r.URL.Query())
	case "ListStandardsControlAssociations":
		res, err = s.listStandardsControlAssociations(c, r.URL.Query())
	case "ListFindingAggregators":
		res, err = s.listFindingAggregators(c, r.URL.Query())
	case "GetFindingAggregator":
		res, err = s.getFindingAggregator(c, arg)
	case "DescribeHub":
		res, err = s.describeHub(c, r.URL.Query())
	default:
		res, err = s.serveEnablement(op, arg, c, r.URL.Query(), body)
	}
	if err != nil {
		writeSHError(w, err)
		return
	}
	writeJSON(w, "application/json", res)
}

// decodeBody decodes a JSON request body; an empty body is an empty object.
func decodeBody(body []byte, v any) *shError {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return invalidInput("malformed request body: %v", err)
	}
	return nil
}

// ---------------------------------------------------------------------------------------------
// Pagination tokens. A token carries the offset of the next page and a hash of the query it
// belongs to (operation, caller, region and every parameter but the token), so a token reused with
// a different query is rejected as AWS does, and identical requests give identical pages.

func queryHash(parts ...string) [12]byte {
	h := sha256.New()
	for _, p := range parts {
		_ = binary.Write(h, binary.LittleEndian, uint32(len(p)))
		h.Write([]byte(p))
	}
	var out [12]byte
	copy(out[:], h.Sum(nil))
	return out
}

func makeToken(hash [12]byte, offset int) string {
	b := make([]byte, 0, 20)
	b = append(b, hash[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(offset))
	return base64.RawURLEncoding.EncodeToString(b)
}

// readToken returns the offset a token names, 0 for no token, or an error when the token is
// malformed or belongs to another query.
func readToken(tok *string, hash [12]byte) (int, bool) {
	if tok == nil || *tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || len(b) != 20 || !bytes.Equal(b[:12], hash[:]) {
		return 0, false
	}
	off := binary.BigEndian.Uint64(b[12:])
	if off > 1<<40 {
		return 0, false
	}
	return int(off), true
}

// maxResults checks MaxResults against 1..limit; nil is def.
func maxResults(v *int, limit, def int) (int, *shError) {
	if v == nil {
		return def, nil
	}
	if *v < 1 || *v > limit {
		return 0, invalidInput("MaxResults %d is outside 1..%d", *v, limit)
	}
	return *v, nil
}

// queryMaxResults reads MaxResults from a query string.
func queryMaxResults(q url.Values) (*int, *shError) {
	if !q.Has("MaxResults") {
		return nil, nil
	}
	n, err := strconv.Atoi(q.Get("MaxResults"))
	if err != nil {
		return nil, invalidInput("MaxResults %q is not an integer", q.Get("MaxResults"))
	}
	return &n, nil
}

func queryToken(q url.Values) *string {
	if !q.Has("NextToken") {
		return nil
	}
	t := q.Get("NextToken")
	return &t
}

// page cuts items[offset:offset+size] and returns the next token ("" on the last page).
func page[T any](items []T, offset, size int, hash [12]byte) ([]T, string) {
	if offset > len(items) {
		offset = len(items)
	}
	end := min(len(items), offset+size)
	next := ""
	if end < len(items) {
		next = makeToken(hash, end)
	}
	return items[offset:end], next
}

// ---------------------------------------------------------------------------------------------
// GetFindings

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
func (s *Server) visible(c caller) []int {
	if c.account == s.admin {
		if s.opts.Aggregator && c.region == s.HomeRegion() {
			all := make([]int, len(s.findings))
			for i := range all {
				all[i] = i
			}
			return all
		}
		return s.byRegion[c.region]
	}
	return s.byAccountRegion[c.account+":"+c.region]
}

func (s *Server) getFindings(w http.ResponseWriter, c caller, body []byte) {
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
	f, err := parseFilters(in.Filters, s.now)
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
	hash := queryHash("GetFindings", c.account, c.region, key, strconv.Itoa(size))
	offset, ok := readToken(in.NextToken, hash)
	if !ok {
		writeSHError(w, invalidInput("The NextToken is invalid or does not match the request parameters"))
		return
	}
	matches := s.match(c, key, f, less)
	items, next := page(matches, offset, size, hash)
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
func (s *Server) match(c caller, key string, f *filters, less func(a, b *model.Finding) int) []int {
	view := "member:" + c.account + ":" + c.region
	if c.account == s.admin {
		view = "admin:" + c.region
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

// ---------------------------------------------------------------------------------------------
// Standards

type standardsSubscription struct {
	StandardsArn               string            `json:"StandardsArn"`
	StandardsSubscriptionArn   string            `json:"StandardsSubscriptionArn"`
	StandardsInput             map[string]string `json:"StandardsInput"`
	StandardsStatus            string            `json:"StandardsStatus"`
	StandardsControlsUpdatable string            `json:"StandardsControlsUpdatable,omitempty"`
}

// standardARN is the ARN of a standard given its resource id. CIS 1.2.0 is a global "ruleset".
func standardARN(region, id string) string {
	if strings.HasPrefix(id, "ruleset/") {
		return "arn:aws:securityhub:::" + id
	}
	return "arn:aws:securityhub:" + region + "::" + id
}

func subscriptionARN(region, account, id string) string {
	_, rest, _ := strings.Cut(id, "/")
	return "arn:aws:securityhub:" + region + ":" + account + ":subscription/" + rest
}

func (s *Server) getEnabledStandards(c caller, body []byte) (any, *shError) {
	var in struct {
		StandardsSubscriptionArns []string `json:"StandardsSubscriptionArns"`
		MaxResults                *int     `json:"MaxResults"`
		NextToken                 *string  `json:"NextToken"`
	}
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	size, err := maxResults(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	hash := queryHash("GetEnabledStandards", c.account, c.region, strings.Join(in.StandardsSubscriptionArns, "\x00"), strconv.Itoa(size))
	offset, ok := readToken(in.NextToken, hash)
	if !ok {
		return nil, invalidInput("The NextToken is invalid or does not match the request parameters")
	}
	var subs []standardsSubscription
	for _, id := range s.standards {
		sub := standardsSubscription{StandardsArn: standardARN(c.region, id),
			StandardsSubscriptionArn: subscriptionARN(c.region, c.account, id),
			StandardsInput:           map[string]string{}, StandardsStatus: "READY",
			StandardsControlsUpdatable: "READY_FOR_UPDATES"}
		if len(in.StandardsSubscriptionArns) > 0 && !slices.Contains(in.StandardsSubscriptionArns, sub.StandardsSubscriptionArn) {
			continue
		}
		subs = append(subs, sub)
	}
	items, next := page(subs, offset, size, hash)
	out := map[string]any{"StandardsSubscriptions": nonNil(items)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// listPage reads the paging parameters of a GET list operation (MaxResults 1-100, default 100,
// and a NextToken bound to the same query).
func listPage(c caller, q url.Values, op string, params ...string) (size, offset int, hash [12]byte, err *shError) {
	mr, err := queryMaxResults(q)
	if err != nil {
		return 0, 0, hash, err
	}
	if size, err = maxResults(mr, 100, 100); err != nil {
		return 0, 0, hash, err
	}
	hash = queryHash(append([]string{op, c.account, c.region}, append(params, strconv.Itoa(size))...)...)
	offset, ok := readToken(queryToken(q), hash)
	if !ok {
		return 0, 0, hash, invalidInput("The NextToken is invalid or does not match the request parameters")
	}
	return size, offset, hash, nil
}

func (s *Server) describeStandards(c caller, q url.Values) (any, *shError) {
	size, offset, hash, err := listPage(c, q, "DescribeStandards")
	if err != nil {
		return nil, err
	}
	type standard struct {
		StandardsArn       string            `json:"StandardsArn"`
		Name               string            `json:"Name"`
		Description        string            `json:"Description"`
		EnabledByDefault   bool              `json:"EnabledByDefault"`
		StandardsManagedBy map[string]string `json:"StandardsManagedBy"`
	}
	var all []standard
	for _, st := range s.cat.Standards {
		all = append(all, standard{StandardsArn: standardARN(c.region, st.ID), Name: st.Name,
			Description:        st.Name + " (" + st.ShortName + ")",
			EnabledByDefault:   st.Key == "fsbp" || strings.HasPrefix(st.ID, "ruleset/"),
			StandardsManagedBy: map[string]string{"Company": "AWS", "Product": "Security Hub"}})
	}
	items, next := page(all, offset, size, hash)
	out := map[string]any{"Standards": nonNil(items)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (s *Server) listSecurityControlDefinitions(c caller, q url.Values) (any, *shError) {
	arn := q.Get("StandardsArn")
	size, offset, hash, err := listPage(c, q, "ListSecurityControlDefinitions", arn)
	if err != nil {
		return nil, err
	}
	std := ""
	if arn != "" {
		if !strings.HasPrefix(arn, "arn:") {
			return nil, invalidInput("StandardsArn %q is not an ARN", arn)
		}
		st, ok := s.cat.Standard(arn)
		if !ok {
			return nil, invalidInput("Standard %s does not exist", arn)
		}
		std = st.ID
	}
	type definition struct {
		SecurityControlID         string   `json:"SecurityControlId"`
		Title                     string   `json:"Title"`
		Description               string   `json:"Description"`
		RemediationURL            string   `json:"RemediationUrl"`
		SeverityRating            string   `json:"SeverityRating"`
		CurrentRegionAvailability string   `json:"CurrentRegionAvailability"`
		CustomizableProperties    []string `json:"CustomizableProperties"`
	}
	var all []definition
	for _, ctl := range s.cat.Controls {
		if std != "" && !slices.Contains(ctl.Standards, std) {
			continue
		}
		all = append(all, definition{SecurityControlID: ctl.ID, Title: ctl.Title,
			Description: "This control checks: " + ctl.Title, RemediationURL: ctl.RemediationURL(),
			SeverityRating: ctl.Severity, CurrentRegionAvailability: "AVAILABLE",
			CustomizableProperties: []string{}})
	}
	items, next := page(all, offset, size, hash)
	out := map[string]any{"SecurityControlDefinitions": nonNil(items)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// ---------------------------------------------------------------------------------------------
// Finding aggregator and hub

func (s *Server) listFindingAggregators(c caller, q url.Values) (any, *shError) {
	size, offset, hash, err := listPage(c, q, "ListFindingAggregators")
	if err != nil {
		return nil, err
	}
	type aggregator struct {
		FindingAggregatorArn string `json:"FindingAggregatorArn"`
	}
	var all []aggregator
	// The aggregator belongs to the administrator; AWS lists it from any region.
	if s.aggARN != "" && c.account == s.admin {
		all = append(all, aggregator{s.aggARN})
	}
	items, next := page(all, offset, size, hash)
	out := map[string]any{"FindingAggregators": nonNil(items)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (s *Server) getFindingAggregator(c caller, arn string) (any, *shError) {
	if arn == "" {
		return nil, invalidInput("FindingAggregatorArn is required")
	}
	if !strings.HasPrefix(arn, "arn:aws:securityhub:") || !strings.Contains(arn, ":finding-aggregator/") {
		return nil, invalidInput("Invalid FindingAggregatorArn %s", arn)
	}
	if s.aggARN == "" || arn != s.aggARN || c.account != s.admin {
		return nil, &shError{http.StatusNotFound, "ResourceNotFoundException", "Finding aggregator " + arn + " not found"}
	}
	// The linked regions are the ones other than the aggregation region, as AWS reports them for
	// SPECIFIED_REGIONS.
	return map[string]any{
		"FindingAggregatorArn":     s.aggARN,
		"FindingAggregationRegion": s.HomeRegion(),
		"RegionLinkingMode":        "SPECIFIED_REGIONS",
		"Regions":                  s.regions[1:],
	}, nil
}

func (s *Server) describeHub(c caller, q url.Values) (any, *shError) {
	hub := "arn:aws:securityhub:" + c.region + ":" + c.account + ":hub/default"
	if h := q.Get("HubArn"); h != "" && h != hub {
		return nil, &shError{http.StatusNotFound, "ResourceNotFoundException", "Hub " + h + " not found"}
	}
	return map[string]any{
		"HubArn":                  hub,
		"SubscribedAt":            s.now.AddDate(-2, 0, 0).Format("2006-01-02T15:04:05.000Z"),
		"AutoEnableControls":      true,
		"ControlFindingGenerator": "SECURITY_CONTROL",
	}, nil
}
