package securityhub

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

// The finding aggregator and the hub.

func (s *Service) listFindingAggregators(c core.Caller, q url.Values) (any, *shError) {
	size, offset, hash, err := listPage(c, q, "ListFindingAggregators")
	if err != nil {
		return nil, err
	}
	type aggregator struct {
		FindingAggregatorArn string `json:"FindingAggregatorArn"`
	}
	var all []aggregator
	// The aggregator belongs to the administrator; AWS lists it from any region.
	if s.aggARN != "" && c.Account == s.org.Admin {
		all = append(all, aggregator{s.aggARN})
	}
	items, next := core.Page(all, offset, size, hash)
	out := map[string]any{"FindingAggregators": core.NonNil(items)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (s *Service) getFindingAggregator(c core.Caller, arn string) (any, *shError) {
	if arn == "" {
		return nil, invalidInput("FindingAggregatorArn is required")
	}
	if !strings.HasPrefix(arn, "arn:aws:securityhub:") || !strings.Contains(arn, ":finding-aggregator/") {
		return nil, invalidInput("Invalid FindingAggregatorArn %s", arn)
	}
	if s.aggARN == "" || arn != s.aggARN || c.Account != s.org.Admin {
		return nil, &shError{http.StatusNotFound, "ResourceNotFoundException", "Finding aggregator " + arn + " not found"}
	}
	// The linked regions are the ones other than the aggregation region, as AWS reports them for
	// SPECIFIED_REGIONS; ALL_REGIONS lists none.
	out := map[string]any{
		"FindingAggregatorArn":     s.aggARN,
		"FindingAggregationRegion": s.home(),
		"RegionLinkingMode":        "SPECIFIED_REGIONS",
		"Regions":                  s.est.Regions[1:],
	}
	if s.opts.AggregatorLinksAll {
		out["RegionLinkingMode"], out["Regions"] = "ALL_REGIONS", []string{}
	}
	return out, nil
}

func (s *Service) describeHub(c core.Caller, q url.Values) (any, *shError) {
	hub := "arn:aws:securityhub:" + c.Region + ":" + c.Account + ":hub/default"
	if h := q.Get("HubArn"); h != "" && h != hub {
		return nil, &shError{http.StatusNotFound, "ResourceNotFoundException", "Hub " + h + " not found"}
	}
	return map[string]any{
		"HubArn":                  hub,
		"SubscribedAt":            s.est.Now.AddDate(-2, 0, 0).Format("2006-01-02T15:04:05.000Z"),
		"AutoEnableControls":      true,
		"ControlFindingGenerator": "SECURITY_CONTROL",
	}, nil
}
