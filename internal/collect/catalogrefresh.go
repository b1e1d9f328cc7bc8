package collect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// The Security Hub methods a catalog refresh calls, and nothing more.
type catalogRefreshAPI interface {
	DescribeStandards(ctx context.Context, in *securityhub.DescribeStandardsInput, optFns ...func(*securityhub.Options)) (*securityhub.DescribeStandardsOutput, error)
	ListSecurityControlDefinitions(ctx context.Context, in *securityhub.ListSecurityControlDefinitionsInput, optFns ...func(*securityhub.Options)) (*securityhub.ListSecurityControlDefinitionsOutput, error)
	ListStandardsControlAssociations(ctx context.Context, in *securityhub.ListStandardsControlAssociationsInput, optFns ...func(*securityhub.Options)) (*securityhub.ListStandardsControlAssociationsOutput, error)
}

var _ catalogRefreshAPI = (*securityhub.Client)(nil)

// RefreshOptions configures RefreshCatalog. Zero values take the defaults.
type RefreshOptions struct {
	// Known is the catalog in use (nil: catalog.Default()). AWS's APIs give neither a standard's
	// short key nor a control's resource type and scope, nor the legacy control ids; those of
	// standards and controls Known has are kept, so configs and the demo that name "fsbp" or
	// "cis5" keep working with the refreshed file.
	Known *catalog.Catalog
	// Quota paces the calls (default DefaultCatalogQuota, AWS's 10/s burst 30).
	Quota Quota
	// MaxAttempts per request, first try included (default 12).
	MaxAttempts int
	// AssumeRoleARN, when set, is assumed first with cfg's credentials, as collect.aws.
	// assume_role_arn is for a collection: the security account's role reads the catalog.
	AssumeRoleARN string
	// Retrieved is the date written in the file (default: today, UTC).
	Retrieved time.Time
	Log       *slog.Logger // nil: discard
}

// RefreshCatalog reads the control catalog Security Hub CSPM serves to the account cfg's
// credentials belong to, in cfg.Region: the standards (DescribeStandards), every security control
// (ListSecurityControlDefinitions), each standard's controls (ListSecurityControlDefinitions by
// StandardsArn: also for standards the account has not enabled) and each control's related
// requirements in the enabled standards (ListStandardsControlAssociations). The file names the
// account and region it was read from, never the credentials.
func RefreshCatalog(ctx context.Context, cfg aws.Config, opts RefreshOptions) (*catalog.File, error) {
	if cfg.Region == "" {
		return nil, errors.New("catalog refresh: no AWS region: set AWS_REGION or a profile region")
	}
	if opts.Quota == (Quota{}) {
		opts.Quota = DefaultCatalogQuota
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 12
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	stsOpts := func(o *sts.Options) { o.Retryer = newRetryer(opts.MaxAttempts)() }
	if opts.AssumeRoleARN != "" {
		cfg = cfg.Copy()
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg, stsOpts), opts.AssumeRoleARN,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "hubreport-catalog" }))
	}
	ident := sts.NewFromConfig(cfg, stsOpts)
	id, err := ident.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("catalog refresh: who am I (sts GetCallerIdentity): %w", err)
	}
	account := aws.ToString(id.Account)
	pace := newPacer(opts.Quota, opts.Quota)
	hub := securityhub.NewFromConfig(cfg, func(o *securityhub.Options) {
		o.Retryer = newRetryer(opts.MaxAttempts)()
		o.APIOptions = append(o.APIOptions, pace.middleware(account, cfg.Region))
	})
	return readCatalog(ctx, hub, account, cfg.Region, opts)
}

