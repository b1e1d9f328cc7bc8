package collect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// Collection modes of the AWS source.
const (
	// ModeAggregator reads every member's findings from the delegated administrator's finding
	// aggregation (home) region in one stream.
	ModeAggregator = "aggregator"
	// ModeAccounts assumes a role in every member account and reads each account/region in
	// parallel. Quotas are per account per region, so this is as many times faster as there are
	// pairs read at once.
	ModeAccounts = "accounts"
	// ModeRegions has the delegated administrator read each region itself, in parallel: its own
	// quota in every region, and no member role. Every read keeps only the findings whose Region
	// is the region read, so the home region's aggregated copies of the linked regions' findings
	// are not counted twice (awsregions.go).
	ModeRegions = "regions"
)

// AWSOptions configures the AWS source. Zero values take the defaults.
type AWSOptions struct {
	Mode string // ModeAggregator (default), ModeAccounts or ModeRegions
	// RoleName is the role assumed in each member account in accounts mode: a name
	// ("HubReportReader") or an ARN template with {account} in it.
	RoleName string
	// Regions read in accounts and regions mode. Empty: the home region plus the regions the
	// finding aggregator links, or just the home region when there is no aggregator.
	Regions         []string
	IncludeAccounts []string // empty: every ACTIVE account of the organization
	ExcludeAccounts []string
	// Shard and Shards split the accounts between Shards collectors (accounts mode): this one
	// reads the accounts whose id hashes to Shard (0-based). Zero Shards: all accounts.
	Shard, Shards int
	// MaxConcurrency bounds the account/region pairs read at once in accounts mode, and the
	// regions in regions mode (default 32).
	MaxConcurrency int
	// ProductNames, when set, narrows GetFindings server-side to these products
	// (e.g. "Security Hub" for control findings only).
	ProductNames []string
	// OwnerTag is the account tag whose value is the account's owner (default "owner").
	OwnerTag string
	// GetFindingsQuota and CatalogQuota pace requests per account, region and API class; zero
	// values take AWS's published quotas.
	GetFindingsQuota, CatalogQuota Quota
	// MaxAttempts per request, first try included (default 12): throttling and 5xx are retried
	// with exponential backoff up to 20 s between attempts.
	MaxAttempts int
	// AssumeRoleARN, when set, is assumed first with the default credentials: the security
	// account's role that every later call uses.
	AssumeRoleARN string
	Catalog       *catalog.Catalog // nil: catalog.Default()
	Progress      *Progress        // nil: not reported
	Log           *slog.Logger     // nil: discard

	// credentialWindow replaces CredentialExpiryWindow in tests, whose emulated credentials
	// live a few seconds.
	credentialWindow time.Duration
}

// DefaultRoleName is the member-account role assumed in accounts mode unless configured.
const DefaultRoleName = "HubReportReader"

// AWSSource reads Security Hub findings from an AWS Organization. Prepare finds out what to read
// (caller, accounts, regions, enabled standards and their controls); Collect reads it.
type AWSSource struct {
	cfg   aws.Config
	opts  AWSOptions
	pace  *pacer
	plan  *AWSPlan
	ident identityAPI
	home  *securityhub.Client
	// retired counts the findings dropped because their control is retired (Catalog.Retired).
	retired retiredCounts
	// stdARNs are the enabled standards' ARNs in the home region, by resource id.
	stdARNs map[string]string
}

// RetiredFindings is how many findings the last Collect dropped because their control is retired.
func (s *AWSSource) RetiredFindings() int64 { return s.retired.Total() }

// AWSPlan is what a run will read, known before the snapshot is opened.
type AWSPlan struct {
	AdministratorAccount string
	HomeRegion           string
	// AggregatorRegions are the home region and the regions linked to it ([home] when there is no
	// finding aggregator).
	AggregatorRegions []string
	Regions           []string // regions read (accounts, regions mode) or expected in the stream (aggregator)
	Accounts          []model.Account
	Standards         []model.Standard
	Controls          []model.Control
	// ListedAccounts is false when Organizations could not be read (aggregator mode then takes
	// the accounts from the findings).
	ListedAccounts bool
	// AllRegionsLinked is set when the aggregator links regions it does not list (RegionLinkingMode
	// ALL_REGIONS or ALL_REGIONS_EXCEPT_SPECIFIED): AggregatorRegions then holds only the home
	// region and the ones it names.
	AllRegionsLinked bool
	// Warnings are what Prepare could not read without failing (the OU tree); Collect stores them
	// with the snapshot.
	Warnings []model.Warning
}

