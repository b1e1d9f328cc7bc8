// Package fakeaws is a local emulator of the AWS APIs the collector calls: Security Hub (rest-json:
// GetFindings, GetEnabledStandards, DescribeStandards, ListSecurityControlDefinitions,
// ListStandardsControlAssociations, ListFindingAggregators, GetFindingAggregator, DescribeHub, and control enablement in
// enablement.go: BatchGetStandardsControlAssociations and the central configuration), Organizations (JSON 1.1: ListAccounts)
// and STS (query protocol: AssumeRole, GetCallerIdentity). One http.Handler serves all three; a
// request is routed by the service of its SigV4 credential scope, so every SDK client can share one
// BaseEndpoint.
//
// The estate is the demo organization (internal/collect/demo) as of one day, so it is
// deterministic for given Options. Requests are not signature-checked: the access key id names the
// caller (see AccessKeyFor); the credentials AssumeRole issues do expire (CredentialTTL), and
// requests signed with expired ones are refused as AWS refuses them. Quotas, throttling, server
// errors, denied roles, regions where Security Hub is not enabled and malformed findings can be
// switched on to exercise a client's retry and partial-failure paths with the real SDK clients.
package fakeaws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/model"
)

// Defaults of Options.
const (
	DefaultAccounts = 20
	DefaultSeed     = 1

	// AWS's Security Hub quotas per account and region: GetFindings 3 requests a second with a
	// burst of 6; the other calls we make 10 a second with a burst of 30.
	DefaultGetFindingsRate  = 3
	DefaultGetFindingsBurst = 6
	DefaultOtherRate        = 10
	DefaultOtherBurst       = 30
)

// Options selects the estate and the faults. Zero values take the defaults.
type Options struct {
	Accounts           int   // default 20
	FindingsPerAccount int   // 0: what the demo generates
	Seed               int64 // default 1
	// Catalog is the control catalog the emulated Security Hub serves (DescribeStandards,
	// ListSecurityControlDefinitions, ListStandardsControlAssociations) and the demo estate's
	// findings are drawn from; nil: catalog.Default().
	Catalog *catalog.Catalog
	// Aggregator: a finding aggregator exists in the home region linking all regions, so the
	// administrator sees every region's findings there.
	Aggregator bool

	// Quotas per caller account per region per API class, like AWS's. Zero values mean AWS's:
	// GetFindings 3/s burst 6; other Security Hub calls 10/s burst 30. Unlimited turns quotas off.
	GetFindingsRate  float64
	GetFindingsBurst int
	OtherRate        float64
	OtherBurst       int
	Unlimited        bool

	// Fault injection.
	ThrottleRate    float64       // fraction of Security Hub requests answered 429 TooManyRequestsException regardless of quota
	ServerErrorRate float64       // fraction of requests answered 500 (InternalException, ServiceException, InternalFailure)
	DenyAssumeRole  []string      // account ids whose role cannot be assumed (STS AccessDenied)
	DisabledRegions []string      // "ACCOUNT:REGION" or "*:REGION": Security Hub is not enabled there
	Latency         time.Duration // added to every response
	FaultSeed       int64         // seeds the fault RNG
	// DenyOperations makes Security Hub answer 403 AccessDeniedException to an operation:
	// "ACCOUNT:Operation" or "*:Operation" (e.g. "*:BatchGetStandardsControlAssociations").
	DenyOperations []string
	// DisabledControls are the controls disabled per account (control associations). nil: the
	// demo organization's (IAM.6 in member accounts, a few controls in non-production ones);
	// empty and non-nil: none. Ignored for accounts a central configuration policy governs.
	DisabledControls []DisabledControl
	// CentralConfiguration turns central configuration on (DescribeOrganizationConfiguration
	// says CENTRAL) with these policies and associations; nil: LOCAL configuration.
	CentralConfiguration *CentralConfiguration

	// MalformedFindings serves this many active findings, spread over the estate, in a form that
	// decodes but cannot be stored (no Id, an empty AwsAccountId, a malformed UpdatedAt, in
	// turn); MalformedFindingIDs names them.
	MalformedFindings int

	// CredentialTTL is the lifetime of the credentials AssumeRole issues (default
	// DefaultCredentialTTL); requests signed with expired ones are refused with ExpiredToken or
	// ExpiredTokenException, as the service's protocol does.
	CredentialTTL time.Duration
	// Clock is the wall clock credentials expire by; nil: time.Now. A test moves it forward
	// instead of sleeping.
	Clock func() time.Time

	// AuditManager configures the emulated Audit Manager (see auditmanager.go); nil: the default
	// assessment and AWS's limits. ThrottleRate, ServerErrorRate, Latency and the "other" quota
	// apply to Audit Manager too (429 ThrottlingException, 500 InternalServerException).
	AuditManager *AuditManagerOptions

	// S3Buckets are the buckets the emulated S3 (s3.go) has, in every region; other buckets
	// answer 404 NoSuchBucket. ServerErrorRate (500 InternalError) and ThrottleRate (503
	// SlowDown) apply to S3.
	S3Buckets []string

	// SESVerifiedIdentities are the email addresses and domains SES (ses.go) may send from; a
	// domain covers its addresses and subdomains. Empty: every sender is verified.
	// ServerErrorRate (500 InternalFailure) and ThrottleRate (429 TooManyRequestsException)
	// apply to SES.
	SESVerifiedIdentities []string
	// SESMaxSendRate is the account's maximum send rate (recipients a second, SES counts every
	// destination); 0: unlimited. Over it SendEmail answers 429 TooManyRequestsException.
	SESMaxSendRate float64
}

