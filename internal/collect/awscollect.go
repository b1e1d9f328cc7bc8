package collect

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/hubreport/hubreport/internal/model"
)

// Collect reads the planned accounts and regions into sink. Prepare must have run. An
// account/region that cannot be read is recorded in coverage and the run goes on; only an error
// that makes the whole snapshot wrong (a broken aggregator stream, a failing sink, cancellation)
// is returned.
func (s *AWSSource) Collect(ctx context.Context, sink Sink) error {
	if s.plan == nil {
		return errors.New("collect: AWSSource.Collect before Prepare")
	}
	s.retired.reset()
	sink = retiredFilter{Sink: sink, cat: s.opts.Catalog, dropped: &s.retired}
	for _, w := range s.plan.Warnings {
		if err := AddWarning(sink, w); err != nil {
			return err
		}
	}
	for _, a := range s.plan.Accounts {
		if err := sink.AddAccount(a); err != nil {
			return err
		}
	}
	read := s.collectAggregator
	switch s.opts.Mode {
	case ModeAccounts:
		read = s.collectAccounts
	case ModeRegions:
		read = s.collectRegions
	}
	if err := read(ctx, sink); err != nil {
		return err
	}
	return s.retired.flush(sink)
}

// findingsFilters are the server-side filters of every GetFindings call: active records only
// (archived findings are out of the score and AWS keeps them for 90 days, so they would be most
// of the traffic), optionally only some products, the account read in accounts mode and the
// region read in accounts and regions mode.
func (s *AWSSource) findingsFilters(account, region string) *types.AwsSecurityFindingFilters {
	eq := func(v string) types.StringFilter {
		return types.StringFilter{Comparison: types.StringFilterComparisonEquals, Value: aws.String(v)}
	}
	f := &types.AwsSecurityFindingFilters{RecordState: []types.StringFilter{eq("ACTIVE")}}
	for _, p := range s.opts.ProductNames {
		f.ProductName = append(f.ProductName, eq(p))
	}
	switch {
	case account != "":
		f.AwsAccountId = []types.StringFilter{eq(account)}
	case len(s.opts.IncludeAccounts) > 0:
		// Aggregator mode: the include list goes to the server when it fits in one filter
		// (EQUALS values of a field are ORed). AWS rejects EQUALS and NOT_EQUALS on one field,
		// so the exclude list is then applied as the findings arrive, as are longer lists.
		if len(s.opts.IncludeAccounts) <= maxFilterValues {
			for _, a := range s.opts.IncludeAccounts {
				f.AwsAccountId = append(f.AwsAccountId, eq(a))
			}
		}
	case len(s.opts.ExcludeAccounts) <= maxFilterValues:
		for _, a := range s.opts.ExcludeAccounts {
			f.AwsAccountId = append(f.AwsAccountId, types.StringFilter{Comparison: types.StringFilterComparisonNotEquals, Value: aws.String(a)})
		}
	}
	if region != "" {
		f.Region = []types.StringFilter{eq(region)}
	}
	return f
}

// maxFilterValues is how many values of one field this tool puts in a filter; AWS documents a
// limit of 20 values per field.
const maxFilterValues = 20

// wanted applies the include and exclude lists and the shard to a finding's account.
func (s *AWSSource) wanted(account string) bool {
	if len(s.opts.IncludeAccounts) > 0 && !slices.Contains(s.opts.IncludeAccounts, account) {
		return false
	}
	if s.opts.Shards > 1 && ShardOf(account, s.opts.Shards) != s.opts.Shard {
		return false
	}
	return !slices.Contains(s.opts.ExcludeAccounts, account)
}

// ShardOf is the shard (0..shards-1) an account belongs to: a hash of its id, so an account stays
// in its shard when others join or leave the organization.
func ShardOf(account string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(account))
	return int(h.Sum32() % uint32(shards))
}

// readFindings pages through GetFindings with one unchanging query, calling fn per page with the
// findings that convert. A finding that does not (no Id, an unknown status, a malformed time) is
// handed to bad and left out: one bad record must not cost the rest of the run, and bad counts it
// so the snapshot says what was left out.
func (s *AWSSource) readFindings(ctx context.Context, hub findingsAPI, filters *types.AwsSecurityFindingFilters,
	fn func([]*model.Finding) error, bad func(x *types.AwsSecurityFinding, err error)) error {
	in := &securityhub.GetFindingsInput{Filters: filters, MaxResults: aws.Int32(100)}
	// The paginator stops on a repeated token (StopOnDuplicateToken) and sends the same
	// filters with every page, as NextToken requires.
	pages := securityhub.NewGetFindingsPaginator(hub, in, func(o *securityhub.GetFindingsPaginatorOptions) {
		o.StopOnDuplicateToken = true
	})
	for pages.HasMorePages() {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		batch := make([]*model.Finding, 0, len(page.Findings))
		for i := range page.Findings {
			f, err := convertFinding(&page.Findings[i], s.opts.Catalog)
			if err != nil {
				bad(&page.Findings[i], err)
				continue
			}
			batch = append(batch, f)
		}
		s.opts.Progress.addFindings(len(batch))
		if err := fn(batch); err != nil {
			return err
		}
	}
	return nil
}
