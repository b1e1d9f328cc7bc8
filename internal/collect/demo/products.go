package demo

import (
	"fmt"
	"strings"

	"github.com/hubreport/hubreport/internal/model"
)

func (o *Org) guardDutyFindings(d, ai, ri int, emit func(*model.Finding)) {
	a := o.accounts[ai]
	pk := hash2(a.key, 0x6764_0000+uint64(ri))
	rate := 0.015 // findings per day
	switch ri {
	case a.primary:
		rate = 0.09
	case a.secondary:
		rate = 0.04
	}
	switch a.env {
	case envSandbox:
		rate *= 1.8
	case envDev:
		rate *= 1.3
	case envStaging:
		rate *= 0.9
	case envFoundation:
		rate *= 0.4
	}
	const lookback = 90 // GuardDuty findings stay in Security Hub for 90 days
	span := o.cfg.Days + lookback
	n := stochRound(rate*float64(span), hash2(pk, 1))
	detector := hexString(hash2(pk, 2), 32)
	if ds := o.inv[ai][ri]["AwsGuardDutyDetector"]; len(ds) > 0 {
		// The detector the GuardDuty.* controls evaluate.
		detector = ds[0].id[strings.LastIndexByte(ds[0].id, '/')+1:]
	}
	region, acct := regions[ri], a.AccountID
	instances := o.inv[ai][ri]["AwsEc2Instance"]
	buckets := o.inv[ai][ri]["AwsS3Bucket"]
	for j := 0; j < n; j++ {
		h := hash2(pk, uint64(100+j))
		start := -lookback + int(hash2(h, 1)%uint64(span))
		if start > d {
			continue
		}
		archived := never
		if unit(hash2(h, 2)) < 0.55 {
			archived = start + 2 + int(hash2(h, 3)%43)
		}
		gone := min(start+lookback, archived+archivedDays)
		if d >= gone {
			continue
		}
		t := threats[weighted(hash2(h, 4), len(threats), func(i int) int { return threats[i].weight })]
		var resType, resID, short string
		switch t.resource {
		case "instance":
			if r := alive(instances, start, hash2(h, 5)); r != nil {
				resType, resID, short = "AwsEc2Instance", r.id, r.id[strings.LastIndexByte(r.id, '/')+1:]
			}
		case "bucket":
			if r := alive(buckets, start, hash2(h, 5)); r != nil {
				resType, resID, short = "AwsS3Bucket", r.id, strings.TrimPrefix(r.id, "arn:aws:s3:::")
			}
		}
		if resType == "" {
			if t.resource == "instance" || t.resource == "bucket" {
				t = threats[fallbackThreat] // needs no resource in the region
			}
			resType = "AwsIamAccessKey"
			resID = "AWS::IAM::AccessKey:ASIA" + upperAlnum(hash2(h, 6), 16)
			nm := &namer{stem: a.Name, slot: int(hash2(h, 7) % 8), offset: int(hash2(h, 8) % 100)}
			if t.resource == "role" {
				short = strings.TrimPrefix(nm.personalize(nm.pick(iamRoleNames)), "sso:")
			} else if t.name == "Policy:IAMUser/RootCredentialUsage" {
				short = acct
			} else {
				short = nm.personalize(nm.pick(iamUserNames))
			}
		}
		sev := gdSeverity(t.severity)
		created := o.eventTime(start, 0, hash2(h, 9))
		f := &model.Finding{
			ID:                 "arn:aws:guardduty:" + region + ":" + acct + ":detector/" + detector + "/finding/" + hexString(hash2(h, 10), 32),
			ProductARN:         productARN(ri, "guardduty"),
			ProductName:        "GuardDuty",
			CompanyName:        "Amazon",
			GeneratorID:        "arn:aws:guardduty:" + region + ":" + acct + ":detector/" + detector,
			AccountID:          acct,
			Region:             region,
			Type:               t.asffType,
			Title:              fmt.Sprintf(t.title, short),
			ResourceType:       resType,
			ResourceID:         resID,
			FirstObservedAt:    created,
			CreatedAt:          created,
			UpdatedAt:          created,
			SeverityLabel:      sev,
			SeverityNormalized: int(t.severity * 10),
			WorkflowStatus:     "NEW",
			RecordState:        "ACTIVE",
		}
		if d >= archived {
			f.RecordState = "ARCHIVED"
			f.UpdatedAt = o.eventTime(archived, 5, hash2(h, 11))
		}
		emit(f)
	}
}

func gdSeverity(s float64) string {
	switch {
	case s >= 9:
		return "CRITICAL"
	case s >= 7:
		return "HIGH"
	case s >= 4:
		return "MEDIUM"
	}
	return "LOW"
}

// alive picks a resource that existed on day, or nil.
func alive(rs []resource, day int, h uint64) *resource {
	if len(rs) == 0 {
		return nil
	}
	start := int(h % uint64(len(rs)))
	for i := range rs {
		r := &rs[(start+i)%len(rs)]
		if r.born <= day && day < r.died {
			return r
		}
	}
	return nil
}