// OptionsError is an invalid Options field.
type OptionsError struct {
	Field  string
	Reason string
}

func (e *OptionsError) Error() string { return "fakeaws: option " + e.Field + ": " + e.Reason }

// Stats counts what the server did.
type Stats struct {
	Requests         map[string]int // by operation name, e.g. "GetFindings"
	Throttled        int            // 429s sent, quota or injected
	ServerErrors     int            // 500s sent
	AssumeRoleDenied int            // AssumeRole calls answered AccessDenied
	ExpiredTokens    int            // requests refused for expired credentials (ExpiredToken, ExpiredTokenException)
	Uploads          int            // evidence files PUT to Audit Manager presigned URLs
	EvidenceImported int            // manual evidence items BatchImportEvidenceToAssessmentControl accepted

	S3Puts               int // S3 objects stored by PutObject (PutObjectDirect not counted)
	S3Gets               int // S3 GetObject requests answered with the object (presigned included)
	S3PreconditionFailed int // S3 requests answered 412 PreconditionFailed (PutObject, GetObject, HeadObject)
	EmailsSent           int // SES SendEmail calls accepted
}

// orgAccount is an account as Organizations lists it.
type orgAccount struct {
	model.Account
	Status       string // ACTIVE, SUSPENDED
	JoinedMethod string
	Joined       time.Time
}

// Server is the emulator. It is an http.Handler and safe for concurrent use.
type Server struct {
	opts       Options
	cat        *catalog.Catalog
	admin      string
	management string
	orgID      string
	regions    []string
	standards  []string
	accounts   []model.Account // ACTIVE
	orgList    []orgAccount    // what ListAccounts returns, ACTIVE and SUSPENDED
	inOrg      map[string]*orgAccount
	now        time.Time // the estate's clock: DateRange filters count back from it

	findings []*model.Finding // the estate, in default order (ProductArn, Id)
	wire     [][]byte         // findings[i] as ASFF JSON
	// byRegion and byAccountRegion index findings (positions in default order).
	byRegion        map[string][]int
	byAccountRegion map[string][]int

	malformed  []string // ids of the findings served malformed (MalformedFindings)
	denyAssume map[string]bool
	denyOps    map[string]bool
	// disabledCtls are the controls disabled per account (Options.DisabledControls, or the demo's).
	disabledCtls []DisabledControl
	disabled     map[string]bool // "ACCOUNT:REGION" and "*:REGION"
	aggARN       string

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	rng      *rand.Rand
	stats    Stats
	cache    map[string][]int // query key -> matching positions, sorted
	cacheLRU []string

	amOnce  sync.Once
	amState *amState // Audit Manager: assessments, uploads, imported evidence

	s3Once  sync.Once
	s3State *s3State // S3: buckets and objects

	sesOnce  sync.Once
	sesState *sesState // SES: sent emails
}

