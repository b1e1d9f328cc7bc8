package config

import (
	"bytes"
	"fmt"
	"io"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// AuditManager maps AWS Audit Manager assessment controls to Security Hub controls
// (configs/auditmanager.example.yaml).
type AuditManager struct {
	AssessmentID string                `yaml:"assessment_id"`
	Controls     []AuditManagerControl `yaml:"controls"`
}

// AuditManagerControl is one assessment control and the Security Hub controls it covers.
type AuditManagerControl struct {
	ControlSet       string   `yaml:"control_set"` // the control set's name (its id in the API)
	ControlID        string   `yaml:"control_id"`
	SecurityControls []string `yaml:"security_controls"`
	Standards        []string `yaml:"standards"`
}

var uuidPattern = regexp.MustCompile(`^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$`)

// LoadAuditManager reads and validates a mapping; errors name the key (controls[2].control_id).
func LoadAuditManager(r io.Reader) (AuditManager, error) {
	var m AuditManager
	data, err := io.ReadAll(r)
	if err != nil {
		return m, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && err != io.EOF {
		return m, &ValidationError{Key: "(mapping)", Source: "file", Msg: err.Error()}
	}
	if !uuidPattern.MatchString(m.AssessmentID) {
		return m, &ValidationError{Key: "assessment_id", Msg: fmt.Sprintf("%q is not an assessment id (a lower-case UUID)", m.AssessmentID)}
	}
	if len(m.Controls) == 0 {
		return m, &ValidationError{Key: "controls", Msg: "maps no control"}
	}
	for i, c := range m.Controls {
		key := fmt.Sprintf("controls[%d]", i)
		switch {
		case len(c.ControlSet) < 1 || len(c.ControlSet) > 300:
			return m, &ValidationError{Key: key + ".control_set", Msg: "must be the control set's name, 1 to 300 characters"}
		case !uuidPattern.MatchString(c.ControlID):
			return m, &ValidationError{Key: key + ".control_id", Msg: fmt.Sprintf("%q is not a control id (a lower-case UUID)", c.ControlID)}
		case len(c.SecurityControls) == 0 && len(c.Standards) == 0:
			return m, &ValidationError{Key: key, Msg: "names neither security_controls nor standards"}
		}
	}
	return m, nil
}
