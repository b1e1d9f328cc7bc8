package collect

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/hubreport/hubreport/internal/model"
)

// Aggregator mode: one GetFindings stream from the delegated administrator's home region, where
// finding aggregation brings every member's findings of every linked region.

// collectAggregator reads the home region of the delegated administrator, which holds every
// member's findings of every linked region. Linked regions are not read again: that would count
// their findings twice.
func (s *AWSSource) collectAggregator(ctx context.Context, sink Sink) (err error) {
	p := s.plan
	defer s.contain(p.AdministratorAccount, p.HomeRegion, &err)
	s.opts.Progress.begin(len(p.Accounts), 1)
	seen := map[[2]string]int64{}
	bad := map[[2]string]*malformed{}
	err = s.readFindings(ctx, s.home, s.findingsFilters("", ""), func(batch []*model.Finding) error {
		for _, f := range batch {
			if !s.wanted(f.AccountID) {
				continue
			}
			seen[[2]string{f.AccountID, f.Region}]++
			if err := sink.AddFinding(f); err != nil {
				return err
			}
		}
		return nil
	}, func(x *types.AwsSecurityFinding, err error) {
		// Counted against the pair the finding names, or the administrator's home region when
		// it names none: the stream is read there.
		account, region := cmp.Or(aws.ToString(x.AwsAccountId), p.AdministratorAccount), cmp.Or(aws.ToString(x.Region), p.HomeRegion)
		if !s.wanted(account) {
			return
		}
		k := [2]string{account, region}
		if bad[k] == nil {
			bad[k] = &malformed{}
		}
		bad[k].add(err, s.opts.Log.With("account", account, "region", region))
	})
	if err != nil {
		// One stream: a failure part-way leaves no account complete, so the snapshot is not kept.
		return fmt.Errorf("collect: aggregator %s/%s: %w", p.AdministratorAccount, p.HomeRegion, err)
	}
	s.opts.Progress.pairDone()
	return s.streamCoverage(ctx, sink, seen, bad, nil,
		"no findings in the aggregation region: Security Hub not enabled there, the account not a member, or the region not linked to the aggregator")
}

// streamCoverage ends a collection read as the administrator (aggregator and regions mode): the
// accounts (listed, or found in the findings), their control enablement from the central
// configuration, and a coverage row for every account and region planned or seen. seen counts the
// findings per account/region, bad the malformed ones; failed holds the regions that could not be
// read at all, recorded for every account with the reason AWS gave. An account/region with no
// finding is missing, for the reason given.
func (s *AWSSource) streamCoverage(ctx context.Context, sink Sink, seen map[[2]string]int64, bad map[[2]string]*malformed,
	failed map[string]error, missingReason string) error {
	p := s.plan
	accounts := p.Accounts
	if !p.ListedAccounts {
		ids := map[string]bool{}
		for k := range seen {
			ids[k[0]] = true
		}
		for id := range ids {
			accounts = append(accounts, model.Account{AccountID: id})
		}
		slices.SortFunc(accounts, func(a, b model.Account) int { return cmp.Compare(a.AccountID, b.AccountID) })
	}
	unknown, err := s.centralEnablement(ctx, sink, accounts)
	if err != nil {
		return err
	}
	regions := slices.Clone(p.Regions)
	for k := range seen {
		if !slices.Contains(regions, k[1]) {
			regions = append(regions, k[1])
		}
	}
	slices.Sort(regions)
	for _, a := range accounts {
		for _, r := range regions {
			k := [2]string{a.AccountID, r}
			c := model.Coverage{AccountID: a.AccountID, Region: r, Status: model.CoverageCollected, Findings: seen[k]}
			bad[k].record(&c)
			delete(bad, k)
			if err := failed[r]; err != nil {
				c.Status, c.Reason = coverageOf(err)
			} else if c.Findings == 0 && c.Malformed == 0 {
				// Every enabled standard evaluates controls in every enabled region, so an
				// account/region with no finding at all is not being read.
				c.Status, c.Reason = model.CoverageMissing, missingReason
			} else if why := unknown[a.AccountID]; why != "" {
				c.Reason = enablementUnknown + ": " + why
			}
			if err := sink.AddCoverage(c); err != nil {
				return err
			}
		}
		s.opts.Progress.accountDone()
	}
	// Malformed findings naming a pair outside the plan (an account or region not listed) still
	// count: the snapshot must say something was left out.
	for _, k := range slices.SortedFunc(maps.Keys(bad), func(a, b [2]string) int { return cmp.Compare(a[0]+"/"+a[1], b[0]+"/"+b[1]) }) {
		c := model.Coverage{AccountID: k[0], Region: k[1], Status: model.CoverageCollected}
		bad[k].record(&c)
		if err := sink.AddCoverage(c); err != nil {
			return err
		}
	}
	return nil
}