// StandardKeys derives a standard's key and slug from its ARN or resource id, the version kept
// in both: standards/pci-dss/v/4.0.1 -> key pci-dss-4.0.1, slug pci-dss-v4.0.1;
// ruleset/cis-aws-foundations-benchmark/v/1.2.0 -> cis-aws-foundations-benchmark-1.2.0 and
// cis-aws-foundations-benchmark-v1.2.0. An id without "/v/" gives its path, dashed, for both.
func StandardKeys(arnOrID string) (key, slug string) {
	id := catalog.NormalizeStandardID(arnOrID)
	if _, rest, ok := strings.Cut(id, "/"); ok {
		id = rest
	}
	if name, version, ok := strings.Cut(id, "/v/"); ok {
		name = strings.ReplaceAll(name, "/", "-")
		return name + "-" + version, name + "-v" + version
	}
	s := strings.ReplaceAll(id, "/", "-")
	return s, s
}

func readCatalog(ctx context.Context, hub catalogRefreshAPI, account, region string, opts RefreshOptions) (*catalog.File, error) {
	known := opts.Known
	if known == nil {
		var err error
		if known, err = catalog.Default(); err != nil {
			return nil, err
		}
	}
	retrieved := opts.Retrieved
	if retrieved.IsZero() {
		retrieved = time.Now()
	}
	f := &catalog.File{
		Source: fmt.Sprintf("AWS Security Hub CSPM APIs (DescribeStandards, ListSecurityControlDefinitions, "+
			"ListStandardsControlAssociations) of account %s in %s", account, region),
		Retrieved: retrieved.UTC().Format(time.DateOnly),
		Standards: []catalog.FileStandard{}, Controls: []catalog.FileControl{},
		Retired: []catalog.FileRetired{}, Legacy: []catalog.FileLegacy{},
	}

	// Standards, keyed by resource id.
	keyOf := map[string]string{}
	var arns []string
	pages := securityhub.NewDescribeStandardsPaginator(hub, &securityhub.DescribeStandardsInput{MaxResults: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("catalog refresh: list standards (DescribeStandards): %w", err)
		}
		for _, s := range page.Standards {
			arn := aws.ToString(s.StandardsArn)
			id := catalog.NormalizeStandardID(arn)
			if id == "" || keyOf[id] != "" {
				continue
			}
			key, slug := StandardKeys(id)
			fs := catalog.FileStandard{Key: key, ID: id, Name: cmp.Or(aws.ToString(s.Name), id), Slug: slug}
			if k, ok := known.Standard(id); ok {
				fs.Key, fs.ShortName = k.Key, k.ShortName
			}
			fs.ShortName = cmp.Or(fs.ShortName, fs.Name)
			if m := s.StandardsManagedBy; strings.Contains(id, "/service-managed-") ||
				(m != nil && aws.ToString(m.Product) != "" && !strings.HasPrefix(aws.ToString(m.Product), "Security Hub")) {
				fs.ServiceManaged = true
			}
			keyOf[id] = fs.Key
			arns = append(arns, arn)
			f.Standards = append(f.Standards, fs)
		}
	}
	slices.SortFunc(f.Standards, func(a, b catalog.FileStandard) int { return cmp.Compare(a.ID, b.ID) })

	// Every control, then each standard's members.
	defs, err := listDefinitions(ctx, hub, "")
	if err != nil {
		return nil, fmt.Errorf("catalog refresh: list security controls (ListSecurityControlDefinitions): %w", err)
	}
	controls := map[string]*catalog.FileControl{}
	for _, d := range defs {
		ctl := fileControl(d, known)
		if ctl.ID == "" || controls[ctl.ID] != nil {
			continue
		}
		controls[ctl.ID] = &ctl
	}
	for _, arn := range arns {
		id := catalog.NormalizeStandardID(arn)
		members, err := listDefinitions(ctx, hub, arn)
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidInputException" {
			// A standard this API does not describe by ARN (AWS has refused some service-managed
			// ones): its members still come from the associations below, for an enabled one.
			opts.Log.Warn("cannot list the standard's controls; membership from its control associations only", "standard", id, "err", err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("catalog refresh: controls of %s (ListSecurityControlDefinitions): %w", id, err)
		}
		for _, d := range members {
			ctl := controls[aws.ToString(d.SecurityControlId)]
			if ctl == nil {
				c := fileControl(d, known)
				ctl = &c
				controls[ctl.ID] = ctl
			}
			ctl.Standards = append(ctl.Standards, keyOf[id])
		}
	}

	// Related requirements, and membership in the enabled standards, per control.
	ids := make([]string, 0, len(controls))
	for id := range controls {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, model.CompareControlIDs)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ctl := controls[id]
		pages := securityhub.NewListStandardsControlAssociationsPaginator(hub, &securityhub.ListStandardsControlAssociationsInput{
			SecurityControlId: aws.String(id), MaxResults: aws.Int32(100)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("catalog refresh: standards of control %s (ListStandardsControlAssociations): %w", id, err)
			}
			for _, a := range page.StandardsControlAssociationSummaries {
				if key := keyOf[catalog.NormalizeStandardID(aws.ToString(a.StandardsArn))]; key != "" {
					ctl.Standards = append(ctl.Standards, key)
				}
				ctl.Requirements = append(ctl.Requirements, a.RelatedRequirements...)
			}
		}
		slices.Sort(ctl.Standards)
		ctl.Standards = slices.Compact(ctl.Standards)
		slices.Sort(ctl.Requirements)
		ctl.Requirements = slices.Compact(ctl.Requirements)
		if ctl.Standards == nil {
			ctl.Standards = []string{}
		}
		f.Controls = append(f.Controls, *ctl)
	}

	// Legacy ids of the known catalog whose standard and control are still there.
	for _, l := range known.Legacy() {
		s, ok := known.Standard(l.Standard)
		if key := keyOf[s.ID]; ok && key != "" && controls[l.ControlID] != nil {
			f.Legacy = append(f.Legacy, catalog.FileLegacy{Standard: key, LegacyID: l.LegacyID, ControlID: l.ControlID})
		}
	}
	slices.SortFunc(f.Legacy, func(a, b catalog.FileLegacy) int {
		return cmp.Or(cmp.Compare(a.Standard, b.Standard), cmp.Compare(a.LegacyID, b.LegacyID))
	})

	// What we write must load: a refresh that cannot be used is an error now, not at the next run.
	if _, err := catalog.FromFile(f); err != nil {
		return nil, fmt.Errorf("catalog refresh: what account %s in %s serves does not make a usable catalog: %w", account, region, err)
	}
	return f, nil
}

