package securityhub

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

// Control enablement: BatchGetStandardsControlAssociations (per account and region) and the
// administrator's central configuration (DescribeOrganizationConfiguration,
// ListConfigurationPolicies, GetConfigurationPolicy, ListConfigurationPolicyAssociations,
// GetConfigurationPolicyAssociation), in AWS's rest-json shapes (botocore securityhub
// service-2.json). With central configuration on, an account's associations follow its
// effective policy, as in AWS, where the policy sets them; otherwise Options.DisabledControls (or the estate's).

// enablementOperation names the enablement operation of a request ("" when none).
func enablementOperation(method, p string) (op, arg string) {
	switch {
	case method == http.MethodPost && p == "/associations/batchGet":
		return "BatchGetStandardsControlAssociations", ""
	case method == http.MethodGet && p == "/organization/configuration":
		return "DescribeOrganizationConfiguration", ""
	case method == http.MethodGet && p == "/configurationPolicy/list":
		return "ListConfigurationPolicies", ""
	case method == http.MethodGet && strings.HasPrefix(p, "/configurationPolicy/get/"):
		a, err := url.PathUnescape(strings.TrimPrefix(p, "/configurationPolicy/get/"))
		if err != nil {
			a = strings.TrimPrefix(p, "/configurationPolicy/get/")
		}
		return "GetConfigurationPolicy", a
	case method == http.MethodPost && p == "/configurationPolicyAssociation/list":
		return "ListConfigurationPolicyAssociations", ""
	case method == http.MethodPost && p == "/configurationPolicyAssociation/get":
		return "GetConfigurationPolicyAssociation", ""
	}
	return "", ""
}

// serveEnablement answers the operations enablementOperation names.
func (s *Service) serveEnablement(op, arg string, c core.Caller, q url.Values, body []byte) (any, *shError) {
	switch op {
	case "BatchGetStandardsControlAssociations":
		return s.batchGetStandardsControlAssociations(c, body)
	case "DescribeOrganizationConfiguration":
		return s.describeOrganizationConfiguration(c)
	case "ListConfigurationPolicies":
		return s.listConfigurationPolicies(c, q)
	case "GetConfigurationPolicy":
		return s.getConfigurationPolicy(c, arg)
	case "ListConfigurationPolicyAssociations":
		return s.listConfigurationPolicyAssociations(c, body)
	case "GetConfigurationPolicyAssociation":
		return s.getConfigurationPolicyAssociation(c, body)
	}
	return nil, &shError{http.StatusNotFound, "UnknownOperationException", "fakeaws: no Security Hub operation " + op}
}

// CentralConfiguration is the organization's central configuration (Options.CentralConfiguration).
type CentralConfiguration struct {
	Policies []ConfigurationPolicy
	// Associations maps a target to the policy id applied to it: an account id, or RootID for
	// the organization's root (inherited by every account with no association of its own). A
	// target with SelfManaged applied, or none at all, is self-managed.
	Associations map[string]string
}

// RootID is the emulated organization's root, the target of a root association.
const RootID = "r-fake"

// SelfManaged is the policy id AWS reports for self-managed targets.
const SelfManaged = "SELF_MANAGED_SECURITY_HUB"

// ConfigurationPolicy is a Security Hub configuration policy. Set DisabledControls (every other
// control enabled) or EnabledControls (every other control disabled), as AWS takes one or the
// other.
type ConfigurationPolicy struct {
	ID, Name         string
	ServiceEnabled   bool
	EnabledStandards []string // resource ids
	DisabledControls []string
	EnabledControls  []string
}

