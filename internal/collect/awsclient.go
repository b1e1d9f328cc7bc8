package collect

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/hubreport/hubreport/internal/model"
)

// The SDK methods the AWS source calls, and nothing more: tests point the real clients at
// internal/fakeaws instead of mocking these.
type findingsAPI interface {
	GetFindings(ctx context.Context, in *securityhub.GetFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
}

type hubCatalogAPI interface {
	GetEnabledStandards(ctx context.Context, in *securityhub.GetEnabledStandardsInput, optFns ...func(*securityhub.Options)) (*securityhub.GetEnabledStandardsOutput, error)
	ListSecurityControlDefinitions(ctx context.Context, in *securityhub.ListSecurityControlDefinitionsInput, optFns ...func(*securityhub.Options)) (*securityhub.ListSecurityControlDefinitionsOutput, error)
	ListFindingAggregators(ctx context.Context, in *securityhub.ListFindingAggregatorsInput, optFns ...func(*securityhub.Options)) (*securityhub.ListFindingAggregatorsOutput, error)
	GetFindingAggregator(ctx context.Context, in *securityhub.GetFindingAggregatorInput, optFns ...func(*securityhub.Options)) (*securityhub.GetFindingAggregatorOutput, error)
}

type accountsAPI interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	ListRoots(ctx context.Context, in *organizations.ListRootsInput, optFns ...func(*organizations.Options)) (*organizations.ListRootsOutput, error)
	ListOrganizationalUnitsForParent(ctx context.Context, in *organizations.ListOrganizationalUnitsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
	ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListTagsForResource(ctx context.Context, in *organizations.ListTagsForResourceInput, optFns ...func(*organizations.Options)) (*organizations.ListTagsForResourceOutput, error)
}

type identityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

var (
	_ findingsAPI   = (*securityhub.Client)(nil)
	_ hubCatalogAPI = (*securityhub.Client)(nil)
	_ accountsAPI   = (*organizations.Client)(nil)
	_ identityAPI   = (*sts.Client)(nil)
)

// Operations lists every AWS API operation the collector calls, as IAM actions. The deployment's
// least-privilege policy is checked against it. DescribeStandards and
// ListStandardsControlAssociations are `reporter catalog refresh`'s (RefreshCatalog), run with the
// collector's role.
var Operations = []string{
	"securityhub:GetFindings",
	"securityhub:GetEnabledStandards",
	"securityhub:ListSecurityControlDefinitions",
	"securityhub:DescribeStandards",
	"securityhub:ListStandardsControlAssociations",
	"securityhub:ListFindingAggregators",
	"securityhub:GetFindingAggregator",
	// Control enablement: associations per account and region (accounts mode), the central
	// configuration (aggregator mode).
	"securityhub:BatchGetStandardsControlAssociations",
	"securityhub:DescribeOrganizationConfiguration",
	"securityhub:ListConfigurationPolicies",
	"securityhub:GetConfigurationPolicy",
	"securityhub:ListConfigurationPolicyAssociations",
	"securityhub:GetConfigurationPolicyAssociation",
	"organizations:ListAccounts",
	// The OU tree and the accounts' owner tags (collect.aws.owner_tag).
	"organizations:ListRoots",
	"organizations:ListOrganizationalUnitsForParent",
	"organizations:ListAccountsForParent",
	"organizations:ListTagsForResource",
	"sts:GetCallerIdentity",
	"sts:AssumeRole",
}

// Quota is a client-side request pace: a token bucket per account, region and API class.
type Quota struct {
	Rate  float64 // requests per second; negative means unpaced (for emulators without quotas)
	Burst int
}

// Unpaced sends requests as fast as the client can.
var Unpaced = Quota{Rate: -1}

// AWS's published Security Hub quotas: GetFindings 3/s burst 6, most other calls 10/s burst 30,
// per account per region.
var (
	DefaultGetFindingsQuota = Quota{Rate: 3, Burst: 6}
	DefaultCatalogQuota     = Quota{Rate: 10, Burst: 30}
)

// limiter is the client side of the quota. Its burst is one less than the service's: requests
// reach the server a little unevenly (one delayed more than the next), and a token of headroom
// absorbs that jitter for a third of a second's start-up cost instead of a throttled request and
// a backoff of a second or more.
func (q Quota) limiter() *rate.Limiter {
	if q.Rate <= 0 {
		return rate.NewLimiter(rate.Inf, 1)
	}
	return rate.NewLimiter(rate.Limit(q.Rate), max(q.Burst-1, 1))
}

// pacer hands out one token bucket per (account, region, class), shared by every client of the
// run, so two clients for the same endpoint never add up to more than the quota.
type pacer struct {
	findings, other Quota
	mu              sync.Mutex
	buckets         map[string]*rate.Limiter
}

func newPacer(findings, other Quota) *pacer {
	return &pacer{findings: findings, other: other, buckets: map[string]*rate.Limiter{}}
}

func (p *pacer) bucket(account, region, operation string) *rate.Limiter {
	q, class := p.other, "other"
	if operation == "GetFindings" {
		q, class = p.findings, "findings"
	}
	key := account + "/" + region + "/" + class
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.buckets[key]
	if !ok {
		l = q.limiter()
		p.buckets[key] = l
	}
	return l
}

// middleware waits for a token before every attempt, retries included: it sits in the Finalize
// step right after the retry middleware, so a retried request is paced like a first one, and
// before the credentials are fetched and the request is signed (GetIdentity, Signing), so a
// request held back by pacing leaves with fresh credentials and a current signing time, never
// with a signature computed before the wait.
func (p *pacer) middleware(account, region string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc(paceMiddlewareID,
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := p.bucket(account, region, middleware.GetOperationName(ctx)).Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				return next.HandleFinalize(ctx, in)
			}), "Retry", middleware.After)
	}
}