// listDefinitions pages through the control definitions of one standard, or of all ("").
func listDefinitions(ctx context.Context, hub securityhub.ListSecurityControlDefinitionsAPIClient, standardsArn string) ([]types.SecurityControlDefinition, error) {
	in := &securityhub.ListSecurityControlDefinitionsInput{MaxResults: aws.Int32(100)}
	if standardsArn != "" {
		in.StandardsArn = aws.String(standardsArn)
	}
	var out []types.SecurityControlDefinition
	pages := securityhub.NewListSecurityControlDefinitionsPaginator(hub, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.SecurityControlDefinitions...)
	}
	return out, nil
}

// fileControl is a control definition as the catalog file holds it. AWS does not say whether a
// control is evaluated once per account or per region, nor its resource type: the known
// catalog's are kept, and a control it does not know is regional, as most are.
func fileControl(d types.SecurityControlDefinition, known *catalog.Catalog) catalog.FileControl {
	ctl := catalog.FileControl{ID: aws.ToString(d.SecurityControlId), Title: aws.ToString(d.Title),
		Severity: string(d.SeverityRating), Scope: "regional", RemediationURL: aws.ToString(d.RemediationUrl)}
	if k, ok := known.Control(ctl.ID); ok {
		ctl.ResourceType = k.ResourceType
		if k.Global {
			ctl.Scope = "global"
		}
		ctl.Title = cmp.Or(ctl.Title, k.Title)
		ctl.Severity = cmp.Or(ctl.Severity, k.Severity)
	}
	return ctl
}
