// Package fakeaws is a local emulator of the AWS APIs the product calls: Security Hub,
// Organizations, STS, Audit Manager, S3 and SES v2, one subpackage each over a small core (core:
// callers and credential expiry, quotas, fault injection, wire helpers). One http.Handler serves
// them all; a request is routed by the service of its SigV4 credential scope, so every SDK client
// can share one BaseEndpoint.
//
// The emulator serves the Estate it is handed (accounts, findings, control catalog, disabled
// controls; see package estate) and writes AWS's wire format with its own code. It imports nothing
// of the product, so a bug in the product's encoders or decoders cannot hide in both; cmd/fakeaws
// and the tests hand it the demo organization (internal/collect/demo/demoaws).
//
// Requests are not signature-checked: the access key id names the caller (see AccessKeyFor); the
// credentials AssumeRole issues do expire (CredentialTTL), and requests signed with expired ones
// are refused as AWS refuses them. Quotas, throttling, server errors, denied roles, regions where
// Security Hub is not enabled and malformed findings can be switched on to exercise a client's
// retry and partial-failure paths with the real SDK clients.
package fakeaws

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/auditmanager"
	"github.com/hubreport/hubreport/internal/fakeaws/core"
	"github.com/hubreport/hubreport/internal/fakeaws/estate"
	"github.com/hubreport/hubreport/internal/fakeaws/organizations"
	"github.com/hubreport/hubreport/internal/fakeaws/s3"
	"github.com/hubreport/hubreport/internal/fakeaws/securityhub"
	"github.com/hubreport/hubreport/internal/fakeaws/ses"
	"github.com/hubreport/hubreport/internal/fakeaws/sts"
)

// Defaults of Options.
const (
	DefaultSeed = 1

	DefaultGetFindingsRate  = core.DefaultGetFindingsRate
	DefaultGetFindingsBurst = core.DefaultGetFindingsBurst
	DefaultOtherRate        = core.DefaultOtherRate
	DefaultOtherBurst       = core.DefaultOtherBurst
)

// Options are the estate and the faults. Zero values take the defaults.
type Options struct {
	// Estate is what the emulator serves; required. It is shared: do not modify it afterwards.
	Estate *Estate
	// Seed derives the ids the emulator makes up (the default Audit Manager assessment); default 1.
	Seed int64
	// Aggregator: a finding aggregator exists in the home region linking all regions, so the
	// administrator sees every region's findings there.
	Aggregator bool
	// AggregatorLinksAll makes the aggregator link ALL_REGIONS, which GetFindingAggregator
	// answers without listing them; false: SPECIFIED_REGIONS, listing the estate's other regions.
	AggregatorLinksAll bool

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
	// DenyOperations makes Security Hub (403) or Organizations (400, as AWS answers) refuse an
	// operation with AccessDeniedException: "ACCOUNT:Operation" or "*:Operation" (e.g.
	// "*:BatchGetStandardsControlAssociations", "*:ListOrganizationalUnitsForParent").
	DenyOperations []string
	// DisabledControls are the controls disabled per account (control associations). nil: the
	// estate's; empty and non-nil: none. Ignored for accounts a central configuration policy
	// governs.
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

	// AuditManager configures the emulated Audit Manager (package auditmanager); nil: the default
	// assessment and AWS's limits. ThrottleRate, ServerErrorRate, Latency and the "other" quota
	// apply to Audit Manager too (429 ThrottlingException, 500 InternalServerException).
	AuditManager *AuditManagerOptions

	// S3Buckets are the buckets the emulated S3 (package s3) has, in every region; other buckets
	// answer 404 NoSuchBucket. ServerErrorRate (500 InternalError) and ThrottleRate (503
	// SlowDown) apply to S3.
	S3Buckets []string

	// SESVerifiedIdentities are the email addresses and domains SES (package ses) may send from; a
	// domain covers its addresses and subdomains. Empty: every sender is verified.
	// ServerErrorRate (500 InternalFailure) and ThrottleRate (429 TooManyRequestsException)
	// apply to SES.
	SESVerifiedIdentities []string
	// SESMaxSendRate is the account's maximum send rate (recipients a second, SES counts every
	// destination); 0: unlimited. Over it SendEmail answers 429 TooManyRequestsException.
	SESMaxSendRate float64
}

