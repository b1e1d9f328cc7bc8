// Package core is what every emulated service shares: who sent a request (the SigV4 credential
// scope and the session token, with its expiry), the quotas per caller account and region, fault
// injection, the counters, and the wire helpers (JSON and XML bodies, pagination tokens). It
// imports nothing of the product, so the emulator cannot borrow the code it is meant to test.
package core

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// AWS's Security Hub quotas per account and region: GetFindings 3 requests a second with a burst
// of 6; the other calls we make 10 a second with a burst of 30.
const (
	DefaultGetFindingsRate  = 3
	DefaultGetFindingsBurst = 6
	DefaultOtherRate        = 10
	DefaultOtherBurst       = 30
)

// DefaultCredentialTTL is how long the credentials AssumeRole issues live unless
// Config.CredentialTTL says otherwise: AWS's default session duration.
const DefaultCredentialTTL = time.Hour

// ClassGetFindings is the quota class of GetFindings; every other class takes the "other" quota.
const ClassGetFindings = "GetFindings"

// Config is the shared behaviour of every service. Zero values take the defaults (New fills them).
type Config struct {
	GetFindingsRate  float64
	GetFindingsBurst int
	OtherRate        float64
	OtherBurst       int
	Unlimited        bool // quotas off

	ThrottleRate    float64 // fraction of requests answered 429 regardless of quota (services that throttle)
	ServerErrorRate float64 // fraction of requests answered 500
	FaultSeed       int64

	CredentialTTL time.Duration
	Clock         func() time.Time // nil: time.Now

	// DenyOperations are operations refused with AccessDeniedException, as "ACCOUNT:Operation"
	// or "*:Operation"; each service asks Denied and answers in its own protocol.
	DenyOperations []string
}

// OptionsError is an invalid option; Field names it.
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

// Core holds the state the services share. It is safe for concurrent use.
type Core struct {
	cfg  Config
	deny map[string]bool // DenyOperations

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	rng      *rand.Rand
	stats    Stats
}

// New checks cfg, fills in its defaults and returns the shared state.
func New(cfg Config) (*Core, error) {
	switch {
	case cfg.ThrottleRate < 0 || cfg.ThrottleRate > 1:
		return nil, &OptionsError{"ThrottleRate", formatRate(cfg.ThrottleRate)}
	case cfg.ServerErrorRate < 0 || cfg.ServerErrorRate > 1:
		return nil, &OptionsError{"ServerErrorRate", formatRate(cfg.ServerErrorRate)}
	case cfg.CredentialTTL < 0:
		return nil, &OptionsError{"CredentialTTL", "negative"}
	case cfg.GetFindingsRate < 0 || cfg.OtherRate < 0 || cfg.GetFindingsBurst < 0 || cfg.OtherBurst < 0:
		return nil, &OptionsError{"quota", "rates and bursts must not be negative"}
	}
	deny := map[string]bool{}
	for _, d := range cfg.DenyOperations {
		d = strings.TrimSpace(d)
		if acct, op, ok := strings.Cut(d, ":"); !ok || acct == "" || op == "" {
			return nil, &OptionsError{"DenyOperations", fmt.Sprintf("%q is not ACCOUNT:Operation or *:Operation", d)}
		}
		deny[d] = true
	}
	if cfg.GetFindingsRate == 0 {
		cfg.GetFindingsRate = DefaultGetFindingsRate
	}
	if cfg.GetFindingsBurst == 0 {
		cfg.GetFindingsBurst = DefaultGetFindingsBurst
	}
	if cfg.OtherRate == 0 {
		cfg.OtherRate = DefaultOtherRate
	}
	if cfg.OtherBurst == 0 {
		cfg.OtherBurst = DefaultOtherBurst
	}
	if cfg.CredentialTTL == 0 {
		cfg.CredentialTTL = DefaultCredentialTTL
	}
	return &Core{
		cfg:      cfg,
		deny:     deny,
		limiters: map[string]*rate.Limiter{},
		rng:      rand.New(rand.NewPCG(uint64(cfg.FaultSeed), 0x66616b65617773)),
		stats:    Stats{Requests: map[string]int{}},
	}, nil
}

// Config returns the configuration in effect, defaults filled in.
func (c *Core) Config() Config { return c.cfg }

// Now is the wall clock credentials expire by.
func (c *Core) Now() time.Time {
	if c.cfg.Clock != nil {
		return c.cfg.Clock()
	}
	return time.Now()
}

// Count records a request to op.
func (c *Core) Count(op string) {
	c.mu.Lock()
	c.stats.Requests[op]++
	c.mu.Unlock()
}

// Update changes the counters under the lock.
func (c *Core) Update(f func(*Stats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

// Stats returns a copy of the counters.
func (c *Core) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stats
	st.Requests = make(map[string]int, len(c.stats.Requests))
	for k, v := range c.stats.Requests {
		st.Requests[k] = v
	}
	return st
}

// Fault draws the injected faults for one request: server error first, then throttling (when
// throttle is true). It counts what it returns.
func (c *Core) Fault(throttle bool) (serverError, throttled bool) {
	if c.cfg.ServerErrorRate == 0 && (!throttle || c.cfg.ThrottleRate == 0) {
		return false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg.ServerErrorRate > 0 && c.rng.Float64() < c.cfg.ServerErrorRate {
		c.stats.ServerErrors++
		return true, false
	}
	if throttle && c.cfg.ThrottleRate > 0 && c.rng.Float64() < c.cfg.ThrottleRate {
		c.stats.Throttled++
		return false, true
	}
	return false, false
}

// Allow takes a token from the caller's bucket for class (ClassGetFindings or any other name,
// which takes the "other" quota); false means over quota, and is counted.
func (c *Core) Allow(who Caller, class string) bool {
	if c.cfg.Unlimited {
		return true
	}
	key := who.Account + "\x00" + who.Region + "\x00" + class
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.limiters[key]
	if l == nil {
		if class == ClassGetFindings {
			l = rate.NewLimiter(rate.Limit(c.cfg.GetFindingsRate), c.cfg.GetFindingsBurst)
		} else {
			l = rate.NewLimiter(rate.Limit(c.cfg.OtherRate), c.cfg.OtherBurst)
		}
		c.limiters[key] = l
	}
	if l.Allow() {
		return true
	}
	c.stats.Throttled++
	return false
}

func formatRate(r float64) string { return strconv.FormatFloat(r, 'g', -1, 64) + " is outside 0..1" }

// Denied reports whether op is refused to account (Config.DenyOperations).
func (c *Core) Denied(account, op string) bool {
	return c.deny[account+":"+op] || c.deny["*:"+op]
}
