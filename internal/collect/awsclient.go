package collect

import (
	"context"
	"errors"
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

	"github.com/hubreport/hubreport/internal/store"
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
// least-privilege policy is checked against it.
var Operations = []string{
	"securityhub:GetFindings",
	"securityhub:GetEnabledStandards",
	"securityhub:ListSecurityControlDefinitions",
	"securityhub:ListFindingAggregators",
	"securityhub:GetFindingAggregator",
	"organizations:ListAccounts",
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
// step after the retry middleware, so a retried request is paced like a first one.
func (p *pacer) middleware(account, region string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("hubreport/pace",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := p.bucket(account, region, middleware.GetOperationName(ctx)).Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}

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
			return store.CoverageNotEnabled, reason
		case code == "AccessDenied" || code == "AccessDeniedException" || code == "UnauthorizedOperation" ||
			code == "InvalidClientTokenId" || code == "ExpiredToken" || code == "UnrecognizedClientException":
			return store.CoverageDenied, reason
		case isThrottleCode(code):
			return store.CoverageThrottled, reason + " (still throttled after the retry budget)"
		}
		return store.CoverageError, reason
	}
	return store.CoverageError, err.Error()
}

func isThrottleCode(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok || strings.Contains(code, "Throttl")
}