// disabledFor returns the controls disabled in account and region for standard std, with the
// reason, and the policy deciding it ("" when no central configuration applies).
func (s *Service) disabledFor(account, region, std, control string) (bool, string) {
	if p := s.effectivePolicy(account); p != nil {
		if len(p.EnabledControls) > 0 {
			return !slices.Contains(p.EnabledControls, control), "configuration policy " + p.Name
		}
		return slices.Contains(p.DisabledControls, control), "configuration policy " + p.Name
	}
	for _, d := range s.disabledCtls {
		if d.Account == account && d.ControlID == control && (d.Region == "" || d.Region == region) && (d.Standard == "" || d.Standard == std) {
			return true, d.Reason
		}
	}
	return false, ""
}

// effectivePolicy is the policy governing account, nil when it is self-managed or central
// configuration is off.
func (s *Service) effectivePolicy(account string) *ConfigurationPolicy {
	id, _ := s.policyOf(account)
	if cc := s.opts.CentralConfiguration; cc != nil {
		for i := range cc.Policies {
			if cc.Policies[i].ID == id {
				return &cc.Policies[i]
			}
		}
	}
	return nil
}

// policyOf is the policy id governing account and whether it is applied to the account itself.
func (s *Service) policyOf(account string) (string, bool) {
	cc := s.opts.CentralConfiguration
	if cc == nil {
		return SelfManaged, false
	}
	if id, ok := cc.Associations[account]; ok {
		return id, true
	}
	if id, ok := cc.Associations[RootID]; ok {
		return id, false
	}
	return SelfManaged, false
}

func (s *Service) denied(c core.Caller, op string) *shError {
	if s.core.Denied(c.Account, op) {
		return &shError{http.StatusForbidden, "AccessDeniedException",
			"User: arn:aws:sts::" + c.Account + ":assumed-role/HubReportReader/hubreport is not authorized to perform: securityhub:" + op}
	}
	return nil
}

// adminOnly refuses callers other than the delegated administrator in the home region, as AWS
// refuses the central configuration operations.
func (s *Service) adminOnly(c core.Caller) *shError {
	if c.Account != s.org.Admin || c.Region != s.home() {
		return &shError{http.StatusForbidden, "AccessDeniedException",
			"Only the AWS Security Hub delegated administrator can invoke this operation from the home Region"}
	}
	return nil
}

func (s *Service) batchGetStandardsControlAssociations(c core.Caller, body []byte) (any, *shError) {
	var in struct {
		IDs []struct {
			SecurityControlID *string `json:"SecurityControlId"`
			StandardsArn      *string `json:"StandardsArn"`
		} `json:"StandardsControlAssociationIds"`
	}
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	if len(in.IDs) == 0 || len(in.IDs) > 100 {
		return nil, invalidInput("StandardsControlAssociationIds must hold 1 to 100 items, got %d", len(in.IDs))
	}
	type id struct {
		SecurityControlID string `json:"SecurityControlId"`
		StandardsArn      string `json:"StandardsArn"`
	}
	details, unprocessed := []map[string]any{}, []map[string]any{}
	for _, x := range in.IDs {
		if x.SecurityControlID == nil || x.StandardsArn == nil {
			return nil, invalidInput("SecurityControlId and StandardsArn are required")
		}
		ctlID, arn := *x.SecurityControlID, *x.StandardsArn
		st, ok := s.cat.Standard(arn)
		ctl, known := s.cat.Control(ctlID)
		if !ok || !slices.Contains(s.est.Standards, st.ID) || !known || !slices.Contains(ctl.Standards, st.ID) {
			unprocessed = append(unprocessed, map[string]any{"StandardsControlAssociationId": id{ctlID, arn},
				"ErrorCode": "RESOURCE_NOT_FOUND", "ErrorReason": "Control " + ctlID + " is not associated with standard " + arn})
			continue
		}
		off, reason := s.disabledFor(c.Account, c.Region, st.ID, ctlID)
		d := map[string]any{
			"StandardsArn":                standardARN(c.Region, st.ID),
			"SecurityControlId":           ctlID,
			"SecurityControlArn":          "arn:aws:securityhub:" + c.Region + ":" + c.Account + ":security-control/" + ctlID,
			"AssociationStatus":           "ENABLED",
			"RelatedRequirements":         []string{},
			"UpdatedAt":                   s.est.Now.AddDate(0, -1, 0).Format("2006-01-02T15:04:05.000Z"),
			"StandardsControlTitle":       ctl.Title,
			"StandardsControlDescription": "This control checks: " + ctl.Title,
		}
		if off {
			d["AssociationStatus"], d["UpdatedReason"] = "DISABLED", reason
		}
		details = append(details, d)
	}
	return map[string]any{"StandardsControlAssociationDetails": details, "UnprocessedAssociations": unprocessed}, nil
}