// New builds the estate. It takes about 50 ms for 20 accounts.
func New(opts Options) (*Server, error) {
	if opts.Accounts == 0 {
		opts.Accounts = DefaultAccounts
	}
	if opts.Seed == 0 {
		opts.Seed = DefaultSeed
	}
	switch {
	case opts.Accounts < 0:
		return nil, &OptionsError{"Accounts", fmt.Sprintf("%d is negative", opts.Accounts)}
	case opts.FindingsPerAccount < 0:
		return nil, &OptionsError{"FindingsPerAccount", fmt.Sprintf("%d is negative", opts.FindingsPerAccount)}
	case opts.ThrottleRate < 0 || opts.ThrottleRate > 1:
		return nil, &OptionsError{"ThrottleRate", fmt.Sprintf("%g is outside 0..1", opts.ThrottleRate)}
	case opts.ServerErrorRate < 0 || opts.ServerErrorRate > 1:
		return nil, &OptionsError{"ServerErrorRate", fmt.Sprintf("%g is outside 0..1", opts.ServerErrorRate)}
	case opts.Latency < 0:
		return nil, &OptionsError{"Latency", "negative"}
	case opts.CredentialTTL < 0:
		return nil, &OptionsError{"CredentialTTL", "negative"}
	case opts.MalformedFindings < 0:
		return nil, &OptionsError{"MalformedFindings", fmt.Sprintf("%d is negative", opts.MalformedFindings)}
	case opts.GetFindingsRate < 0 || opts.OtherRate < 0 || opts.GetFindingsBurst < 0 || opts.OtherBurst < 0:
		return nil, &OptionsError{"quota", "rates and bursts must not be negative"}
	}
	if opts.GetFindingsRate == 0 {
		opts.GetFindingsRate = DefaultGetFindingsRate
	}
	if opts.GetFindingsBurst == 0 {
		opts.GetFindingsBurst = DefaultGetFindingsBurst
	}
	if opts.OtherRate == 0 {
		opts.OtherRate = DefaultOtherRate
	}
	if opts.OtherBurst == 0 {
		opts.OtherBurst = DefaultOtherBurst
	}
	if opts.CredentialTTL == 0 {
		opts.CredentialTTL = DefaultCredentialTTL
	}
	cat := opts.Catalog
	if cat == nil {
		var err error
		if cat, err = catalog.Default(); err != nil {
			return nil, fmt.Errorf("fakeaws: %w", err)
		}
	}
	org, err := demo.New(demo.Config{Accounts: opts.Accounts, Days: 1, Seed: opts.Seed, Catalog: cat})
	if err != nil {
		return nil, fmt.Errorf("fakeaws: %w", err)
	}
	s := &Server{
		opts:            opts,
		cat:             cat,
		admin:           org.AdministratorAccount(),
		regions:         org.Regions(),
		standards:       org.Standards(),
		accounts:        org.Accounts(),
		now:             org.SnapshotTimes()[0],
		byRegion:        map[string][]int{},
		byAccountRegion: map[string][]int{},
		denyAssume:      map[string]bool{},
		disabled:        map[string]bool{},
		limiters:        map[string]*rate.Limiter{},
		rng:             rand.New(rand.NewPCG(uint64(opts.FaultSeed), 0x66616b65617773)),
		stats:           Stats{Requests: map[string]int{}},
		cache:           map[string][]int{},
	}
	s.denyOps = map[string]bool{}
	for _, d := range opts.DenyOperations {
		if acct, op, ok := strings.Cut(strings.TrimSpace(d), ":"); !ok || acct == "" || op == "" {
			return nil, &OptionsError{"DenyOperations", fmt.Sprintf("%q is not ACCOUNT:Operation or *:Operation", d)}
		}
		s.denyOps[strings.TrimSpace(d)] = true
	}
	s.disabledCtls = opts.DisabledControls
	if s.disabledCtls == nil {
		for _, d := range org.PlannedDisabledControls() {
			s.disabledCtls = append(s.disabledCtls, DisabledControl{Account: d.AccountID, ControlID: d.ControlID, Reason: d.Reason})
		}
	}
	for _, a := range opts.DenyAssumeRole {
		s.denyAssume[strings.TrimSpace(a)] = true
	}
	for _, d := range opts.DisabledRegions {
		acct, region, ok := strings.Cut(strings.TrimSpace(d), ":")
		if !ok || acct == "" || region == "" {
			return nil, &OptionsError{"DisabledRegions", fmt.Sprintf("%q is not ACCOUNT:REGION or *:REGION", d)}
		}
		s.disabled[acct+":"+region] = true
	}
	if err := checkS3Buckets(opts.S3Buckets); err != nil {
		return nil, err
	}
	if err := checkSESIdentities(opts.SESVerifiedIdentities); err != nil {
		return nil, err
	}
	s.buildOrg()
	if err := s.buildFindings(org); err != nil {
		return nil, err
	}
	if err := s.breakFindings(); err != nil {
		return nil, err
	}
	if opts.Aggregator {
		sum := sha256.Sum256([]byte("aggregator/" + s.admin))
		h := hex.EncodeToString(sum[:16])
		s.aggARN = "arn:aws:securityhub:" + s.HomeRegion() + ":" + s.admin + ":finding-aggregator/" +
			h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	}
	return s, nil
}