// Server is the emulator. It is an http.Handler and safe for concurrent use.
type Server struct {
	opts Options
	core *core.Core
	org  *estate.Org
	est  *Estate

	securityHub   *securityhub.Service
	organizations *organizations.Service
	sts           *sts.Service
	auditManager  *auditmanager.Service
	s3            *s3.Service
	ses           *ses.Service
}

// New checks opts and builds the services over opts.Estate.
func New(opts Options) (*Server, error) {
	if opts.Estate == nil {
		return nil, &OptionsError{Field: "Estate", Reason: "nil: the emulator serves the estate it is handed"}
	}
	if opts.Seed == 0 {
		opts.Seed = DefaultSeed
	}
	if opts.Latency < 0 {
		return nil, &OptionsError{Field: "Latency", Reason: "negative"}
	}
	c, err := core.New(core.Config{GetFindingsRate: opts.GetFindingsRate, GetFindingsBurst: opts.GetFindingsBurst,
		OtherRate: opts.OtherRate, OtherBurst: opts.OtherBurst, Unlimited: opts.Unlimited,
		ThrottleRate: opts.ThrottleRate, ServerErrorRate: opts.ServerErrorRate, FaultSeed: opts.FaultSeed,
		CredentialTTL: opts.CredentialTTL, Clock: opts.Clock, DenyOperations: opts.DenyOperations})
	if err != nil {
		return nil, err
	}
	cfg := c.Config()
	opts.GetFindingsRate, opts.GetFindingsBurst, opts.OtherRate, opts.OtherBurst = cfg.GetFindingsRate, cfg.GetFindingsBurst, cfg.OtherRate, cfg.OtherBurst
	opts.CredentialTTL = cfg.CredentialTTL
	org, err := estate.NewOrg(opts.Estate)
	if err != nil {
		return nil, &OptionsError{Field: "Estate", Reason: err.Error()}
	}
	s := &Server{opts: opts, core: c, org: org, est: opts.Estate}
	if s.s3, err = s3.New(c, opts.S3Buckets); err != nil {
		return nil, err
	}
	if s.ses, err = ses.New(c, opts.SESVerifiedIdentities, opts.SESMaxSendRate); err != nil {
		return nil, err
	}
	s.securityHub, err = securityhub.New(c, org, opts.Estate, securityhub.Options{Aggregator: opts.Aggregator,
		AggregatorLinksAll: opts.AggregatorLinksAll, DisabledRegions: opts.DisabledRegions,
		DisabledControls: opts.DisabledControls, CentralConfiguration: opts.CentralConfiguration,
		MalformedFindings: opts.MalformedFindings})
	if err != nil {
		return nil, err
	}
	s.organizations = organizations.New(c, org)
	s.sts = sts.New(c, org, opts.DenyAssumeRole)
	s.auditManager = auditmanager.New(c, org.Admin, s.HomeRegion(), opts.AuditManager, opts.Seed)
	return s, nil
}

// AdministratorAccount is the Security Hub delegated administrator account.
func (s *Server) AdministratorAccount() string { return s.org.Admin }

// ManagementAccount is the organization's management account. It may call ListAccounts too.
func (s *Server) ManagementAccount() string { return s.org.Management }

// HomeRegion is the home (aggregation) region.
func (s *Server) HomeRegion() string { return s.est.Regions[0] }

// Regions lists the regions, home region first.
func (s *Server) Regions() []string { return slices.Clone(s.est.Regions) }