// NewAWSSource returns a source using cfg's credentials and region (the home region). cfg
// normally comes from config.LoadDefaultConfig, which honours AWS_ENDPOINT_URL.
func NewAWSSource(cfg aws.Config, opts AWSOptions) (*AWSSource, error) {
	opts.Mode = cmp.Or(opts.Mode, ModeAggregator)
	if opts.Mode != ModeAggregator && opts.Mode != ModeAccounts && opts.Mode != ModeRegions {
		return nil, fmt.Errorf("collect: mode %q is not %s, %s or %s", opts.Mode, ModeAggregator, ModeAccounts, ModeRegions)
	}
	if opts.Shards > 1 && opts.Mode != ModeAccounts {
		return nil, fmt.Errorf("collect: sharding needs accounts mode: %s mode reads every account in each stream", opts.Mode)
	}
	if opts.Shards > 0 && (opts.Shard < 0 || opts.Shard >= opts.Shards) {
		return nil, fmt.Errorf("collect: shard %d is not in 0..%d", opts.Shard, opts.Shards-1)
	}
	if cfg.Region == "" {
		return nil, errors.New("collect: no AWS region: set AWS_REGION or a profile region (the Security Hub home region)")
	}
	opts.RoleName = cmp.Or(opts.RoleName, DefaultRoleName)
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = 32
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 12
	}
	if opts.GetFindingsQuota == (Quota{}) {
		opts.GetFindingsQuota = DefaultGetFindingsQuota
	}
	if opts.CatalogQuota == (Quota{}) {
		opts.CatalogQuota = DefaultCatalogQuota
	}
	if opts.Catalog == nil {
		cat, err := catalog.Default()
		if err != nil {
			return nil, err
		}
		opts.Catalog = cat
	}
	if opts.Progress == nil {
		opts.Progress = &Progress{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.credentialWindow <= 0 {
		opts.credentialWindow = CredentialExpiryWindow
	}
	stsOpts := func(creds aws.CredentialsProvider) func(*sts.Options) {
		return func(o *sts.Options) {
			o.Retryer = newRetryer(opts.MaxAttempts)()
			o.APIOptions = append(o.APIOptions, refreshExpired(creds, opts.Log))
		}
	}
	if opts.AssumeRoleARN != "" {
		base := cfg.Credentials
		cfg = cfg.Copy()
		cfg.Credentials = newCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg, stsOpts(base)), opts.AssumeRoleARN,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "hubreport" }), opts.credentialWindow)
	}
	// The SDK logs to stderr by default; its few warnings belong in the run's structured log.
	cfg.Logger = logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		level := slog.LevelDebug
		if c == logging.Warn {
			level = slog.LevelWarn
		}
		opts.Log.Log(context.Background(), level, "aws sdk: "+fmt.Sprintf(format, v...))
	})
	if cfg.HTTPClient == nil {
		// One connection pool for every client of the run, with room to keep a connection per
		// account/region read at once (the SDK's default keeps 10 per host; every member's reads
		// of a region go to the same regional endpoint).
		cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConns = 2 * opts.MaxConcurrency
			tr.MaxIdleConnsPerHost = opts.MaxConcurrency
		})
	}
	s := &AWSSource{cfg: cfg, opts: opts, pace: newPacer(opts.GetFindingsQuota, opts.CatalogQuota)}
	s.ident = sts.NewFromConfig(cfg, stsOpts(cfg.Credentials))
	return s, nil
}

// hubClient is a Security Hub client for one account's credentials in one region, paced by the
// run's shared token buckets.
func (s *AWSSource) hubClient(creds aws.CredentialsProvider, account, region string) *securityhub.Client {
	return securityhub.NewFromConfig(s.cfg, func(o *securityhub.Options) {
		o.Region = region
		o.Credentials = creds
		o.Retryer = newRetryer(s.opts.MaxAttempts)()
		o.APIOptions = append(o.APIOptions, s.pace.middleware(account, region), refreshExpired(creds, s.opts.Log))
	})
}

