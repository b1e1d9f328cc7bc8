package config

import (
	"errors"
	"strings"
	"testing"
)

func TestRoutesConfig(t *testing.T) {
	const head = "deliver:\n  email:\n    from: r@example.com\n    routes:\n"
	cfg, err := Load(strings.NewReader(head+"      - {ou: Root/Workloads, to: [a@example.com]}\n      - {tag: {owner: team-a}, to: [b@example.com]}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	w, o := cfg.Deliver.Email.Routes[0], cfg.Deliver.Email.Routes[1]
	if w.Name() != "Workloads" || o.Name() != "owner=team-a" || o.ScopeKey(1) != "deliver.email.routes[1].tag" {
		t.Errorf("routes %+v %+v: names %q %q", w, o, w.Name(), o.Name())
	}
	for _, m := range []struct {
		r         Route
		ou, owner string
		want      bool
	}{
		{w, "Workloads", "", true}, {w, "Workloads/Prod", "", true}, {w, "WorkloadsX", "", false}, {w, "Sandbox", "team-a", false},
		{o, "Sandbox", "team-a", true}, {o, "Sandbox", "team-b", false},
	} {
		if got := m.r.Matches(m.ou, m.owner); got != m.want {
			t.Errorf("%s matches (%s, %s): %v, want %v", m.r.Name(), m.ou, m.owner, got, m.want)
		}
	}
	file := "collect: {source: file}\naccounts:\n  - {account_id: \"111122223333\", ou: Workloads/Prod, owner: team-a}\n"
	for _, tt := range []struct{ yaml, key, msg string }{
		{head + "      - {ou: Sandbox, tag: {owner: x}, to: [a@example.com]}\n", "deliver.email.routes[0]", "both"},
		{head + "      - {to: [a@example.com]}\n", "deliver.email.routes[0]", "needs ou"},
		{head + "      - {ou: Sandbox, to: []}\n", "deliver.email.routes[0].to", "no recipient"},
		{head + "      - {ou: Sandbox, to: [nobody]}\n", "deliver.email.routes[0].to", "not an email"},
		{head + "      - {ou: Sandbox, too: [a@example.com]}\n", "deliver.email.routes", "unknown key \"too\""},
		{head + "      - {ou: Sandbox, to: [a@example.com]}\n      - {tag: {team: x}, to: [a@example.com]}\n", "deliver.email.routes[1].tag", "owner tag"},
		{head + "      - {tag: {owner: x, cost: y}, to: [a@example.com]}\n", "deliver.email.routes[0].tag", "2 tags"},
		{"deliver:\n  email:\n    routes: [{ou: Sandbox, to: [a@example.com]}]\n", "deliver.email.from", "sender"},
		// The file source: routes are checked against accounts[] before anything is collected.
		{file + head + "      - {ou: Workloads, to: [a@example.com]}\n      - {ou: Workloads/Dev, to: [a@example.com]}\n",
			"deliver.email.routes[1].ou", "matches no account of accounts[] (OUs: Workloads/Prod; owners: team-a)"},
		{file + head + "      - {tag: {owner: team-b}, to: [a@example.com]}\n", "deliver.email.routes[0].tag", "owner=team-b matches no account"},
	} {
		_, err := Load(strings.NewReader(tt.yaml), nil)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Key != tt.key || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%q: %v, want a ValidationError naming %s and saying %q", tt.yaml, err, tt.key, tt.msg)
		}
	}
	// The file source with matching routes loads; the AWS source defers the check to the snapshot.
	for _, y := range []string{file + head + "      - {ou: Workloads, to: [a@example.com]}\n      - {tag: {owner: team-a}, to: [a@example.com]}\n",
		head + "      - {ou: Nowhere, to: [a@example.com]}\n"} {
		if _, err := Load(strings.NewReader(y), nil); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
	if _, err := Load(nil, []string{"REPORTER_DELIVER_EMAIL_ROUTES=x"}); err == nil || !strings.Contains(err.Error(), "configuration file") {
		t.Errorf("routes from the environment: %v, want refused (a list of entries)", err)
	}
}