// buildOrg makes the Organizations view: the demo's accounts, ACTIVE, plus two SUSPENDED
// accounts that have no findings, so a collector must filter by status.
func (s *Server) buildOrg() {
	s.management = s.accounts[0].AccountID
	for _, a := range s.accounts {
		if a.Name == "management" {
			s.management = a.AccountID
		}
	}
	sum := sha256.Sum256([]byte("org/" + s.management))
	s.orgID = "o-" + hex.EncodeToString(sum[:5])
	base := s.now.AddDate(-3, 0, 0).Truncate(time.Hour)
	for i, a := range s.accounts {
		m := "CREATED"
		if i%4 == 3 {
			m = "INVITED"
		}
		s.orgList = append(s.orgList, orgAccount{Account: a, Status: "ACTIVE", JoinedMethod: m,
			Joined: base.Add(time.Duration(i) * 97 * time.Hour)})
	}
	used := map[string]bool{}
	for _, a := range s.accounts {
		used[a.AccountID] = true
	}
	for i, name := range []string{"closed-sandbox-legacy", "suspended-dev-old"} {
		h := sha256.Sum256([]byte(fmt.Sprintf("suspended/%d/%d", s.opts.Seed, i)))
		id := ""
		for k := 0; id == "" || used[id]; k++ {
			n := (uint64(h[0])<<32 | uint64(h[1])<<24 | uint64(h[2])<<16 | uint64(h[3])<<8 | uint64(h[4])) + uint64(k)
			id = fmt.Sprintf("%012d", 100000000000+n%899999999999)
		}
		used[id] = true
		acct := orgAccount{Account: model.Account{AccountID: id, Name: name, Email: "aws-" + name + "@acme-corp.example"},
			Status: "SUSPENDED", JoinedMethod: "CREATED", Joined: base.Add(time.Duration(i+1) * 30 * time.Hour)}
		// Put them among the others, not at the end, as AWS's order is not by status.
		at := min(len(s.orgList), (i+1)*len(s.orgList)/3)
		s.orgList = slices.Insert(s.orgList, at, acct)
	}
	s.inOrg = map[string]*orgAccount{}
	for i := range s.orgList {
		s.inOrg[s.orgList[i].AccountID] = &s.orgList[i]
	}
}

// estateSink collects a demo snapshot.
type estateSink struct {
	findings []*model.Finding
}

func (e *estateSink) AddFinding(f *model.Finding) error {
	e.findings = append(e.findings, f)
	return nil
}
func (e *estateSink) AddAccount(model.Account) error   { return nil }
func (e *estateSink) AddCoverage(model.Coverage) error { return nil }

var _ collect.Sink = (*estateSink)(nil)

