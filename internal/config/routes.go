package config

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Route sends a report of some accounts to recipients of their own (deliver.email.routes): the
// accounts of an OU and every OU below it, or the accounts whose tag has a value. Exactly one of
// OU and Tag is set.
//
// Tags: the one account tag stored with each account is the owner (collect.aws.owner_tag from
// Organizations, or accounts[].owner), so a tag route names that key; another key is refused,
// since no account could ever match it.
type Route struct {
	OU  string            `yaml:"ou"`
	Tag map[string]string `yaml:"tag"`
	To  []string          `yaml:"to"`
}

// UnmarshalYAML refuses keys a route does not have: a misspelt "ous" would otherwise make a route
// with no scope.
func (r *Route) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a route is a mapping like {ou: Workloads/Prod, to: [lead@example.com]} or {tag: {owner: payments-team}, to: [...]}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; k {
		case "ou", "tag", "to":
		default:
			return fmt.Errorf("line %d: unknown key %q (known: ou, tag, to)", n.Content[i].Line, k)
		}
	}
	type plain Route
	return n.Decode((*plain)(r))
}

// TagKV is the route's tag key and value ("" for an OU route).
func (r Route) TagKV() (key, value string) {
	for k, v := range r.Tag {
		return k, v
	}
	return "", ""
}

// Name is what the route covers as reports and logs show it: the OU path, or KEY=VALUE.
func (r Route) Name() string {
	if r.Tag != nil {
		k, v := r.TagKV()
		return k + "=" + v
	}
	return OUPath(r.OU)
}

// ScopeKey is the key of the route's scope, for errors: deliver.email.routes[i].ou or .tag.
func (r Route) ScopeKey(i int) string {
	if r.Tag != nil {
		return fmt.Sprintf("deliver.email.routes[%d].tag", i)
	}
	return fmt.Sprintf("deliver.email.routes[%d].ou", i)
}

// Matches says whether an account in OU path ou (as reports show it) with owner owner is in the
// route: an OU route holds its OU and every OU below it (Workloads holds Workloads/Prod).
func (r Route) Matches(ou, owner string) bool {
	if r.Tag != nil {
		_, v := r.TagKV()
		return owner == v
	}
	p, ou := OUPath(r.OU), OUPath(ou)
	return ou == p || strings.HasPrefix(ou, p+"/")
}

// validateRoutes checks the routes on their own, and, for the file source, whose accounts only
// the configuration places in OUs and gives owners, that each matches an account of accounts[]:
// a route that can never match is an error before anything is collected. The AWS and demo
// sources' accounts are known only once collected; their routes are checked against the stored
// snapshots before delivery (run.ResolveRoutes).
func (c Config) validateRoutes() error {
	e := c.Deliver.Email
	for i, r := range e.Routes {
		key := fmt.Sprintf("deliver.email.routes[%d]", i)
		switch {
		case r.OU != "" && r.Tag != nil:
			return &ValidationError{Key: key, Msg: "has both ou and tag: give one (two routes for both)"}
		case r.Tag != nil:
			if len(r.Tag) != 1 {
				return &ValidationError{Key: key + ".tag", Msg: fmt.Sprintf("has %d tags: give one, like {%s: payments-team}", len(r.Tag), c.Collect.AWS.OwnerTag)}
			}
			k, v := r.TagKV()
			if k != c.Collect.AWS.OwnerTag {
				return &ValidationError{Key: key + ".tag", Msg: fmt.Sprintf("tag %q is not stored with accounts: the one account tag kept is the owner tag, %q (collect.aws.owner_tag)", k, c.Collect.AWS.OwnerTag)}
			}
			if strings.TrimSpace(v) == "" {
				return &ValidationError{Key: key + ".tag", Msg: "has an empty value"}
			}
		case OUPath(r.OU) == "":
			return &ValidationError{Key: key, Msg: "needs ou (an OU path below the root, e.g. Workloads/Prod) or tag (e.g. {" + c.Collect.AWS.OwnerTag + ": payments-team})"}
		}
		if len(r.To) == 0 {
			return &ValidationError{Key: key + ".to", Msg: "names no recipient"}
		}
		for _, to := range r.To {
			if !strings.Contains(to, "@") {
				return &ValidationError{Key: key + ".to", Msg: fmt.Sprintf("%q is not an email address", to)}
			}
		}
		if c.Collect.Source == "file" && !slices.ContainsFunc(c.Accounts, func(a AccountInfo) bool { return r.Matches(a.OU, a.Owner) }) {
			return &ValidationError{Key: r.ScopeKey(i), Msg: fmt.Sprintf("%s matches no account of accounts[] (%s), and the file source knows no other OUs or owners", r.Name(), KnownOUsOwners(c.Accounts))}
		}
	}
	if len(e.Routes) > 0 && !strings.Contains(e.From, "@") {
		return &ValidationError{Key: "deliver.email.from", Msg: "needs a sender address when deliver.email.routes is set"}
	}
	if len(e.Routes) > 0 && e.Transport == "smtp" && e.SMTP.Host == "" {
		return &ValidationError{Key: "deliver.email.smtp.host", Msg: "needed with transport smtp"}
	}
	return nil
}

// KnownOUsOwners lists the OU paths and owners of the accounts, for an error message about a
// route that matches none of them.
func KnownOUsOwners(list []AccountInfo) string {
	var ous, owners []string
	for _, a := range list {
		if p := OUPath(a.OU); p != "" && !slices.Contains(ous, p) {
			ous = append(ous, p)
		}
		if a.Owner != "" && !slices.Contains(owners, a.Owner) {
			owners = append(owners, a.Owner)
		}
	}
	slices.Sort(ous)
	slices.Sort(owners)
	return fmt.Sprintf("OUs: %s; owners: %s", orNone(ous), orNone(owners))
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
