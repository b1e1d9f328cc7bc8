package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/hubreport/hubreport/internal/model"
)

type account struct {
	model.Account
	key       uint64
	role      string // landing-zone role ("security", "log-archive", ...) or "" for workloads
	bu        string
	env       string
	nouns     []string
	data      bool
	edge      bool
	quality   float64 // 0..1 security maturity
	primary   int     // region index where it runs
	secondary int     // DR region index or -1
	enabled   int     // day Security Hub was enabled
	lead      string  // owner's email
}

func (o *Org) buildAccounts() {
	rng := rand.New(rand.NewPCG(uint64(o.cfg.Seed), 0x6163_6d65_2d63_6f72))
	used := map[string]bool{}
	newID := func() string {
		for {
			s := strconv.FormatUint(100000000000+rng.Uint64N(900000000000), 10)
			if !used[s] {
				used[s] = true
				return s
			}
		}
	}
	people := make([]string, 0, len(firstNames))
	for _, i := range rng.Perm(len(firstNames)) {
		people = append(people, firstNames[i]+"."+lastNames[rng.IntN(len(lastNames))]+"@"+emailDomain)
	}
	o.secTeam = people[:4]
	nextLead := 4
	lead := func() string {
		p := people[nextLead%len(people)]
		nextLead++
		return p
	}
	add := func(a *account) {
		a.AccountID = newID()
		a.Email = "aws-" + a.Name + "@" + emailDomain
		a.key = hash2(o.seedKey, strKey(a.AccountID))
		a.quality = min(0.97, max(0.05, a.quality+(rng.Float64()-0.5)*0.16))
		o.accounts = append(o.accounts, a)
	}
	n := o.cfg.Accounts
	roleQuality := map[string]float64{"management": 0.72, "security": 0.88, "log-archive": 0.86,
		"audit": 0.9, "shared-services": 0.66, "network": 0.74, "backup": 0.8}
	for i := 0; i < len(foundationAccounts) && i < n; i++ {
		f := foundationAccounts[i]
		a := &account{role: f.role, bu: f.role, env: envFoundation, nouns: f.nouns,
			quality: roleQuality[f.role], secondary: -1, enabled: -700 - rng.IntN(60), lead: o.secTeam[i%4]}
		a.Name, a.OU = f.name, f.ou
		a.Owner = foundationOwner(f.ou)
		if f.role == "network" {
			a.secondary = 2 // the EU transit hub
		}
		if f.role != "security" && f.role != "audit" && f.role != "log-archive" {
			a.lead = lead()
		}
		add(a)
	}
	o.admin = o.accounts[0]
	for _, a := range o.accounts {
		if a.role == "security" {
			o.admin = a
		}
	}
	rest := n - len(o.accounts)
	if rest <= 0 {
		return
	}
	sandboxes := 0
	if rest >= 8 {
		sandboxes = int(math.Round(float64(rest) * 0.16))
	}
	workloads := rest - sandboxes
	units := rng.Perm(len(businessUnits))
	suffixes := []string{"", "-eu", "-apac", "-latam", "-na"}
	envQuality := map[string]float64{envProd: 0.74, envStaging: 0.6, envDev: 0.5}
	// Staging and development share one OU, as AWS's multi-account guidance lays workloads out.
	envOU := map[string]string{envProd: "Workloads/Prod", envStaging: "Workloads/Non-Prod", envDev: "Workloads/Non-Prod"}
	for i := 0; workloads > 0; i++ {
		bu := businessUnits[units[i%len(units)]]
		name := bu.name + suffixes[(i/len(units))%len(suffixes)]
		if i >= len(units)*len(suffixes) {
			name += strconv.Itoa(i / len(units))
		}
		envs := []string{envProd, envStaging, envDev}
		switch workloads {
		case 1:
			envs = envs[:1]
		case 2:
			envs = []string{envProd, envDev}
		}
		primary := 0
		switch r := rng.Float64(); {
		case r < 0.6:
		case r < 0.72:
			primary = 1
		case r < 0.9:
			primary = 2
		default:
			primary = 3
		}
		if strings.HasSuffix(name, "-eu") {
			primary = 2
		} else if strings.HasSuffix(name, "-apac") {
			primary = 3
		}
		owner := lead()
		for _, env := range envs {
			a := &account{bu: name, env: env, nouns: bu.nouns, data: bu.data, edge: bu.edge,
				quality: envQuality[env] + bu.quality, primary: primary, secondary: -1,
				enabled: -150 - rng.IntN(550), lead: owner}
			a.Name, a.OU = name+"-"+env, envOU[env]
			a.Owner = name + "-team@" + emailDomain // the owner tag names the product team
			dr := map[string]float64{envProd: 0.5, envStaging: 0.15, envDev: 0.1}[env]
			if rng.Float64() < dr {
				a.secondary = 1
				if primary == 1 {
					a.secondary = 0
				}
			}
			add(a)
			workloads--
		}
	}
	for i := 0; i < sandboxes; i++ {
		who := strings.SplitN(people[len(people)-1-i%len(people)], ".", 2)[0]
		if i >= len(people) {
			who += strconv.Itoa(i / len(people))
		}
		primary := 0
		if rng.Float64() < 0.3 {
			primary = rng.IntN(len(regions))
		}
		a := &account{bu: "sandbox", env: envSandbox, nouns: []string{"poc", "test", "demo", "spike", "lab", "scratch"},
			quality: 0.3, primary: primary, secondary: -1, enabled: -30 - rng.IntN(370),
			lead: people[len(people)-1-i%len(people)]}
		a.Name, a.OU = "sandbox-"+who, "Sandbox"
		a.Owner = a.lead // a sandbox belongs to the person who uses it
		add(a)
	}
}

