package securityhub

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

// standardsControlAssociation is a StandardsControlAssociationSummary as AWS writes it (botocore
// securityhub 2018-10-26: StandardsArn, SecurityControlId, SecurityControlArn and
// AssociationStatus required; timestamps ISO 8601).
type standardsControlAssociation struct {
	StandardsArn                string   `json:"StandardsArn"`
	SecurityControlID           string   `json:"SecurityControlId"`
	SecurityControlArn          string   `json:"SecurityControlArn"`
	AssociationStatus           string   `json:"AssociationStatus"`
	RelatedRequirements         []string `json:"RelatedRequirements"`
	UpdatedAt                   string   `json:"UpdatedAt"`
	StandardsControlTitle       string   `json:"StandardsControlTitle"`
	StandardsControlDescription string   `json:"StandardsControlDescription"`
}

// listStandardsControlAssociations answers GET /associations?SecurityControlId=X: the control's
// association with each standard enabled in the caller's account that contains it, as AWS lists
// it (only enabled standards; MaxResults 1-100, 25 by default). The catalog the emulator is
// handed carries no related requirements, so none are listed.
func (s *Service) listStandardsControlAssociations(c core.Caller, q url.Values) (any, *shError) {
	id := q.Get("SecurityControlId")
	if id == "" {
		return nil, invalidInput("SecurityControlId is required")
	}
	// A control may be named by its ARN too.
	if i := strings.LastIndex(id, ":security-control/"); strings.HasPrefix(id, "arn:") && i >= 0 {
		id = id[i+len(":security-control/"):]
	}
	ctl, ok := s.cat.Control(id)
	if !ok {
		return nil, invalidInput("Security control %s does not exist", id)
	}
	mr, err := queryMaxResults(q)
	if err != nil {
		return nil, err
	}
	size, err := maxResults(mr, 100, 25)
	if err != nil {
		return nil, err
	}
	hash := core.QueryHash("ListStandardsControlAssociations", c.Account, c.Region, id, strconv.Itoa(size))
	offset, ok := core.ReadToken(queryToken(q), hash)
	if !ok {
		return nil, invalidInput("The NextToken is invalid or does not match the request parameters")
	}
	var all []standardsControlAssociation
	for _, std := range s.est.Standards {
		if !slices.Contains(ctl.Standards, std) {
			continue
		}
		all = append(all, standardsControlAssociation{StandardsArn: standardARN(c.Region, std), SecurityControlID: ctl.ID,
			SecurityControlArn: "arn:aws:securityhub:" + c.Region + ":" + c.Account + ":security-control/" + ctl.ID,
			AssociationStatus:  "ENABLED", RelatedRequirements: []string{},
			UpdatedAt:             s.est.Now.AddDate(-1, 0, 0).Format("2006-01-02T15:04:05.000Z"),
			StandardsControlTitle: ctl.Title, StandardsControlDescription: "This control checks: " + ctl.Title})
	}
	items, next := core.Page(all, offset, size, hash)
	out := map[string]any{"StandardsControlAssociationSummaries": core.NonNil(items)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}