func (s *Service) describeOrganizationConfiguration(c core.Caller) (any, *shError) {
	if c.Account != s.org.Admin {
		return nil, &shError{http.StatusForbidden, "AccessDeniedException", "The request is rejected because the caller is not the delegated administrator"}
	}
	kind := "LOCAL"
	if s.opts.CentralConfiguration != nil {
		kind = "CENTRAL"
	}
	return map[string]any{"AutoEnable": false, "MemberAccountLimitReached": false, "AutoEnableStandards": "NONE",
		"OrganizationConfiguration": map[string]any{"ConfigurationType": kind, "Status": "ENABLED"}}, nil
}

func (s *Service) policyARN(id string) string {
	return "arn:aws:securityhub:" + s.home() + ":" + s.org.Admin + ":configuration-policy/" + id
}

func (s *Service) listConfigurationPolicies(c core.Caller, q url.Values) (any, *shError) {
	if err := s.adminOnly(c); err != nil {
		return nil, err
	}
	size, offset, hash, err := listPage(c, q, "ListConfigurationPolicies")
	if err != nil {
		return nil, err
	}
	var all []map[string]any
	if cc := s.opts.CentralConfiguration; cc != nil {
		for _, p := range cc.Policies {
			all = append(all, map[string]any{"Arn": s.policyARN(p.ID), "Id": p.ID, "Name": p.Name,
				"Description": p.Name, "ServiceEnabled": p.ServiceEnabled, "UpdatedAt": s.est.Now.AddDate(0, -2, 0).Format("2006-01-02T15:04:05.000Z")})
		}
	}
	items, next := core.Page(all, offset, size, hash)
	out := map[string]any{"ConfigurationPolicySummaries": core.NonNil(items)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (s *Service) getConfigurationPolicy(c core.Caller, ident string) (any, *shError) {
	if err := s.adminOnly(c); err != nil {
		return nil, err
	}
	if cc := s.opts.CentralConfiguration; cc != nil {
		for _, p := range cc.Policies {
			if p.ID != ident && s.policyARN(p.ID) != ident {
				continue
			}
			controls := map[string]any{}
			if len(p.EnabledControls) > 0 {
				controls["EnabledSecurityControlIdentifiers"] = p.EnabledControls
			} else {
				controls["DisabledSecurityControlIdentifiers"] = core.NonNil(p.DisabledControls)
			}
			var stds []string
			for _, id := range p.EnabledStandards {
				stds = append(stds, standardARN(s.home(), id))
			}
			return map[string]any{"Arn": s.policyARN(p.ID), "Id": p.ID, "Name": p.Name, "Description": p.Name,
				"CreatedAt": s.est.Now.AddDate(0, -6, 0).Format("2006-01-02T15:04:05.000Z"),
				"UpdatedAt": s.est.Now.AddDate(0, -2, 0).Format("2006-01-02T15:04:05.000Z"),
				"ConfigurationPolicy": map[string]any{"SecurityHub": map[string]any{"ServiceEnabled": p.ServiceEnabled,
					"EnabledStandardIdentifiers": core.NonNil(stds), "SecurityControlsConfiguration": controls}}}, nil
		}
	}
	return nil, &shError{http.StatusNotFound, "ResourceNotFoundException", "Configuration policy " + ident + " not found"}
}

// association is a ConfigurationPolicyAssociationSummary.
func (s *Service) association(target, kind string) map[string]any {
	id, applied := s.policyOf(target)
	if kind == "ROOT" {
		id, applied = SelfManaged, false
		if cc := s.opts.CentralConfiguration; cc != nil {
			if p, ok := cc.Associations[RootID]; ok {
				id, applied = p, true
			}
		}
	}
	t := "INHERITED"
	if applied {
		t = "APPLIED"
	}
	return map[string]any{"ConfigurationPolicyId": id, "TargetId": target, "TargetType": kind, "AssociationType": t,
		"AssociationStatus": "SUCCESS", "UpdatedAt": s.est.Now.AddDate(0, -2, 0).Format("2006-01-02T15:04:05.000Z")}
}

func (s *Service) listConfigurationPolicyAssociations(c core.Caller, body []byte) (any, *shError) {
	if err := s.adminOnly(c); err != nil {
		return nil, err
	}
	var in struct {
		MaxResults *int    `json:"MaxResults"`
		NextToken  *string `json:"NextToken"`
		Filters    *struct {
			ConfigurationPolicyID *string `json:"ConfigurationPolicyId"`
			AssociationType       *string `json:"AssociationType"`
			AssociationStatus     *string `json:"AssociationStatus"`
		} `json:"Filters"`
	}
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	size, err := maxResults(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	var filter []string
	if f := in.Filters; f != nil {
		for _, p := range []*string{f.ConfigurationPolicyID, f.AssociationType, f.AssociationStatus} {
			filter = append(filter, strings.TrimSpace(deref(p)))
		}
	}
	hash := core.QueryHash(append([]string{"ListConfigurationPolicyAssociations", c.Account, c.Region, strconv.Itoa(size)}, filter...)...)
	offset, ok := core.ReadToken(in.NextToken, hash)
	if !ok {
		return nil, invalidInput("The NextToken is invalid or does not match the request parameters")
	}
	all := []map[string]any{s.association(RootID, "ROOT")}
	ids := make([]string, 0, len(s.org.Accounts))
	for _, a := range s.org.Accounts {
		if a.Status == "ACTIVE" {
			ids = append(ids, a.AccountID)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		all = append(all, s.association(id, "ACCOUNT"))
	}
	if len(filter) == 3 {
		all = slices.DeleteFunc(all, func(m map[string]any) bool {
			return filter[0] != "" && m["ConfigurationPolicyId"] != filter[0] ||
				filter[1] != "" && m["AssociationType"] != filter[1] || filter[2] != "" && m["AssociationStatus"] != filter[2]
		})
	}
	items, next := core.Page(all, offset, size, hash)
	out := map[string]any{"ConfigurationPolicyAssociationSummaries": core.NonNil(items)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (s *Service) getConfigurationPolicyAssociation(c core.Caller, body []byte) (any, *shError) {
	if err := s.adminOnly(c); err != nil {
		return nil, err
	}
	var in struct {
		Target *struct {
			AccountID            *string `json:"AccountId"`
			OrganizationalUnitID *string `json:"OrganizationalUnitId"`
			RootID               *string `json:"RootId"`
		} `json:"Target"`
	}
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	switch {
	case in.Target == nil:
		return nil, invalidInput("Target is required")
	case in.Target.AccountID != nil:
		if !s.org.Active(*in.Target.AccountID) {
			return nil, &shError{http.StatusNotFound, "ResourceNotFoundException", "Account " + *in.Target.AccountID + " is not a member"}
		}
		return s.association(*in.Target.AccountID, "ACCOUNT"), nil
	case in.Target.RootID != nil && *in.Target.RootID == RootID:
		return s.association(RootID, "ROOT"), nil
	}
	return nil, &shError{http.StatusNotFound, "ResourceNotFoundException", fmt.Sprintf("target %+v not found", *in.Target)}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
