// Package securityhub emulates AWS Security Hub (rest-json): GetFindings with AWS's filters,
// sorting, page sizes and tokens; GetEnabledStandards, DescribeStandards,
// ListSecurityControlDefinitions, ListStandardsControlAssociations, ListFindingAggregators,
// GetFindingAggregator, DescribeHub; and control enablement (enablement.go). It serves the
// findings and catalog of the estate it is handed, and writes them in ASFF with the estate
// package's encoder.
package securityhub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
	"github.com/hubreport/hubreport/internal/fakeaws/estate"
)

// Security Hub is rest-json. Errors carry the code in the X-Amzn-ErrorType header and the body
// {"Code":..,"Message":..}; the SDK's deserializer reads either, header first.

// Options are Security Hub's switches.
type Options struct {
	// Aggregator: a finding aggregator exists in the home region linking all regions, so the
	// administrator sees every region's findings there.
	Aggregator bool
	// AggregatorLinksAll: the aggregator's RegionLinkingMode is ALL_REGIONS (no regions listed)
	// instead of SPECIFIED_REGIONS.
	AggregatorLinksAll bool
	// DisabledRegions are "ACCOUNT:REGION" or "*:REGION" where Security Hub is not enabled.
	DisabledRegions []string
	// DisabledControls are the controls disabled per account; nil: the estate's.
	DisabledControls []estate.DisabledControl
	// CentralConfiguration turns central configuration on; nil: LOCAL configuration.
	CentralConfiguration *CentralConfiguration
	// MalformedFindings serves this many active findings in a form that decodes but cannot be
	// stored (malformed.go).
	MalformedFindings int
}

// Service is the emulated Security Hub. It is safe for concurrent use.
type Service struct {
	core *core.Core
	org  *estate.Org
	est  *estate.Estate
	cat  *estate.Catalog
	opts Options

	findings []*estate.Finding // the estate, in default order (ProductArn, Id)
	wire     [][]byte          // findings[i] as ASFF JSON
	// byRegion and byAccountRegion index findings (positions in default order).
	byRegion        map[string][]int
	byAccountRegion map[string][]int

	malformed    []string // ids of the findings served malformed (MalformedFindings)
	disabledCtls []estate.DisabledControl
	disabled     map[string]bool // "ACCOUNT:REGION" and "*:REGION"
	aggARN       string

	mu       sync.Mutex
	cache    map[string][]int // query key -> matching positions, sorted
	cacheLRU []string
}

// New serves e's findings and catalog to org's accounts.
func New(c *core.Core, org *estate.Org, e *estate.Estate, opts Options) (*Service, error) {
	if opts.MalformedFindings < 0 {
		return nil, &core.OptionsError{Field: "MalformedFindings", Reason: fmt.Sprintf("%d is negative", opts.MalformedFindings)}
	}
	s := &Service{core: c, org: org, est: e, cat: &e.Catalog, opts: opts,
		byRegion: map[string][]int{}, byAccountRegion: map[string][]int{},
		disabled: map[string]bool{}, cache: map[string][]int{}}
	for _, d := range opts.DisabledRegions {
		acct, region, ok := strings.Cut(strings.TrimSpace(d), ":")
		if !ok || acct == "" || region == "" {
			return nil, &core.OptionsError{Field: "DisabledRegions", Reason: fmt.Sprintf("%q is not ACCOUNT:REGION or *:REGION", d)}
		}
		s.disabled[acct+":"+region] = true
	}
	s.disabledCtls = opts.DisabledControls
	if s.disabledCtls == nil {
		s.disabledCtls = e.DisabledControls
	}
	if err := s.indexFindings(); err != nil {
		return nil, err
	}
	if err := s.breakFindings(); err != nil {
		return nil, err
	}
	if opts.Aggregator {
		s.aggARN = "arn:aws:securityhub:" + s.home() + ":" + org.Admin + ":finding-aggregator/" + core.HashUUID("aggregator/"+org.Admin)
	}
	return s, nil
}

// home is the home (aggregation) region.
func (s *Service) home() string { return s.est.Regions[0] }

// Findings are the findings served, in the default GetFindings order.
func (s *Service) Findings() []*estate.Finding { return slices.Clone(s.findings) }

// MalformedFindingIDs are the ids of the findings served malformed, sorted.
func (s *Service) MalformedFindingIDs() []string { return slices.Clone(s.malformed) }

// RefuseExpired answers a request signed with expired credentials.
func (s *Service) RefuseExpired(w http.ResponseWriter) {
	writeSHError(w, &shError{http.StatusForbidden, "ExpiredTokenException", core.ExpiredMessage})
}

// regionDisabled reports whether Security Hub is off for account in region.
func (s *Service) regionDisabled(account, region string) bool {
	return s.disabled[account+":"+region] || s.disabled["*:"+region]
}

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

// ServeHTTP answers a request of caller c; authErr says it carried no credentials.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request, c core.Caller, authErr error) {
	op, arg := shOperation(r)
	if op == "" {
		s.core.Count("Unknown")
		writeSHError(w, &shError{http.StatusNotFound, "UnknownOperationException",
			fmt.Sprintf("fakeaws: no Security Hub operation for %s %s", r.Method, r.URL.Path)})
		return
	}
	s.core.Count(op)
	if authErr != nil {
		writeSHError(w, &shError{http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token"})
		return
	}
	if serverErr, throttled := s.core.Fault(true); serverErr {
		writeSHError(w, &shError{http.StatusInternalServerError, "InternalException", "Internal service error (injected)"})
		return
	} else if throttled {
		writeSHError(w, &shError{http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded (injected)"})
		return
	}
	class := "Other"
	if op == "GetFindings" {
		class = core.ClassGetFindings
	}
	if !s.core.Allow(c, class) {
		writeSHError(w, &shError{http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded"})
		return
	}
	if !s.org.Active(c.Account) || s.regionDisabled(c.Account, c.Region) {
		writeSHError(w, &shError{http.StatusUnauthorized, "InvalidAccessException",
			"Account " + c.Account + " is not subscribed to AWS Security Hub in " + c.Region})
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
	core.WriteJSON(w, "application/json", res)
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
