package collect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// Control enablement. A control disabled for a standard in an account and region is DISABLED
// there (see model.DisabledControl). Accounts mode reads each account/region's associations with
// BatchGetStandardsControlAssociations; aggregator mode reads the administrator's central
// configuration. Where neither can be read, the findings are all there is (AWS archives a
// disabled control's findings, so they drop out of the scores after a while), and the pair's
// coverage reason says so (EnablementUnknown).

// enablementUnknown starts the coverage reason of a collected pair whose control enablement could
// not be read; analyze lists such pairs apart from the gaps.
const enablementUnknown = "control enablement not read"

// associationsAPI is what accounts mode calls to read control enablement.
type associationsAPI interface {
	BatchGetStandardsControlAssociations(ctx context.Context, in *securityhub.BatchGetStandardsControlAssociationsInput, opts ...func(*securityhub.Options)) (*securityhub.BatchGetStandardsControlAssociationsOutput, error)
}

// centralConfigAPI is what aggregator mode calls to read the central configuration.
type centralConfigAPI interface {
	DescribeOrganizationConfiguration(ctx context.Context, in *securityhub.DescribeOrganizationConfigurationInput, opts ...func(*securityhub.Options)) (*securityhub.DescribeOrganizationConfigurationOutput, error)
	securityhub.ListConfigurationPoliciesAPIClient
	GetConfigurationPolicy(ctx context.Context, in *securityhub.GetConfigurationPolicyInput, opts ...func(*securityhub.Options)) (*securityhub.GetConfigurationPolicyOutput, error)
	securityhub.ListConfigurationPolicyAssociationsAPIClient
	GetConfigurationPolicyAssociation(ctx context.Context, in *securityhub.GetConfigurationPolicyAssociationInput, opts ...func(*securityhub.Options)) (*securityhub.GetConfigurationPolicyAssociationOutput, error)
}

var (
	_ associationsAPI  = (*securityhub.Client)(nil)
	_ centralConfigAPI = (*securityhub.Client)(nil)
)

// maxAssociationIDs is BatchGetStandardsControlAssociations' limit per call. With about 500
// enabled standard/control pairs that is 5 calls per account and region; ListStandardsControl
// Associations takes one control per call, so it would be about 400.
const maxAssociationIDs = 100

// regionalARN is a standard's ARN in region: standards ARNs name their region; the CIS 1.2.0
// ruleset's is global.
func regionalARN(arn, region string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[3] == "" {
		return arn
	}
	parts[3] = region
	return strings.Join(parts, ":")
}

// associations reads which of the plan's controls are disabled in one account and region.
func (s *AWSSource) associations(ctx context.Context, hub associationsAPI, account, region string) ([]model.DisabledControl, error) {
	var ids []types.StandardsControlAssociationId
	for _, c := range s.plan.Controls {
		if arn := s.stdARNs[c.StandardID]; arn != "" && !c.Disabled {
			ids = append(ids, types.StandardsControlAssociationId{SecurityControlId: aws.String(c.ControlID),
				StandardsArn: aws.String(regionalARN(arn, region))})
		}
	}
	var out []model.DisabledControl
	for batch := range slices.Chunk(ids, maxAssociationIDs) {
		res, err := hub.BatchGetStandardsControlAssociations(ctx, &securityhub.BatchGetStandardsControlAssociationsInput{
			StandardsControlAssociationIds: batch})
		if err != nil {
			return nil, err
		}
		for _, u := range res.UnprocessedAssociations {
			// A control the catalog lists but this account or region lacks is not found: nothing
			// to read. Denied is another matter: the enablement is then unknown.
			if u.ErrorCode == types.UnprocessedErrorCodeAccessDenied {
				return nil, fmt.Errorf("BatchGetStandardsControlAssociations: %s: %s", u.ErrorCode, aws.ToString(u.ErrorReason))
			}
		}
		for _, d := range res.StandardsControlAssociationDetails {
			if d.AssociationStatus != types.AssociationStatusDisabled {
				continue
			}
			out = append(out, model.DisabledControl{AccountID: account, Region: region,
				StandardID: catalog.NormalizeStandardID(aws.ToString(d.StandardsArn)), ControlID: aws.ToString(d.SecurityControlId),
				Source: model.DisabledByAssociation, Reason: aws.ToString(d.UpdatedReason)})
		}
	}
	return out, nil
}

// selfManaged is the policy id AWS gives self-managed accounts.
const selfManaged = "SELF_MANAGED_SECURITY_HUB"

// centralPolicy is what a configuration policy says about controls.
type centralPolicy struct {
	name           string
	serviceEnabled bool
	enabled        []string // EnabledSecurityControlIdentifiers: every other control disabled
	disabled       []string // DisabledSecurityControlIdentifiers
	hasEnabled     bool
}

