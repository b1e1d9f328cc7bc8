package collect

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/hubreport/hubreport/internal/model"
)

// Accounts mode: a role assumed in every member account, and every account/region read in
// parallel by a bounded pool of workers.

// pair is one account/region of accounts mode.
type pair struct {
	account *memberAccount
	region  string
}

// memberAccount holds one account's credentials, assumed once and shared by its regions.
type memberAccount struct {
	id      string
	once    sync.Once
	creds   aws.CredentialsProvider
	err     error
	pending atomic.Int32 // regions not read yet
}

func (s *AWSSource) roleARN(account string) string {
	if strings.HasPrefix(s.opts.RoleName, "arn:") {
		return strings.ReplaceAll(s.opts.RoleName, "{account}", account)
	}
	return "arn:aws:iam::" + account + ":role/" + s.opts.RoleName
}

// credentials assumes the member role (the administrator account reads with its own credentials)
// and checks it works before any region is read, so a denied role is one clear coverage reason.
func (s *AWSSource) credentials(ctx context.Context, m *memberAccount) (aws.CredentialsProvider, error) {
	m.once.Do(func() {
		if m.id == s.plan.AdministratorAccount {
			m.creds = s.cfg.Credentials
			return
		}
		arn := s.roleARN(m.id)
		provider := stscreds.NewAssumeRoleProvider(s.ident, arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "hubreport"
		})
		// Renewed CredentialExpiryWindow before they expire: a run outlasts the role's session
		// (an hour by default) when an account has many findings.
		cache := newCredentialsCache(provider, s.opts.credentialWindow)
		if _, err := cache.Retrieve(ctx); err != nil {
			m.err = fmt.Errorf("assume role %s: %w", arn, err)
			return
		}
		m.creds = cache
	})
	return m.creds, m.err
}

// collectAccounts reads every account/region pair with a bounded pool of workers. A pair's
// findings are held until the pair is read to the end, so a pair that fails half-way adds
// nothing but its coverage row: the snapshot never holds a partial account/region.
func (s *AWSSource) collectAccounts(ctx context.Context, sink Sink) error {
	p := s.plan
	// Region by region, home region first: the home region holds the global resources' findings
	// and is usually every account's longest read, so those start first and the run is not left
	// waiting on one long pair started last.
	members := make([]*memberAccount, len(p.Accounts))
	for i, a := range p.Accounts {
		members[i] = &memberAccount{id: a.AccountID}
		members[i].pending.Store(int32(len(p.Regions)))
	}
	var pairs []pair
	for _, r := range p.Regions {
		for _, m := range members {
			pairs = append(pairs, pair{account: m, region: r})
		}
	}
	s.opts.Progress.begin(len(p.Accounts), len(pairs))

	var mu sync.Mutex // guards sink and firstErr
	var firstErr error
	work := make(chan pair)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range min(s.opts.MaxConcurrency, len(pairs)) {
		wg.Go(func() {
			for pr := range work {
				err := s.collectPair(ctx, pr, sink, &mu)
				s.opts.Progress.pairDone()
				if pr.account.pending.Add(-1) == 0 {
					s.opts.Progress.accountDone()
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
				}
			}
		})
	}
feed:
	for _, pr := range pairs {
		select {
		case work <- pr:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// collectPair reads one account/region. It returns an error only for what must stop the run
// (cancellation, a sink failure, a panic); anything AWS answered is recorded as the pair's
// coverage, and findings that cannot be converted are left out and counted there.
func (s *AWSSource) collectPair(ctx context.Context, pr pair, sink Sink, mu *sync.Mutex) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	account, region := pr.account.id, pr.region
	defer s.contain(account, region, &err)
	log := s.opts.Log.With("account", account, "region", region)
	cov := model.Coverage{AccountID: account, Region: region, Status: model.CoverageCollected}
	creds, err := s.credentials(ctx, pr.account)
	var found []*model.Finding
	var bad malformed
	if err == nil {
		hub := s.hubClient(creds, account, region)
		err = s.readFindings(ctx, hub, s.findingsFilters(account, region), func(batch []*model.Finding) error {
			found = append(found, batch...)
			return nil
		}, func(_ *types.AwsSecurityFinding, err error) { bad.add(err, log) })
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		cov.Status, cov.Reason = coverageOf(err)
		log.Warn("account/region not collected", "status", cov.Status, "reason", cov.Reason)
		mu.Lock()
		defer mu.Unlock()
		return sink.AddCoverage(cov)
	}
	cov.Findings = int64(len(found))
	bad.record(&cov)
	// The pair's control enablement, with the same client (the account's role, this region). A
	// failure here costs the disabled controls, not the findings: the pair is collected, and its
	// coverage says the enablement is unknown.
	disabled, derr := s.associations(ctx, s.hubClient(creds, account, region), account, region)
	if derr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		cov.Reason = enablementUnknown + ": " + derr.Error() + "; statuses come from the findings alone"
		log.Warn("control enablement not read", "err", derr)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, d := range disabled {
		if err := AddDisabled(sink, d); err != nil {
			return err
		}
	}
	for _, f := range found {
		if err := sink.AddFinding(f); err != nil {
			return err
		}
	}
	log.Debug("account/region collected", "findings", len(found), "malformed", bad.n)
	return sink.AddCoverage(cov)
}
