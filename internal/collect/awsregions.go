package collect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/hubreport/hubreport/internal/model"
)

// Regions mode: the delegated administrator reads every region itself, all at once. Quotas are
// per account and region, so each region's read has its own GetFindings quota and the run takes
// as long as the region with the most findings, not the sum of them all. No member role is needed.
//
// The home (aggregation) region holds its own findings and copies of every linked region's; a
// linked region holds only its own (AWS's "Understanding cross-Region aggregation" page). Each
// read therefore asks only for the findings whose Region is the region read: the home region's
// copies are left on the server, and every finding is read exactly once, where it was produced.

// regionRead is what one region's read gave: the findings per account and the malformed ones per
// account/region (a finding names its pair), or the error that kept the region from being read.
type regionRead struct {
	seen map[[2]string]int64
	bad  map[[2]string]*malformed
	err  error // the region could not be read: recorded as every account's coverage there
}

// collectRegions reads the planned regions in parallel as the administrator. A region that cannot
// be read at all (Security Hub off there, access denied, still throttled) is recorded in every
// account's coverage for it and the run goes on. A region that fails after some of its findings
// went to the sink fails the run, as the aggregator's one stream does: the findings are not held
// back per region (a home region can hold most of a million), so the snapshot would otherwise keep
// part of a region.
func (s *AWSSource) collectRegions(ctx context.Context, sink Sink) error {
	p := s.plan
	s.opts.Progress.begin(len(p.Accounts), len(p.Regions))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reads := make([]regionRead, len(p.Regions))
	var mu sync.Mutex // guards sink
	var wg sync.WaitGroup
	sem := make(chan struct{}, s.opts.MaxConcurrency)
	fatal := make([]error, len(p.Regions))
	for i, region := range p.Regions {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				fatal[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			reads[i], fatal[i] = s.readRegion(ctx, region, sink, &mu)
			s.opts.Progress.pairDone()
			if fatal[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	// The first error that is not another region's cancellation names the cause.
	var first error
	for _, err := range fatal {
		if err != nil && (first == nil || errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = err
		}
	}
	if first != nil {
		return first
	}
	seen := map[[2]string]int64{}
	bad := map[[2]string]*malformed{}
	failed := map[string]error{}
	for i, r := range reads {
		if r.err != nil {
			failed[p.Regions[i]] = r.err
			continue
		}
		for k, n := range r.seen {
			seen[k] += n
		}
		for k, m := range r.bad {
			bad[k] = m
		}
	}
	return s.streamCoverage(ctx, sink, seen, bad, failed,
		"no findings in the region as the administrator reads it: Security Hub not enabled there for the account, or the account not a member there")
}

// readRegion reads one region as the administrator, with only the findings produced there. It
// returns an error only for what must stop the run; AWS's refusal to serve the region at all is
// the read's err.
func (s *AWSSource) readRegion(ctx context.Context, region string, sink Sink, mu *sync.Mutex) (read regionRead, err error) {
	p := s.plan
	defer s.contain(p.AdministratorAccount, region, &err)
	read = regionRead{seen: map[[2]string]int64{}, bad: map[[2]string]*malformed{}}
	hub := s.home
	if region != p.HomeRegion {
		hub = s.hubClient(s.cfg.Credentials, p.AdministratorAccount, region)
	}
	log := s.opts.Log.With("region", region)
	var sinkErr error
	var added int64
	err = s.readFindings(ctx, hub, s.findingsFilters("", region), func(batch []*model.Finding) error {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range batch {
			if !s.wanted(f.AccountID) {
				continue
			}
			read.seen[[2]string{f.AccountID, f.Region}]++
			if sinkErr = sink.AddFinding(f); sinkErr != nil {
				return sinkErr
			}
			added++
		}
		return nil
	}, func(x *types.AwsSecurityFinding, err error) {
		account := aws.ToString(x.AwsAccountId)
		if account == "" {
			account = p.AdministratorAccount
		}
		if !s.wanted(account) {
			return
		}
		k := [2]string{account, region}
		if read.bad[k] == nil {
			read.bad[k] = &malformed{}
		}
		read.bad[k].add(err, log.With("account", account))
	})
	switch {
	case err == nil:
		log.Debug("region collected", "findings", added)
		return read, nil
	case sinkErr != nil || ctx.Err() != nil:
		return read, err
	case added > 0:
		return read, fmt.Errorf("collect: region %s/%s failed after %d of its findings were read (the snapshot is not kept): %w",
			p.AdministratorAccount, region, added, err)
	}
	status, reason := coverageOf(err)
	log.Warn("region not collected", "status", status, "reason", reason)
	return regionRead{err: err}, nil
}

// discoverRegions finds the regions an ALL_REGIONS aggregator links, which GetFindingAggregator
// does not list: each probe asks the home region for one active finding of a region not found yet
// (Region NOT_EQUALS each region found so far, ANDed), until none is left. It costs one GetFindings
// call per region; AWS takes at most 20 values per filter field, which bounds what it can find.
func (s *AWSSource) discoverRegions(ctx context.Context, home string) ([]string, error) {
	regions := []string{home}
	for len(regions) <= maxFilterValues {
		f := &types.AwsSecurityFindingFilters{RecordState: []types.StringFilter{
			{Comparison: types.StringFilterComparisonEquals, Value: aws.String("ACTIVE")}}}
		for _, r := range regions {
			f.Region = append(f.Region, types.StringFilter{Comparison: types.StringFilterComparisonNotEquals, Value: aws.String(r)})
		}
		out, err := s.home.GetFindings(ctx, &securityhub.GetFindingsInput{Filters: f, MaxResults: aws.Int32(1)})
		if err != nil {
			return nil, err
		}
		if len(out.Findings) == 0 {
			return regions, nil
		}
		r := aws.ToString(out.Findings[0].Region)
		if r == "" || slices.Contains(regions, r) {
			return nil, fmt.Errorf("GetFindings with Region NOT_EQUALS %v returned a finding of region %q", regions, r)
		}
		regions = append(regions, r)
	}
	return nil, fmt.Errorf("the aggregator links more than %d regions and does not list them: set collect.aws.regions", maxFilterValues)
}