func (o *Org) inspectorFindings(d, ai, ri int, emit func(*model.Finding)) {
	a := o.accounts[ai]
	mean := map[string]float64{envSandbox: 2.2, envDev: 1.6, envStaging: 1.0, envProd: 0.7, envFoundation: 0.6}[a.env]
	const enabled = -400 // Inspector was enabled organization-wide about a year before the window
	region, acct := regions[ri], a.AccountID
	for _, kindName := range []string{"AwsEc2Instance", "AwsEcrRepository"} {
		container := kindName == "AwsEcrRepository"
		for i := range o.inv[ai][ri][kindName] {
			r := &o.inv[ai][ri][kindName][i]
			if r.born > d || d >= r.died+archivedDays {
				continue
			}
			for j := uint64(0); j < 6; j++ {
				h := hash2(r.key, 0x1a5e_c700+j)
				if unit(hash2(h, 1)) >= mean/6 {
					continue
				}
				ci := weighted(hash2(h, 2), len(cves), func(i int) int {
					if cves[i].container != container {
						return 0
					}
					return cves[i].weight
				})
				v := cves[ci]
				detect := max(r.born, o.cveDays[ci]+1+int(hash2(h, 3)%3), enabled+int(hash2(h, 4)%30))
				if detect > d {
					continue
				}
				end := r.died
				pFix := 0.45
				if v.severity == "CRITICAL" || v.severity == "HIGH" {
					pFix = 0.75
				}
				if unit(hash2(h, 5)) < pFix {
					end = min(end, detect+3+int(unit(hash2(h, 6))*60*(1.4-a.quality)))
				}
				if d >= end+archivedDays {
					continue
				}
				created := o.eventTime(detect, 0, hash2(h, 7))
				resType, resID := "AwsEc2Instance", r.id
				if container {
					resType, resID = "AwsEcrContainerImage", r.id+"/sha256:"+hexString(hash2(h, 8), 64)
				}
				f := &model.Finding{
					ID:                 "arn:aws:inspector2:" + region + ":" + acct + ":finding/" + hexString(hash2(h, 9), 32),
					ProductARN:         productARN(ri, "inspector"),
					ProductName:        "Inspector",
					CompanyName:        "Amazon",
					GeneratorID:        "AWSInspector",
					AccountID:          acct,
					Region:             region,
					Type:               "Software and Configuration Checks/Vulnerabilities/CVE",
					Title:              v.id + " - " + v.packages,
					ResourceType:       resType,
					ResourceID:         resID,
					FirstObservedAt:    created,
					CreatedAt:          created,
					UpdatedAt:          created,
					SeverityLabel:      v.severity,
					SeverityNormalized: normalized(v.severity),
					WorkflowStatus:     "NEW",
					RecordState:        "ACTIVE",
				}
				if d >= end {
					// Inspector closes the finding once the package is patched or the
					// resource is gone, and Security Hub archives it.
					f.RecordState = "ARCHIVED"
					f.UpdatedAt = o.eventTime(end, 5, hash2(h, 10))
				}
				emit(f)
			}
		}
	}
}

func (o *Org) macieFindings(d, ai, ri int, emit func(*model.Finding)) {
	a := o.accounts[ai]
	if !a.data || ri != a.primary || (a.env != envProd && a.env != envStaging) {
		return
	}
	buckets := o.inv[ai][ri]["AwsS3Bucket"]
	pk := hash2(a.key, 0x6d61_6369)
	n := 2 + int(hash2(pk, 1)%5)
	region, acct := regions[ri], a.AccountID
	for j := 0; j < n; j++ {
		h := hash2(pk, uint64(100+j))
		start := -120 + int(hash2(h, 1)%uint64(120+o.cfg.Days))
		if start > d {
			continue
		}
		archived := never
		if unit(hash2(h, 2)) < 0.35 {
			archived = start + 10 + int(hash2(h, 3)%50)
		}
		if d >= archived+archivedDays {
			continue
		}
		b := alive(buckets, start, hash2(h, 4))
		if b == nil {
			continue
		}
		t := sensitiveDataTypes[weighted(hash2(h, 5), len(sensitiveDataTypes), func(i int) int { return sensitiveDataTypes[i].weight })]
		created := o.eventTime(start, 0, hash2(h, 6))
		f := &model.Finding{
			ID:                 hexString(hash2(h, 7), 32),
			ProductARN:         productARN(ri, "macie"),
			ProductName:        "Macie",
			CompanyName:        "Amazon",
			GeneratorID:        "aws/macie",
			AccountID:          acct,
			Region:             region,
			Type:               t.asffType,
			Title:              t.title,
			ResourceType:       "AwsS3Bucket",
			ResourceID:         b.id,
			FirstObservedAt:    created,
			CreatedAt:          created,
			UpdatedAt:          created,
			SeverityLabel:      t.severity,
			SeverityNormalized: normalized(t.severity),
			WorkflowStatus:     "NEW",
			RecordState:        "ACTIVE",
		}
		if d >= archived {
			f.RecordState = "ARCHIVED"
			f.UpdatedAt = o.eventTime(archived, 5, hash2(h, 8))
		}
		emit(f)
	}
}

func productARN(ri int, product string) string { return productARNs[product][ri] }
