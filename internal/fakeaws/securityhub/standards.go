package securityhub

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

type standardsSubscription struct {
	StandardsArn               string            `json:"StandardsArn"`
	StandardsSubscriptionArn   string            `json:"StandardsSubscriptionArn"`
	StandardsInput             map[string]string `json:"StandardsInput"`
	StandardsStatus            string            `json:"StandardsStatus"`
	StandardsControlsUpdatable string            `json:"StandardsControlsUpdatable,omitempty"`
}

// standardARN is the ARN of a standard given its resource id. CIS 1.2.0 is a global "ruleset".
func standardARN(region, id string) string {
	if strings.HasPrefix(id, "ruleset/") {
		return "arn:aws:securityhub:::" + id
	}
	return "arn:aws:securityhub:" + region + "::" + id
}

func subscriptionARN(region, account, id string) string {
	_, rest, _ := strings.Cut(id, "/")
	return "arn:aws:securityhub:" + region + ":" + account + ":subscription/" + rest
}

func (s *Service) getEnabledStandards(c core.Caller, body []byte) (any, *shError) {
	var in struct {
		StandardsSubscriptionArns []string `json:"StandardsSubscriptionArns"`
		MaxResults                *int     `json:"MaxResults"`
		NextToken                 *string  `json:"NextToken"`
	}
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	size, err := maxResults(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	hash := core.QueryHash("GetEnabledStandards", c.Account, c.Region, strings.Join(in.StandardsSubscriptionArns, "\x00"), strconv.Itoa(size))
	offset, ok := core.ReadToken(in.NextToken, hash)
	if !ok {
		return nil, invalidInput("The NextToken is invalid or does not match the request parameters")
	}
	var subs []standardsSubscription
	for _, id := range s.est.Standards {
		sub := standardsSubscription{StandardsArn: standardARN(c.Region, id),
			StandardsSubscriptionArn: subscriptionARN(c.Region, c.Account, id),
			StandardsInput:           map[string]string{}, StandardsStatus: "READY",
			StandardsControlsUpdatable: "READY_FOR_UPDATES"}
		if len(in.StandardsSubscriptionArns) > 0 && !slices.Contains(in.StandardsSubscriptionArns, sub.StandardsSubscriptionArn) {
			continue
		}
		subs = append(subs, sub)
	}
	items, next := core.Page(subs, offset, size, hash)
	out := map[string]any{"StandardsSubscriptions": core.NonNil(items)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (s *Service) describeStandards(c core.Caller, q url.Values) (any, *shError) {
	size, offset, hash, err := listPage(c, q, "DescribeStandards")
	if err != nil {
		return nil, err
	}
	type standard struct {
		StandardsArn       string            `json:"StandardsArn"`
		Name               string            `json:"Name"`
		Description        string            `json:"Description"`
		EnabledByDefault   bool              `json:"EnabledByDefault"`
		StandardsManagedBy map[string]string `json:"StandardsManagedBy"`
	}
	var all []standard
	for _, st := range s.cat.Standards {
		all = append(all, standard{StandardsArn: standardARN(c.Region, st.ID), Name: st.Name,
			Description:        st.Name + " (" + st.ShortName + ")",
			EnabledByDefault:   st.EnabledByDefault,
			StandardsManagedBy: map[string]string{"Company": "AWS", "Product": "Security Hub"}})
	}
	items, next := core.Page(all, offset, size, hash)
	out := map[string]any{"Standards": core.NonNil(items)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (s *Service) listSecurityControlDefinitions(c core.Caller, q url.Values) (any, *shError) {
	arn := q.Get("StandardsArn")
	size, offset, hash, err := listPage(c, q, "ListSecurityControlDefinitions", arn)
	if err != nil {
		return nil, err
	}
	std := ""
	if arn != "" {
		if !strings.HasPrefix(arn, "arn:") {
			return nil, invalidInput("StandardsArn %q is not an ARN", arn)
		}
		st, ok := s.cat.Standard(arn)
		if !ok {
			return nil, invalidInput("Standard %s does not exist", arn)
		}
		std = st.ID
	}
	type definition struct {
		SecurityControlID         string   `json:"SecurityControlId"`
		Title                     string   `json:"Title"`
		Description               string   `json:"Description"`
		RemediationURL            string   `json:"RemediationUrl"`
		SeverityRating            string   `json:"SeverityRating"`
		CurrentRegionAvailability string   `json:"CurrentRegionAvailability"`
		CustomizableProperties    []string `json:"CustomizableProperties"`
	}
	var all []definition
	for _, ctl := range s.cat.Controls {
		if std != "" && !slices.Contains(ctl.Standards, std) {
			continue
		}
		all = append(all, definition{SecurityControlID: ctl.ID, Title: ctl.Title,
			Description: "This control checks: " + ctl.Title, RemediationURL: ctl.URL(),
			SeverityRating: ctl.Severity, CurrentRegionAvailability: "AVAILABLE",
			CustomizableProperties: []string{}})
	}
	items, next := core.Page(all, offset, size, hash)
	out := map[string]any{"SecurityControlDefinitions": core.NonNil(items)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}
