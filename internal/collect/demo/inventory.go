package demo

import "sort"

type resource struct {
	id   string
	key  uint64
	born int
	died int // never while it exists
}

func lookupType(asff, service string) *resType {
	if t, ok := resTypes[asff]; ok {
		return t
	}
	return genericType(asff, service)
}

func init() {
	// The table is keyed by type; copy the key into each entry once.
	for k, t := range resTypes {
		t.asff = k
	}
	for _, p := range []string{"securityhub", "guardduty", "inspector", "macie"} {
		for ri, r := range regions {
			productARNs[p][ri] = "arn:aws:securityhub:" + r + "::product/aws/" + p
		}
	}
}

var productARNs = map[string]*[4]string{"securityhub": {}, "guardduty": {}, "inspector": {}, "macie": {}}

// buildInventory decides every account's resources: how many of each type per region, when each
// was created and when deleted. Counts shrink uniformly if the catalog would otherwise push a
// snapshot past findingsPer50Accounts.
func (o *Org) buildInventory() {
	types := map[string]*resType{}
	perType := map[string][2]int{} // controls per type: [global, regional]
	accountControls := [2]int{}
	for _, c := range o.controls {
		g := 1
		if c.Global {
			g = 0
		}
		if c.res == nil {
			accountControls[g]++
			continue
		}
		if _, ok := types[c.res.asff]; !ok {
			types[c.res.asff] = c.res
		}
		pt := perType[c.res.asff]
		pt[g]++
		perType[c.res.asff] = pt
	}
	// Inspector, GuardDuty and Macie need instances, repositories and buckets.
	for _, t := range []string{"AwsEc2Instance", "AwsEcrRepository", "AwsS3Bucket", "AwsIamRole"} {
		types[t] = lookupType(t, "")
	}
	names := make([]string, 0, len(types))
	for k := range types {
		names = append(names, k)
	}
	sort.Strings(names)

	type cell struct {
		mean  float64
		every int
	}
	cells := make([][][]cell, len(o.accounts))
	fixed, variable := 0.0, 0.0
	for ai, a := range o.accounts {
		cells[ai] = make([][]cell, len(regions))
		for ri := range regions {
			cells[ai][ri] = make([]cell, len(names))
			fixed += float64(accountControls[1])
			if ri == homeRegion {
				fixed += float64(accountControls[0])
			}
			for ti, name := range names {
				t := types[name]
				if t.global && ri != homeRegion {
					continue
				}
				h := hash2(a.key, strKey(name))
				pf, cf := a.factor(t.kind)
				c := cell{every: t.every}
				if unit(hash2(h, 1)) < t.presence*pf {
					rf := a.regionFactor(ri)
					if t.global {
						rf = 1
					}
					c.mean = density * t.base * cf * rf
				}
				if a.role == "management" && name == "AwsCloudTrailTrail" && ri == homeRegion {
					c.every = 1 // the organization trail
				}
				cells[ai][ri][ti] = c
				pt := perType[name]
				n := float64(pt[1])
				if ri == homeRegion {
					n += float64(pt[0])
				}
				fixed += float64(c.every) * n
				variable += c.mean * n
			}
		}
	}
	scale := 1.0
	target := float64(findingsPer50Accounts) * float64(len(o.accounts)) / 50
	if fixed+variable > target && variable > 0 {
		scale = max(0.1, (target-fixed)/variable)
	}

	days := o.cfg.Days
	o.inv = make([][]map[string][]resource, len(o.accounts))
	for ai, a := range o.accounts {
		o.inv[ai] = make([]map[string][]resource, len(regions))
		created, deleted := a.churn()
		for ri, region := range regions {
			m := map[string][]resource{}
			o.inv[ai][ri] = m
			for ti, name := range names {
				c := cells[ai][ri][ti]
				h := hash2(hash2(a.key, strKey(name)), uint64(ri)+100)
				nv := 0
				if c.mean > 0 {
					nv = min(14, stochRound(c.mean*scale*(0.5+unit(hash2(h, 2))), hash2(h, 3)))
				}
				nNew := stochRound(float64(nv)*created, hash2(h, 4))
				total := c.every + nv + nNew
				if total == 0 {
					continue
				}
				t := types[name]
				nm := &namer{account: a.AccountID, region: region, stem: a.Name, bu: a.bu, env: a.env,
					nouns: a.nouns, offset: int(hash2(h, 5) % 1000)}
				if a.env == envFoundation {
					nm.stem = "acme-" + a.Name
					if a.role == "management" {
						nm.stem = "acme"
					}
				}
				rs := make([]resource, total)
				for i := range rs {
					k := hash2(h, uint64(1000+i))
					nm.slot, nm.key = i, k
					r := resource{key: k, born: -20 - int(unit(hash2(k, 1))*900), died: never}
					switch {
					case i < c.every:
						r.born = -2000 // default VPC and friends: as old as the account
					case i < c.every+nv:
						if unit(hash2(k, 2)) < deleted {
							r.died = between(hash2(k, 3), 1, days-1)
						}
					default:
						r.born = between(hash2(k, 4), 1, days-1)
						if unit(hash2(k, 5)) < 0.25 {
							r.died = r.born + 3 + int(hash2(k, 6)%40)
						}
					}
					r.id = t.arn(nm)
					rs[i] = r
				}
				m[name] = rs
			}
		}
	}
}