// central reads the administrator's central configuration and returns the controls disabled in
// each of accounts, for the regions central configuration governs (the home region and the
// regions linked to it), and, for accounts it says nothing about, why (the coverage note).
// A whole-organization failure (central configuration off, access denied) is the error.
func (s *AWSSource) central(ctx context.Context, hub centralConfigAPI, accounts []string) ([]model.DisabledControl, map[string]string, error) {
	org, err := hub.DescribeOrganizationConfiguration(ctx, &securityhub.DescribeOrganizationConfigurationInput{})
	if err != nil {
		return nil, nil, fmt.Errorf("DescribeOrganizationConfiguration: %w", err)
	}
	if oc := org.OrganizationConfiguration; oc == nil || oc.ConfigurationType != types.OrganizationConfigurationConfigurationTypeCentral {
		return nil, nil, errors.New("central configuration is not in use (the organization's configuration type is LOCAL)")
	}
	policies := map[string]*centralPolicy{}
	pages := securityhub.NewListConfigurationPoliciesPaginator(hub, &securityhub.ListConfigurationPoliciesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("ListConfigurationPolicies: %w", err)
		}
		for _, sum := range page.ConfigurationPolicySummaries {
			p, err := hub.GetConfigurationPolicy(ctx, &securityhub.GetConfigurationPolicyInput{Identifier: sum.Id})
			if err != nil {
				return nil, nil, fmt.Errorf("GetConfigurationPolicy %s: %w", aws.ToString(sum.Id), err)
			}
			cp := &centralPolicy{name: aws.ToString(p.Name)}
			if sh, ok := p.ConfigurationPolicy.(*types.PolicyMemberSecurityHub); ok {
				cp.serviceEnabled = aws.ToBool(sh.Value.ServiceEnabled)
				if c := sh.Value.SecurityControlsConfiguration; c != nil {
					cp.enabled, cp.disabled = c.EnabledSecurityControlIdentifiers, c.DisabledSecurityControlIdentifiers
					cp.hasEnabled = c.EnabledSecurityControlIdentifiers != nil
				}
			}
			policies[aws.ToString(p.Id)] = cp
		}
	}
	// Each account's effective policy: its own association (applied or inherited) as listed;
	// an account the list leaves out is asked for one by one.
	policyOf := map[string]string{}
	apages := securityhub.NewListConfigurationPolicyAssociationsPaginator(hub, &securityhub.ListConfigurationPolicyAssociationsInput{})
	for apages.HasMorePages() {
		page, err := apages.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("ListConfigurationPolicyAssociations: %w", err)
		}
		for _, a := range page.ConfigurationPolicyAssociationSummaries {
			if a.TargetType == types.TargetTypeAccount {
				policyOf[aws.ToString(a.TargetId)] = aws.ToString(a.ConfigurationPolicyId)
			}
		}
	}
	var out []model.DisabledControl
	unknown := map[string]string{}
	for _, account := range accounts {
		id, ok := policyOf[account]
		if !ok {
			a, err := hub.GetConfigurationPolicyAssociation(ctx, &securityhub.GetConfigurationPolicyAssociationInput{
				Target: &types.TargetMemberAccountId{Value: account}})
			if err != nil {
				unknown[account] = fmt.Sprintf("its configuration policy association cannot be read: %v", err)
				continue
			}
			id = aws.ToString(a.ConfigurationPolicyId)
		}
		p := policies[id]
		switch {
		case id == selfManaged || id == "":
			unknown[account] = "the account is self-managed, not governed by a central configuration policy"
			continue
		case p == nil:
			unknown[account] = "its configuration policy " + id + " is not listed"
			continue
		case !p.serviceEnabled:
			continue // Security Hub disabled by policy: there are no findings to leave out
		}
		out = append(out, s.policyDisabled(account, p)...)
	}
	return out, unknown, nil
}

// policyDisabled expands a policy to rows for one account: each plan control the policy disables
// (or does not enable), for each standard the control belongs to, in each aggregated region.
func (s *AWSSource) policyDisabled(account string, p *centralPolicy) []model.DisabledControl {
	var out []model.DisabledControl
	for _, region := range s.plan.AggregatorRegions {
		for _, c := range s.plan.Controls {
			if c.Disabled {
				continue
			}
			off := slices.Contains(p.disabled, c.ControlID)
			if p.hasEnabled {
				off = !slices.Contains(p.enabled, c.ControlID)
			}
			if off {
				out = append(out, model.DisabledControl{AccountID: account, Region: region, StandardID: c.StandardID,
					ControlID: c.ControlID, Source: model.DisabledByCentralConfiguration, Reason: "configuration policy " + p.name})
			}
		}
	}
	return out
}

// centralEnablement stores what the central configuration disables in accounts (aggregator mode)
// and returns, per account, why its enablement is unknown: for every account when the central
// configuration cannot be read at all.
func (s *AWSSource) centralEnablement(ctx context.Context, sink Sink, accounts []model.Account) (map[string]string, error) {
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = a.AccountID
	}
	rows, unknown, err := s.central(ctx, s.home, ids)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s.opts.Log.Warn("control enablement not read: central configuration unreadable; statuses come from the findings alone", "err", err)
		unknown = map[string]string{}
		for _, id := range ids {
			unknown[id] = err.Error() + "; statuses come from the findings alone"
		}
		return unknown, nil
	}
	for _, d := range rows {
		if err := AddDisabled(sink, d); err != nil {
			return nil, err
		}
	}
	for id, why := range unknown {
		unknown[id] = why + "; statuses come from the findings alone"
	}
	return unknown, nil
}
