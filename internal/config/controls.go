package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Controls configures control enablement the sources cannot read from AWS.
type Controls struct {
	// Disabled lists controls disabled in Security Hub for the file and demo sources (an export
	// carries findings, not enablement). Each entry expands, at snapshot time, to the snapshot's
	// accounts, regions and standards its missing fields leave open; the AWS source reads
	// enablement from AWS and adds these on top.
	Disabled []DisabledControl `yaml:"disabled"`
}

// DisabledControl is one controls.disabled entry. Only ControlID is required; an empty field
// means every account, region or standard of the snapshot.
type DisabledControl struct {
	ControlID string `yaml:"control_id"` // security control id, e.g. "CloudTrail.1"
	// Standard is a standard's resource id ("standards/pci-dss/v/3.2.1") or ARN, or a catalog
	// key such as "fsbp" or "cis-1.4".
	Standard string `yaml:"standard"`
	Account  string `yaml:"account"` // 12-digit account id
	Region   string `yaml:"region"`
	Reason   string `yaml:"reason"` // why, shown with the control in the evidence
}

// UnmarshalYAML refuses keys this entry does not have: a misspelt "acount" would otherwise
// disable the control in every account.
func (d *DisabledControl) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: an entry is a mapping like {control_id: CloudTrail.1, account: \"111122223333\"}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; k {
		case "control_id", "standard", "account", "region", "reason":
		default:
			return fmt.Errorf("line %d: unknown key %q (known: control_id, standard, account, region, reason)", n.Content[i].Line, k)
		}
	}
	type plain DisabledControl
	return n.Decode((*plain)(d))
}

func (c Controls) validate() error {
	for i, d := range c.Disabled {
		key := fmt.Sprintf("controls.disabled[%d]", i)
		if strings.TrimSpace(d.ControlID) == "" {
			return &ValidationError{Key: key + ".control_id", Msg: "is required (a security control id such as CloudTrail.1)"}
		}
		if d.Account != "" && !isAccountID(d.Account) {
			return &ValidationError{Key: key + ".account", Msg: fmt.Sprintf("%q is not a 12-digit AWS account id (quote it in YAML so leading zeros stay)", d.Account)}
		}
		if strings.ContainsAny(d.Region, " /") {
			return &ValidationError{Key: key + ".region", Msg: fmt.Sprintf("%q is not a region name such as eu-west-1", d.Region)}
		}
	}
	return nil
}