func (s *Server) buildFindings(org *demo.Org) error {
	sink := &estateSink{}
	if err := org.Snapshot(context.Background(), 0, sink); err != nil {
		return fmt.Errorf("fakeaws: %w", err)
	}
	// Per account, findings in a stable order that interleaves the regions, so truncation keeps
	// every region the account has findings in.
	perAccount := map[string]map[string][]*model.Finding{}
	for _, f := range sink.findings {
		if perAccount[f.AccountID] == nil {
			perAccount[f.AccountID] = map[string][]*model.Finding{}
		}
		perAccount[f.AccountID][f.Region] = append(perAccount[f.AccountID][f.Region], f)
	}
	var template []*model.Finding // for accounts without findings of their own
	ordered := map[string][]*model.Finding{}
	for _, a := range s.accounts {
		byRegion := perAccount[a.AccountID]
		var out []*model.Finding
		for i := 0; ; i++ {
			added := false
			for _, r := range s.regions {
				if i < len(byRegion[r]) {
					out = append(out, byRegion[r][i])
					added = true
				}
			}
			if !added {
				break
			}
		}
		ordered[a.AccountID] = out
		if template == nil && len(out) > 0 {
			template = out
		}
	}
	var all []*model.Finding
	for _, a := range s.accounts {
		fs := ordered[a.AccountID]
		if n := s.opts.FindingsPerAccount; n > 0 {
			if len(fs) == 0 && len(template) > 0 {
				fs = rehome(template, a.AccountID)
			}
			if len(fs) >= n {
				fs = fs[:n]
			} else if len(fs) > 0 {
				orig := fs
				fs = slices.Clip(fs)
				for k := 2; len(fs) < n; k++ {
					for _, f := range orig {
						if len(fs) == n {
							break
						}
						c := *f
						c.ID = f.ID + "/copy-" + strconv.Itoa(k)
						fs = append(fs, &c)
					}
				}
			}
		}
		for _, f := range fs {
			if s.disabled[f.AccountID+":"+f.Region] || s.disabled["*:"+f.Region] {
				continue // Security Hub is not enabled there: no findings either
			}
			all = append(all, f)
		}
	}
	slices.SortStableFunc(all, func(a, b *model.Finding) int {
		if c := strings.Compare(a.ProductARN, b.ProductARN); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	s.findings = all
	s.wire = make([][]byte, len(all))
	for i, f := range all {
		b, err := collect.MarshalASFF(f)
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

// rehome copies another account's findings into account, for FindingsPerAccount when an
// account has none of its own.
func rehome(src []*model.Finding, account string) []*model.Finding {
	out := make([]*model.Finding, len(src))
	for i, f := range src {
		c := *f
		old := f.AccountID
		c.AccountID = account
		c.ID = strings.ReplaceAll(f.ID, old, account)
		c.ResourceID = strings.ReplaceAll(f.ResourceID, old, account)
		out[i] = &c
	}
	return out
}

// AdministratorAccount is the Security Hub delegated administrator account.
func (s *Server) AdministratorAccount() string { return s.admin }

// ManagementAccount is the organization's management account. It may call ListAccounts too.
func (s *Server) ManagementAccount() string { return s.management }

// HomeRegion is the home (aggregation) region.
func (s *Server) HomeRegion() string { return s.regions[0] }

// Regions lists the regions, home region first.
func (s *Server) Regions() []string { return slices.Clone(s.regions) }

// Accounts lists the ACTIVE member accounts, the administrator included. ListAccounts also
// returns SUSPENDED accounts, which are not listed here.
func (s *Server) Accounts() []model.Account { return slices.Clone(s.accounts) }

// Findings returns the whole estate, every record state, in the default GetFindings order
// (ProductArn, Id). Findings of account/regions listed in DisabledRegions are not part of it. The
// findings are shared: do not modify them.
func (s *Server) Findings() []*model.Finding { return slices.Clone(s.findings) }

// Standards lists the enabled standards as resource ids.
func (s *Server) Standards() []string { return slices.Clone(s.standards) }

// Now is the estate's clock: the time of the demo snapshot it serves. DateRange filters count back
// from it, since the findings do not move with the wall clock.
func (s *Server) Now() time.Time { return s.now }

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = make(map[string]int, len(s.stats.Requests))
	for k, v := range s.stats.Requests {
		st.Requests[k] = v
	}
	return st
}

// AccessKeyFor is the access key id that makes requests act as account.
func AccessKeyFor(account string) string { return "AKIAFAKE" + account }

// caller is who sent a request and where.
type caller struct {
	account string
	region  string
	service string
	session string // X-Amz-Security-Token
}

var errNoAuth = errors.New("missing authentication token")

// parseCaller reads the SigV4 credential scope from the Authorization header (or a presigned
// query). The signature is not checked.
func (s *Server) parseCaller(r *http.Request) (caller, error) {
	var cred string
	if h := r.Header.Get("Authorization"); h != "" {
		_, rest, ok := strings.Cut(h, "Credential=")
		if !ok {
			return caller{}, errNoAuth
		}
		cred, _, _ = strings.Cut(rest, ",")
	} else if q := r.URL.Query().Get("X-Amz-Credential"); q != "" {
		cred = q
	} else {
		return caller{}, errNoAuth
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return caller{}, errNoAuth
	}
	c := caller{account: s.admin, region: parts[2], service: parts[3], session: r.Header.Get("X-Amz-Security-Token")}
	akid := parts[0]
	for _, p := range []string{"AKIAFAKE", "ASIAFAKE"} {
		if id, ok := strings.CutPrefix(akid, p); ok && isAccountID(id) {
			c.account = id
		}
	}
	return c, nil
}

func isAccountID(s string) bool { return len(s) == 12 && strings.Trim(s, "0123456789") == "" }

// ServeHTTP routes a request to Security Hub, Organizations or STS.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", requestID())
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if strings.HasPrefix(r.URL.Path, UploadPathPrefix) {
		s.serveUpload(w, r) // presigned PUT from GetEvidenceFileUploadUrl: no SigV4 header
		return
	}
	if r.URL.Path == SESMessagesPath {
		s.serveSESMessages(w, r) // for tests of a built binary, unsigned
		return
	}
	c, err := s.parseCaller(r)
	service := c.service
	if err != nil {
		service = guessService(r)
	} else if s.credentialsExpired(c) {
		s.refuseExpired(w, r, service)
		return
	}
	switch service {
	case "organizations":
		s.serveOrganizations(w, r, c, err)
	case "sts":
		s.serveSTS(w, r, c, err)
	case "auditmanager":
		s.serveAuditManager(w, r, c, err)
	case "s3": // signed, or presigned (X-Amz-Credential in the query)
		s.serveS3(w, r, c, err)
	case "ses":
		s.serveSES(w, r, c, err)
	default:
		s.serveSecurityHub(w, r, c, err)
	}
}

// guessService names the service of an unsigned request from its shape.
func guessService(r *http.Request) string {
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSOrganizations") {
		return "organizations"
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return "sts"
	}
	return "securityhub"
}

var reqSeq struct {
	sync.Mutex
	n uint64
}

func requestID() string {
	reqSeq.Lock()
	reqSeq.n++
	n := reqSeq.n
	reqSeq.Unlock()
	sum := sha256.Sum256([]byte(strconv.FormatUint(n, 10)))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// count records a request to op.
func (s *Server) count(op string) {
	s.mu.Lock()
	s.stats.Requests[op]++
	s.mu.Unlock()
}

// fault draws the injected faults for one request: server error first, then throttling (when
// throttle is true). It counts what it returns.
func (s *Server) fault(throttle bool) (serverError, throttled bool) {
	if s.opts.ServerErrorRate == 0 && (!throttle || s.opts.ThrottleRate == 0) {
		return false, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.ServerErrorRate > 0 && s.rng.Float64() < s.opts.ServerErrorRate {
		s.stats.ServerErrors++
		return true, false
	}
	if throttle && s.opts.ThrottleRate > 0 && s.rng.Float64() < s.opts.ThrottleRate {
		s.stats.Throttled++
		return false, true
	}
	return false, false
}

// allow takes a token from the caller's bucket for class; false means over quota (counted).
func (s *Server) allow(c caller, class string) bool {
	if s.opts.Unlimited {
		return true
	}
	key := c.account + "\x00" + c.region + "\x00" + class
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limiters[key]
	if l == nil {
		if class == "GetFindings" {
			l = rate.NewLimiter(rate.Limit(s.opts.GetFindingsRate), s.opts.GetFindingsBurst)
		} else {
			l = rate.NewLimiter(rate.Limit(s.opts.OtherRate), s.opts.OtherBurst)
		}
		s.limiters[key] = l
	}
	if l.Allow() {
		return true
	}
	s.stats.Throttled++
	return false
}

// regionDisabled reports whether Security Hub is off for account in region.
func (s *Server) regionDisabled(account, region string) bool {
	return s.disabled[account+":"+region] || s.disabled["*:"+region]
}