// Accounts lists the ACTIVE accounts, the administrator included. ListAccounts also returns
// SUSPENDED accounts, which are not listed here.
func (s *Server) Accounts() []Account {
	var out []Account
	for _, a := range s.org.Accounts {
		if a.Active() {
			out = append(out, a)
		}
	}
	return out
}

// Findings returns the findings served, every record state, in the default GetFindings order
// (ProductArn, Id). Findings of account/regions listed in DisabledRegions are not part of it. The
// findings are shared: do not modify them.
func (s *Server) Findings() []*Finding { return s.securityHub.Findings() }

// MalformedFindingIDs are the ids (as in Findings) of the findings served malformed, sorted.
func (s *Server) MalformedFindingIDs() []string { return s.securityHub.MalformedFindingIDs() }

// Standards lists the enabled standards as resource ids.
func (s *Server) Standards() []string { return slices.Clone(s.est.Standards) }

// Now is the estate's clock. DateRange filters count back from it, since the findings do not move
// with the wall clock.
func (s *Server) Now() time.Time { return s.est.Now }

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats { return s.core.Stats() }

// Assessment returns a copy of the Audit Manager assessment the emulator hosts.
func (s *Server) Assessment() Assessment { return s.auditManager.Assessment() }

// ImportedEvidence lists the evidence imported into a control of an assessment, in order.
func (s *Server) ImportedEvidence(assessmentID, controlSetID, controlID string) []ImportedEvidence {
	return s.auditManager.ImportedEvidence(assessmentID, controlSetID, controlID)
}

// Object returns a copy of an object in the emulated S3.
func (s *Server) Object(bucket, key string) (S3Object, bool) { return s.s3.Object(bucket, key) }

// ObjectKeys lists a bucket's keys, sorted.
func (s *Server) ObjectKeys(bucket string) []string { return s.s3.ObjectKeys(bucket) }

// PutObjectDirect stores an object as another writer would (binary/octet-stream, SSE-S3, new
// ETag and LastModified), bypassing HTTP, faults and Stats. It creates the bucket when
// Options.S3Buckets does not list it.
func (s *Server) PutObjectDirect(bucket, key string, body []byte) {
	s.s3.PutObjectDirect(bucket, key, body)
}

// SentEmails lists the emails SendEmail accepted, in order. Raw bytes are copies.
func (s *Server) SentEmails() []SentEmail { return s.ses.SentEmails() }

// ServeHTTP routes a request to the service of its credential scope.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", core.RequestID())
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
		s.auditManager.ServeUpload(w, r) // presigned PUT from GetEvidenceFileUploadUrl: no SigV4 header
		return
	}
	if r.URL.Path == SESMessagesPath {
		s.ses.ServeMessages(w, r) // for tests of a built binary, unsigned
		return
	}
	c, err := core.ParseCaller(r, s.org.Admin)
	service := c.Service
	if err != nil {
		service = guessService(r)
	}
	type handler interface {
		ServeHTTP(w http.ResponseWriter, r *http.Request, c core.Caller, authErr error)
	}
	var h handler
	var refuse func()
	switch service {
	case "organizations":
		h, refuse = s.organizations, func() { s.organizations.RefuseExpired(w) }
	case "sts":
		h, refuse = s.sts, func() { s.sts.RefuseExpired(w) }
	case "auditmanager":
		h, refuse = s.auditManager, func() { s.auditManager.RefuseExpired(w) }
	case "s3": // signed, or presigned (X-Amz-Credential in the query)
		h, refuse = s.s3, func() { s.s3.RefuseExpired(w, r) }
	case "ses":
		h, refuse = s.ses, func() { s.ses.RefuseExpired(w) }
	default:
		h, refuse = s.securityHub, func() { s.securityHub.RefuseExpired(w) }
	}
	// Expired credentials are refused before anything else is looked at, as AWS does.
	if err == nil && s.core.Expired(c) {
		refuse()
		return
	}
	h.ServeHTTP(w, r, c, err)
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