// Prepare finds the caller, the organization's accounts, the regions and the enabled standards
// with their controls. It stores nothing; Collect reads what it planned.
func (s *AWSSource) Prepare(ctx context.Context) (*AWSPlan, error) {
	id, err := s.ident.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("collect: who am I (sts GetCallerIdentity): %w", err)
	}
	p := &AWSPlan{AdministratorAccount: aws.ToString(id.Account), HomeRegion: s.cfg.Region}
	s.home = s.hubClient(s.cfg.Credentials, p.AdministratorAccount, p.HomeRegion)

	p.AggregatorRegions, p.AllRegionsLinked, err = aggregatorRegions(ctx, s.home, p.HomeRegion)
	if err != nil {
		return nil, fmt.Errorf("collect: finding aggregator in %s: %w", p.HomeRegion, err)
	}
	p.Regions = p.AggregatorRegions
	if s.opts.Mode != ModeAggregator && len(s.opts.Regions) > 0 {
		p.Regions = slices.Clone(s.opts.Regions)
	} else if s.opts.Mode == ModeRegions && p.AllRegionsLinked {
		// The aggregator names no regions, so the ones to read are found in the home region's
		// findings (discoverRegions).
		if p.Regions, err = s.discoverRegions(ctx, p.HomeRegion); err != nil {
			return nil, fmt.Errorf("collect: regions linked to %s: %w", p.HomeRegion, err)
		}
	}

	org := organizations.NewFromConfig(s.cfg, func(o *organizations.Options) {
		o.Retryer = newRetryer(s.opts.MaxAttempts)()
		o.APIOptions = append(o.APIOptions, refreshExpired(s.cfg.Credentials, s.opts.Log))
	})
	accounts, err := listAccounts(ctx, org)
	switch {
	case err == nil:
		p.ListedAccounts = true
		p.Accounts = s.filterAccounts(accounts)
		// The OU tree and owner tags place the accounts in reports. Without them the accounts are
		// still read, with no OU or owner: a warning, not a failed collection.
		if err := organizationTree(ctx, org, p.Accounts, cmp.Or(s.opts.OwnerTag, "owner")); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			s.opts.Log.Warn("cannot read the organization's OU tree or account tags; accounts have no OU or owner in this snapshot", "err", err)
			p.Warnings = append(p.Warnings, ouTreeWarning(err))
		}
	case s.opts.Mode != ModeAccounts && isAccessDenied(err):
		// A delegated administrator that is not also allowed to list the organization can still
		// read every member's findings (aggregator and regions mode); the accounts then come from
		// the findings themselves.
		s.opts.Log.Warn("cannot list the organization's accounts; taking them from the findings", "err", err)
	default:
		return nil, fmt.Errorf("collect: list the organization's accounts (organizations ListAccounts): %w", err)
	}
	if s.opts.Mode == ModeAccounts && len(p.Accounts) == 0 {
		if s.opts.Shards <= 1 {
			return nil, errors.New("collect: no ACTIVE account left to read after collect.aws.accounts include/exclude")
		}
		// With more shards than the hash spreads accounts to, a shard can be empty: that is
		// not this collector's failure.
		s.opts.Log.Warn("no account falls in this shard", "shard", s.opts.Shard+1, "shards", s.opts.Shards)
	}

	p.Standards, p.Controls, err = s.standards(ctx)
	if err != nil {
		return nil, fmt.Errorf("collect: enabled standards in %s: %w", p.HomeRegion, err)
	}
	s.plan = p
	return p, nil
}

// aggregatorRegions returns the home region followed by the regions its finding aggregator links,
// and whether it links regions it does not list (ALL_REGIONS, ALL_REGIONS_EXCEPT_SPECIFIED).
func aggregatorRegions(ctx context.Context, hub hubCatalogAPI, home string) (regions []string, unlisted bool, err error) {
	regions = []string{home}
	list, err := hub.ListFindingAggregators(ctx, &securityhub.ListFindingAggregatorsInput{})
	if err != nil {
		return nil, false, err
	}
	for _, a := range list.FindingAggregators {
		agg, err := hub.GetFindingAggregator(ctx, &securityhub.GetFindingAggregatorInput{FindingAggregatorArn: a.FindingAggregatorArn})
		if err != nil {
			return nil, false, err
		}
		if aws.ToString(agg.FindingAggregationRegion) != home {
			continue
		}
		unlisted = unlisted || aws.ToString(agg.RegionLinkingMode) != "SPECIFIED_REGIONS"
		// ALL_REGIONS lists no regions; the ones actually linked show up in the findings.
		if aws.ToString(agg.RegionLinkingMode) == "SPECIFIED_REGIONS" || aws.ToString(agg.RegionLinkingMode) == "ALL_REGIONS" {
			for _, r := range agg.Regions {
				if !slices.Contains(regions, r) {
					regions = append(regions, r)
				}
			}
		}
	}
	return regions, unlisted, nil
}

func listAccounts(ctx context.Context, org accountsAPI) ([]model.Account, error) {
	var out []model.Account
	pages := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Accounts {
			if !accountActive(a) {
				continue
			}
			out = append(out, model.Account{AccountID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Email: aws.ToString(a.Email)})
		}
	}
	slices.SortFunc(out, func(a, b model.Account) int { return cmp.Compare(a.AccountID, b.AccountID) })
	return out, nil
}

