package collect

import (
	"encoding/json"

	"github.com/hubreport/hubreport/internal/model"
)

// outEvent is an EventBridge event as Security Hub sends it for an imported finding, with the
// members EventBridge always sets, in its order.
type outEvent struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     struct {
		Findings []json.RawMessage `json:"findings"`
	} `json:"detail"`
}

// MarshalEvent encodes f as the EventBridge event ("Security Hub Findings - Imported") Security
// Hub sends when it imports or updates the finding, with the finding as MarshalASFF encodes it
// and id as the event's id. Appended one after the other they make the file Firehose writes to
// S3; tests use it to import the same findings as events and as get-findings output.
func MarshalEvent(f *model.Finding, id string) ([]byte, error) {
	b, err := MarshalASFF(f)
	if err != nil {
		return nil, err
	}
	e := outEvent{Version: "0", ID: id, DetailType: importedDetailType, Source: securityHubSource,
		Account: f.AccountID, Time: f.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z"), Region: f.Region,
		Resources: []string{f.ID}}
	e.Detail.Findings = []json.RawMessage{b}
	return json.Marshal(&e)
}