// factor scales a resource kind for the account: presence multiplies the share of accounts using
// the service, count the number of resources.
func (a *account) factor(k kind) (presence, count float64) {
	switch a.role {
	case "management":
		switch k {
		case kindIdentity:
			return 1, 1
		case kindLogging:
			return 3, 1
		case kindStorage:
			return 0.6, 0.5
		}
		return 0.1, 0.5
	case "security":
		switch k {
		case kindSecurity, kindLogging:
			return 1.3, 1
		case kindCompute, kindApp, kindStorage:
			return 0.8, 0.7
		case kindIdentity:
			return 1, 0.8
		}
		return 0.15, 0.5
	case "log-archive":
		switch k {
		case kindStorage:
			return 1, 1.6
		case kindIdentity, kindSecurity:
			return 0.7, 0.6
		}
		return 0.05, 0.5
	case "audit":
		if k == kindIdentity {
			return 0.7, 0.6
		}
		return 0.05, 0.5
	case "shared-services":
		switch k {
		case kindDevtools:
			return 3, 2
		case kindCompute, kindStorage, kindNetwork, kindIdentity, kindSecurity:
			return 1, 0.8
		}
		return 0.3, 0.6
	case "network":
		switch k {
		case kindNetwork:
			return 30, 1.5
		case kindIdentity, kindLogging:
			return 0.7, 0.6
		}
		return 0.1, 0.5
	case "backup":
		switch k {
		case kindBackup:
			return 4, 2
		case kindStorage, kindIdentity:
			return 0.7, 0.6
		}
		return 0.05, 0.5
	}
	p, c := 1.0, 1.0
	switch a.env {
	case envStaging:
		c = 0.7
	case envDev:
		c = 0.8
	case envSandbox:
		// Experiments: instances, buckets, functions and their plumbing, rarely a managed
		// database or a data pipeline.
		p, c = 0.15, 0.5
		switch k {
		case kindCompute, kindStorage, kindNetwork, kindIdentity, kindSecurity:
			p = 0.8
		}
	}
	if a.data && k == kindData {
		p, c = p*1.4, c*1.4
	}
	if a.edge && k == kindEdge {
		p, c = p*1.6, c*1.3
	}
	return p, c
}

func (a *account) regionFactor(r int) float64 {
	switch r {
	case a.primary:
		return 1
	case a.secondary:
		return 0.45
	}
	return 0.06
}

// churn is the share of resources created, and deleted, during the window.
func (a *account) churn() (created, deleted float64) {
	switch a.env {
	case envProd:
		return 0.08, 0.06
	case envStaging:
		return 0.12, 0.1
	case envDev:
		return 0.2, 0.18
	case envSandbox:
		return 0.3, 0.3
	}
	return 0.04, 0.03
}

// foundationOwner is the owner tag of a landing-zone account: the team that runs its OU.
func foundationOwner(ou string) string {
	switch ou {
	case "Security":
		return "security-team@" + emailDomain
	case "Infrastructure":
		return "platform-team@" + emailDomain
	}
	return "cloud-foundation@" + emailDomain
}