// accountActive reads State, which replaces the deprecated Status, falling back to Status for
// older responses.
func accountActive(a orgtypes.Account) bool {
	if a.State != "" {
		return a.State == orgtypes.AccountStateActive
	}
	return a.Status == orgtypes.AccountStatusActive
}

func (s *AWSSource) filterAccounts(all []model.Account) []model.Account {
	var out []model.Account
	for _, a := range all {
		if s.wanted(a.AccountID) {
			out = append(out, a)
		}
	}
	return out
}

// ouTreeWarning is the snapshot's warning for an organization tree that could not be read: AWS's
// error code and operation, and the permissions that let the next run read it.
func ouTreeWarning(err error) model.Warning {
	cause := "error"
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		cause = apiErr.ErrorCode()
	}
	var opErr *smithy.OperationError
	if errors.As(err, &opErr) {
		cause += " on " + opErr.OperationName
	}
	return model.Warning{Kind: "ou_tree_unreadable", Message: "cannot read the organization's OU tree or account tags (" + cause +
		"): accounts have no OU or owner in this snapshot. Grant the role organizations:ListRoots, " +
		"organizations:ListOrganizationalUnitsForParent, organizations:ListAccountsForParent and organizations:ListTagsForResource"}
}

func isAccessDenied(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "AccessDeniedException", "AccessDenied", "AWSOrganizationsNotInUseException":
		return true
	}
	return false
}

// standards lists the standards enabled in the home region and, for each, its controls as
// Security Hub defines them now: reports then name every control, even one no account has a
// finding for, and controls newer than the embedded catalog keep their real titles.
func (s *AWSSource) standards(ctx context.Context) ([]model.Standard, []model.Control, error) {
	var enabled []string
	var arns []string
	pages := securityhub.NewGetEnabledStandardsPaginator(s.home, &securityhub.GetEnabledStandardsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, sub := range page.StandardsSubscriptions {
			if sub.StandardsStatus == types.StandardsStatusFailed || sub.StandardsStatus == types.StandardsStatusDeleting {
				continue
			}
			arns = append(arns, aws.ToString(sub.StandardsArn))
			enabled = append(enabled, catalog.NormalizeStandardID(aws.ToString(sub.StandardsArn)))
		}
	}
	stds, ctls := s.opts.Catalog.ForSnapshot(enabled)
	known := map[string]bool{}
	for _, st := range stds {
		known[st.ID] = true
	}
	for _, id := range enabled {
		if !known[id] {
			// A standard newer than the catalog: named by its id until the catalog knows it.
			stds = append(stds, model.Standard{ID: id, Name: id, ShortName: id})
			known[id] = true
		}
	}
	index := map[[2]string]int{}
	for i, c := range ctls {
		index[[2]string{c.StandardID, c.ControlID}] = i
	}
	s.stdARNs = map[string]string{}
	for i, arn := range arns {
		s.stdARNs[enabled[i]] = arn
		defs, err := s.controlDefinitions(ctx, arn)
		if err != nil {
			// The embedded catalog still names the controls; the run is not worse than an import.
			s.opts.Log.Warn("cannot list the standard's controls; using the built-in catalog", "standard", enabled[i], "err", err)
			continue
		}
		for _, d := range defs {
			c := model.Control{StandardID: enabled[i], ControlID: aws.ToString(d.SecurityControlId), Title: aws.ToString(d.Title),
				Severity: string(d.SeverityRating), RemediationURL: aws.ToString(d.RemediationUrl)}
			if j, ok := index[[2]string{c.StandardID, c.ControlID}]; ok {
				old := ctls[j]
				c.Title, c.Severity = cmp.Or(c.Title, old.Title), cmp.Or(c.Severity, old.Severity)
				c.RemediationURL, c.Disabled = cmp.Or(c.RemediationURL, old.RemediationURL), old.Disabled
				ctls[j] = c
				continue
			}
			index[[2]string{c.StandardID, c.ControlID}] = len(ctls)
			ctls = append(ctls, c)
		}
	}
	return stds, ctls, nil
}

func (s *AWSSource) controlDefinitions(ctx context.Context, standardsArn string) ([]types.SecurityControlDefinition, error) {
	return listDefinitions(ctx, s.home, standardsArn)
}

// Meta describes the snapshot the plan fills.
func (p *AWSPlan) Meta(organization string) model.SnapshotMeta {
	return model.SnapshotMeta{Source: "aws", Organization: organization, AdministratorAccount: p.AdministratorAccount,
		AccountsExpected: len(p.Accounts)}
}