const paceMiddlewareID = "hubreport/pace"

// CredentialExpiryWindow is how long before their expiry assumed-role credentials are renewed:
// a request signed with credentials about to expire can reach AWS after they have (pacing, retries,
// a slow network), and STS rejects nothing for being asked early.
const CredentialExpiryWindow = 5 * time.Minute

// newCredentialsCache caches provider's credentials and renews them window before they expire.
func newCredentialsCache(provider aws.CredentialsProvider, window time.Duration) *aws.CredentialsCache {
	return aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = window })
}

// isExpiredToken reports whether AWS rejected a request for being signed with expired temporary
// credentials: STS and S3 say ExpiredToken, the JSON services ExpiredTokenException.
func isExpiredToken(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "ExpiredToken", "ExpiredTokenException":
		return true
	}
	return false
}

// invalidator is what a credentials cache offers to drop what it holds (aws.CredentialsCache).
type invalidator interface{ Invalidate() }

// refreshExpired retries a call once, with credentials fetched anew, when AWS answers that the
// credentials it was signed with have expired. That happens despite the expiry window when the
// host's clock is behind AWS's or a request spent long in flight; the retry is cheap and the
// alternative is an account/region recorded as not collected. It sits in the Initialize step, so
// the retry serializes, paces and signs a new request from the same input. A second expiry is
// returned as it is: the credentials source itself is handing out dead credentials.
func refreshExpired(creds aws.CredentialsProvider, log *slog.Logger) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc(refreshMiddlewareID,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if err == nil || !isExpiredToken(err) || ctx.Err() != nil {
					return out, md, err
				}
				if c, ok := creds.(invalidator); ok {
					c.Invalidate()
				}
				log.Info("credentials expired in flight; retrying once with fresh ones",
					"operation", middleware.GetOperationName(ctx), "err", err)
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
}

const refreshMiddlewareID = "hubreport/refresh-expired"

// newRetryer retries throttling and 5xx with exponential backoff and jitter up to maxAttempts.
// The SDK's client-side retry quota is off: the pacer already keeps the request rate within the
// service quota, and with many parallel endpoints the shared retry bucket would otherwise run dry
// and turn recoverable throttling into failures.
func newRetryer(maxAttempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = 20 * time.Second
			o.RateLimiter = ratelimit.None
		})
	}
}

// coverageOf classifies why an account/region could not be read.
func coverageOf(err error) (status, reason string) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		reason = code + ": " + apiErr.ErrorMessage()
		switch {
		case code == "InvalidAccessException":
			return model.CoverageNotEnabled, reason
		case code == "AccessDenied" || code == "AccessDeniedException" || code == "UnauthorizedOperation" ||
			code == "InvalidClientTokenId" || code == "UnrecognizedClientException":
			return model.CoverageDenied, reason
		case code == "ExpiredToken" || code == "ExpiredTokenException":
			// Not a permission problem: the credentials source handed out expired credentials
			// twice (see refreshExpired). Recorded as an error so nobody goes hunting in IAM.
			return model.CoverageError, reason + " (still expired after fetching fresh credentials: check the host clock and the credentials source)"
		case isThrottleCode(code):
			return model.CoverageThrottled, reason + " (still throttled after the retry budget)"
		}
		return model.CoverageError, reason
	}
	return model.CoverageError, err.Error()
}

func isThrottleCode(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok || strings.Contains(code, "Throttl")
}
