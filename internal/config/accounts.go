package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// AccountInfo describes one account for sources that cannot ask Organizations (file imports, the
// demo), or overrides what Organizations says: its name, OU path below the root and owner.
// Empty fields leave the source's value alone.
type AccountInfo struct {
	AccountID string `yaml:"account_id"`
	Name      string `yaml:"name"`
	// OU is the path below the root, e.g. Workloads/Prod ("Root/" in front is dropped).
	OU    string `yaml:"ou"`
	Owner string `yaml:"owner"`
}

// UnmarshalYAML refuses keys this entry does not have: a misspelt "onwer" would otherwise leave
// the account without an owner, silently.
func (a *AccountInfo) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: an entry is a mapping like {account_id: \"111122223333\", ou: Workloads/Prod}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; k {
		case "account_id", "name", "ou", "owner":
		default:
			return fmt.Errorf("line %d: unknown key %q (known: account_id, name, ou, owner)", n.Content[i].Line, k)
		}
	}
	type plain AccountInfo
	return n.Decode((*plain)(a))
}

// DefaultOwnerTag is the account tag whose value is the account's owner.
const DefaultOwnerTag = "owner"

// OUPath normalizes an OU path as reports show it: no root, no empty segments, no spaces around
// the slashes ("Root/Workloads//Prod " -> "Workloads/Prod").
func OUPath(p string) string {
	var parts []string
	for i, s := range strings.Split(p, "/") {
		s = strings.TrimSpace(s)
		if s == "" || i == 0 && s == "Root" {
			continue
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "/")
}

func validateAccounts(list []AccountInfo) error {
	seen := map[string]int{}
	for i, a := range list {
		key := fmt.Sprintf("accounts[%d]", i)
		if !isAccountID(a.AccountID) {
			return &ValidationError{Key: key + ".account_id", Msg: fmt.Sprintf("%q is not a 12-digit AWS account id", a.AccountID)}
		}
		if j, dup := seen[a.AccountID]; dup {
			return &ValidationError{Key: key + ".account_id", Msg: fmt.Sprintf("%s is listed twice (also accounts[%d])", a.AccountID, j)}
		}
		seen[a.AccountID] = i
	}
	return nil
}
