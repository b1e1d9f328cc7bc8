package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func f(x float64) *float64 { return &x }
func i(n int) *int         { return &n }
func s(v string) *string   { return &v }

var (
	cis  = report.StandardScore{ID: "standards/cis-aws-foundations-benchmark/v/5.0.0", Name: "CIS AWS Foundations Benchmark v5.0", ShortName: "CIS v5.0"}
	fsbp = report.StandardScore{ID: "standards/aws-foundational-security-best-practices/v/1.0.0", Name: "AWS Foundational Security Best Practices v1.0.0", ShortName: "AWS FSBP v1.0"}
	pci  = report.StandardScore{ID: "standards/pci-dss/v/3.2.1", Name: "PCI DSS v3.2.1", ShortName: "PCI DSS v3.2.1"}
	nist = report.StandardScore{ID: "standards/nist-800-53/v/5.0.0", Name: "NIST SP 800-53 Revision 5", ShortName: "NIST 800-53 r5"}
)

// score returns std with its score and control counts.
func score(std report.StandardScore, sc, noSupp *float64, passed, failed, unknown, noData int) report.StandardScore {
	std.Score, std.ScoreWithoutSuppressions = sc, noSupp
	std.Passed, std.Failed, std.Unknown, std.NoData = passed, failed, unknown, noData
	return std
}

// progress returns std's progress over series, baseline the first point, current the last.
func progress(std report.StandardScore, projected *string, onTrack bool, series ...report.ScorePoint) report.StandardProgress {
	p := report.StandardProgress{ID: std.ID, Name: std.Name, ShortName: std.ShortName, Series: series, ProjectedDate: projected, OnTrack: onTrack}
	if len(series) > 0 {
		p.BaselineScore, p.CurrentScore = series[0].Score, series[len(series)-1].Score
		if p.BaselineScore != nil && p.CurrentScore != nil {
			p.Change = f(*p.CurrentScore - *p.BaselineScore)
		}
	}
	return p
}

// offTrack sets the reason a standard is off track.
func offTrack(p report.StandardProgress, reason string) report.StandardProgress {
	p.OffTrackReason = reason
	return p
}

func pt(date string, sc *float64) report.ScorePoint {
	return report.ScorePoint{Date: date, Score: sc}
}

// partialPt is a point of a partial snapshot.
func partialPt(date string, sc *float64) report.ScorePoint {
	return report.ScorePoint{Date: date, Score: sc, Partial: true}
}

var takenAt = time.Date(2025, 2, 23, 6, 0, 0, 0, time.UTC)

// fullReport has every section filled: 4 standards, 12 top failed controls (2 beyond the text
// report's 10), change_7d up, down, zero and unknown, accounts, 4 snapshots of progress with
// fixed and regressed controls (6 fixed, 1 beyond the 5 printed), complete coverage.
func fullReport() *report.Report {
	return &report.Report{
		GeneratedAt:          time.Date(2025, 2, 23, 6, 42, 10, 0, time.UTC),
		Organization:         "acme-corp",
		AdministratorAccount: "111122223333",
		ReportDate:           "2025-02-23",
		Snapshot: report.SnapshotInfo{
			ID: 42, TakenAt: takenAt, Source: "demo", Status: "complete",
			Findings: 48213, AccountsCollected: 50, AccountsExpected: 50,
		},
		SummaryScore:                    f(74.626865671641791), // 300 of 402 unique controls
		SummaryScoreWithoutSuppressions: f(73.9),
		SummaryControls:                 report.SummaryControls{Passed: 300, Failed: 100, Unknown: 2},
		SummaryScoreMeanOfStandards:     f(79.825), // mean of the four
		Standards: []report.StandardScore{
			score(cis, f(78.2), f(76.9), 43, 12, 0, 2),
			score(fsbp, f(81.4), f(80.1), 180, 40, 1, 12),
			score(pci, f(68.5), f(66.2), 37, 17, 0, 1), // exact half: 69%
			score(nist, f(91.2), f(89.7), 210, 20, 0, 30),
		},
		TopFailedControls: []report.FailedControl{
			{ControlID: "S3.1", Title: "S3 general purpose buckets should have block public access settings enabled", Severity: "MEDIUM", FailedAccounts: 23, TotalAccounts: 50, FailedResources: 23, Change7d: i(2), Standards: []string{fsbp.ID, cis.ID, pci.ID, nist.ID}},
			{ControlID: "IAM.6", Title: "Hardware MFA should be enabled for the root user", Severity: "CRITICAL", FailedAccounts: 19, TotalAccounts: 50, FailedResources: 19, Change7d: i(-3), Standards: []string{cis.ID, pci.ID, nist.ID}},
			{ControlID: "EC2.2", Title: "VPC default security groups should not allow inbound or outbound traffic", Severity: "HIGH", FailedAccounts: 17, TotalAccounts: 50, FailedResources: 1214, Change7d: i(0), Standards: []string{fsbp.ID, cis.ID, pci.ID, nist.ID}},
			{ControlID: "S3.5", Title: "S3 general purpose buckets should require requests to use SSL", Severity: "MEDIUM", FailedAccounts: 15, TotalAccounts: 50, FailedResources: 342, Change7d: nil, Standards: []string{fsbp.ID, cis.ID, pci.ID, nist.ID}},
			{ControlID: "CloudTrail.2", Title: "CloudTrail should have encryption at-rest enabled", Severity: "MEDIUM", FailedAccounts: 12, TotalAccounts: 50, FailedResources: 12, Change7d: i(1), Standards: []string{fsbp.ID, cis.ID, pci.ID, nist.ID}},
			{ControlID: "EC2.19", Title: "Security groups should not allow unrestricted access to ports with high risk", Severity: "CRITICAL", FailedAccounts: 11, TotalAccounts: 50, FailedResources: 87, Change7d: i(-1), Standards: []string{fsbp.ID, nist.ID}},
			{ControlID: "KMS.4", Title: "AWS KMS key rotation should be enabled", Severity: "MEDIUM", FailedAccounts: 9, TotalAccounts: 50, FailedResources: 61, Change7d: i(0), Standards: []string{cis.ID, pci.ID, nist.ID}},
			{ControlID: "IAM.4", Title: "IAM root user access key should not exist", Severity: "CRITICAL", FailedAccounts: 4, TotalAccounts: 50, FailedResources: 4, Change7d: i(-2), Standards: []string{fsbp.ID, cis.ID, pci.ID, nist.ID}},
			{ControlID: "RDS.3", Title: "RDS DB instances should have encryption at-rest enabled", Severity: "MEDIUM", FailedAccounts: 4, TotalAccounts: 50, FailedResources: 9, Change7d: i(0), Standards: []string{fsbp.ID, nist.ID}},
			{ControlID: "GuardDuty.1", Title: "GuardDuty should be enabled", Severity: "HIGH", FailedAccounts: 3, TotalAccounts: 50, FailedResources: 3, Change7d: i(3), Standards: []string{fsbp.ID, pci.ID, nist.ID}},
			{ControlID: "Config.1", Title: "AWS Config should be enabled and use the service-linked role for resource recording", Severity: "MEDIUM", FailedAccounts: 2, TotalAccounts: 50, FailedResources: 2, Change7d: nil, Standards: []string{fsbp.ID, cis.ID, pci.ID, nist.ID}},
			{ControlID: "EFS.1", Title: "Elastic File System should be configured to encrypt file data at-rest using AWS KMS", Severity: "MEDIUM", FailedAccounts: 1, TotalAccounts: 50, FailedResources: 1, Change7d: i(0), Standards: []string{fsbp.ID, nist.ID}},
		},
		Findings: report.FindingSummary{
			Active: 1247, Critical: 34, High: 189, Medium: 567, Low: 457, Informational: 0,
			Suppressed: 23, RemediatedThisMonth: 132, AutoRemediatedThisMonth: 89,
		},
		Accounts: []report.AccountScores{
			{AccountID: "111122223333", Name: "security-admin", OU: "Root/Security", Score: f(93.1), SummaryScore: f(93.1), SummaryScoreWithoutSuppressions: f(93.1), SummaryScoreMeanOfStandards: f(92.5), Failed: 3, Standards: []report.AccountStandardScore{
				{ID: cis.ID, Score: f(90), Passed: 45, Failed: 5},
				{ID: fsbp.ID, Score: f(95), Passed: 190, Failed: 10},
			}},
			{AccountID: "444455556666", Name: "payments-prod", OU: "Root/Workloads/Prod", Score: f(62.8), SummaryScore: f(62.8), SummaryScoreWithoutSuppressions: f(61.2), SummaryScoreMeanOfStandards: f(64.25), Failed: 21, Standards: []report.AccountStandardScore{
				{ID: cis.ID, Score: f(61.5), Passed: 32, Failed: 20, Unknown: 0},
				{ID: pci.ID, Score: f(67), Passed: 36, Failed: 17, Unknown: 1},
			}},
		},
		Progress: report.Progress{
			WindowDays: 90, TargetScore: 90,
			From: "2024-11-26", To: "2025-02-23", Snapshots: 4,
			Standards: []report.StandardProgress{
				progress(cis, s("2025-06-10"), true, pt("2024-11-26", f(64.4)), pt("2024-12-26", f(69)), pt("2025-01-25", f(73.8)), pt("2025-02-23", f(78.2))),
				// 81.3 -> 81.4: improving, but both print as 81%, so the change prints as 0 pts.
				offTrack(progress(fsbp, s("2031-04-02"), false, pt("2024-11-26", f(81.3)), pt("2024-12-26", f(80.9)), pt("2025-01-25", f(81.1)), pt("2025-02-23", f(81.4))),
					"projected 2031-04-02, beyond the 365-day horizon"),
				offTrack(progress(pci, nil, false, pt("2024-11-26", f(70.4)), pt("2024-12-26", f(71)), pt("2025-01-25", f(69.2)), pt("2025-02-23", f(68.5))),
					"score falling"),
				progress(nist, s("2025-02-23"), true, pt("2024-11-26", f(85)), pt("2024-12-26", f(87.5)), pt("2025-01-25", f(89.9)), pt("2025-02-23", f(91.2))),
			},
			Series: []report.ProgressPoint{
				{Date: "2024-11-26", FailedControlAccount: 812, OpenCritical: 96, OpenHigh: 420},
				{Date: "2024-12-26", FailedControlAccount: 744, OpenCritical: 71, OpenHigh: 366},
				{Date: "2025-01-25", FailedControlAccount: 650, OpenCritical: 52, OpenHigh: 240},
				{Date: "2025-02-23", FailedControlAccount: 604, OpenCritical: 34, OpenHigh: 189},
			},
			Fixed: 340, NewlyFailing: 132, MedianDaysToRemediate: f(12.5), Remediated: 311, StillOpen: 2_870,
			NewlySuppressed: 14, NewlyDisabled: 6, AccountsLeft: 1, NotComparable: 0, TargetHorizonDays: 365,
			FixedControls: []report.ControlChange{
				{ControlID: "S3.1", Title: "S3 general purpose buckets should have block public access settings enabled", Severity: "MEDIUM", AccountsBefore: 31, AccountsNow: 23},
				{ControlID: "IAM.6", Title: "Hardware MFA should be enabled for the root user", Severity: "CRITICAL", AccountsBefore: 26, AccountsNow: 19},
				{ControlID: "IAM.4", Title: "IAM root user access key should not exist", Severity: "CRITICAL", AccountsBefore: 9, AccountsNow: 4},
				{ControlID: "CloudTrail.1", Title: "CloudTrail should be enabled and configured with at least one multi-Region trail that includes read and write management events", Severity: "HIGH", AccountsBefore: 4, AccountsNow: 0},
				{ControlID: "EC2.2", Title: "VPC default security groups should not allow inbound or outbound traffic", Severity: "HIGH", AccountsBefore: 20, AccountsNow: 17},
				{ControlID: "RDS.3", Title: "RDS DB instances should have encryption at-rest enabled", Severity: "MEDIUM", AccountsBefore: 6, AccountsNow: 4},
			},
			RegressedControls: []report.ControlChange{
				{ControlID: "GuardDuty.1", Title: "GuardDuty should be enabled", Severity: "HIGH", AccountsBefore: 0, AccountsNow: 3},
				{ControlID: "EC2.19", Title: "Security groups should not allow unrestricted access to ports with high risk", Severity: "CRITICAL", AccountsBefore: 8, AccountsNow: 11},
			},
		},
		Coverage: report.Coverage{Complete: true, Collected: 200, Expected: 200},
		Exceptions: report.Exceptions{
			Total: 23, WithoutControl: 2, WithoutJustification: 4, Expired: 3, ExpiringWithin30Days: 2, NoExpiry: 0, InvalidExpiry: 1,
			ByControl: []report.ExceptionControl{
				{ControlID: "S3.1", Title: "S3 general purpose buckets should have block public access settings enabled", Severity: "MEDIUM", Count: 12},
				{ControlID: "EC2.19", Title: "Security groups should not allow unrestricted access to ports with high risk", Severity: "CRITICAL", Count: 5},
				{ControlID: "KMS.4", Title: "AWS KMS key rotation should be enabled", Severity: "MEDIUM", Count: 3},
				{ControlID: "Config.1", Title: "AWS Config should be enabled and use the service-linked role for resource recording", Severity: "MEDIUM", Count: 1},
			},
			InvalidExpiries: []report.InvalidExpiry{{AccountID: "444455556666", Region: "eu-west-1", ControlID: "S3.1", ResourceID: "arn:aws:s3:::payments-logs", Value: "next quarter"}},
			ExpiryField:     "exception_expires", MaxAgeDays: 365,
		},
		RemediationPlan: []report.PlanItem{
			planItem("IAM.6", "Hardware MFA should be enabled for the root user", "CRITICAL", 19, 19),
			planItem("EC2.19", "Security groups should not allow unrestricted access to ports with high risk", "CRITICAL", 11, 87),
			planItem("IAM.4", "IAM root user access key should not exist", "CRITICAL", 4, 4),
			planItem("EC2.2", "VPC default security groups should not allow inbound or outbound traffic", "HIGH", 17, 1214),
			planItem("GuardDuty.1", "GuardDuty should be enabled", "HIGH", 3, 3),
			planItem("S3.1", "S3 general purpose buckets should have block public access settings enabled", "MEDIUM", 23, 23),
		},
		OrganizationalUnits: []report.OrganizationalUnit{
			ouScores("Security", 4, f(84.5), f(2.5), "IAM.6", "Hardware MFA should be enabled for the root user", "CRITICAL", 2),
			ouScores("Workloads", 30, f(61.25), f(6), "S3.1", "S3 general purpose buckets should have block public access settings enabled", "MEDIUM", 18),
			ouScores("Workloads/Prod", 12, f(70), nil, "EC2.19", "Security groups should not allow unrestricted access to ports with high risk", "CRITICAL", 5),
			ouScores("Workloads/Non-Prod", 18, nil, nil, "", "", "", 0),
		},
		SinceLastWeek: sampleDiff(time.Date(2025, 2, 16, 6, 0, 0, 0, time.UTC), takenAt),
	}
}

// sampleDiff has every kind of change, with Fixed cut below its count (as in the report's week).
func sampleDiff(from, to time.Time) *report.Diff {
	snap := func(id int64, t time.Time) report.DiffSnapshot {
		return report.DiffSnapshot{ID: id, TakenAt: t, Date: t.Format(time.DateOnly)}
	}
	item := func(control, account, severity, title, ou string) report.DiffItem {
		return report.DiffItem{ControlID: control, AccountID: account, Severity: severity, Title: title, OU: ou}
	}
	return &report.Diff{
		From: snap(35, from), To: snap(42, to),
		Counts: report.DiffCounts{Fixed: 4, NewlyFailing: 1, NewlySuppressed: 1, NewlyDisabled: 1, AccountsJoined: 1, AccountsLeft: 1, NotComparable: 1},
		Fixed: []report.DiffItem{
			item("IAM.6", "111122223333", "CRITICAL", "Hardware MFA should be enabled for the root user", "Security"),
			item("EC2.2", "444455556666", "HIGH", "VPC default security groups should not allow inbound or outbound traffic", "Workloads/Prod"),
			item("S3.1", "444455556666", "MEDIUM", "S3 general purpose buckets should have block public access settings enabled", "Workloads/Prod"),
		},
		NewlyFailing:    []report.DiffItem{item("EC2.19", "111122223333", "CRITICAL", "Security groups should not allow unrestricted access to ports with high risk", "Security")},
		NewlySuppressed: []report.DiffItem{item("GuardDuty.1", "444455556666", "HIGH", "GuardDuty should be enabled", "Workloads/Prod")},
		NewlyDisabled:   []report.DiffItem{item("IAM.4", "111122223333", "CRITICAL", "IAM root user access key should not exist", "")},
		AccountsJoined:  []report.DiffAccount{{AccountID: "777788889999", Name: "payments-dev", OU: "Workloads/Non-Prod"}},
		AccountsLeft:    []report.DiffAccount{{AccountID: "123412341234", Name: "old-sandbox", OU: "Sandbox"}},
		NotComparable:   []report.DiffItem{item("S3.1", "555566667777", "MEDIUM", "S3 general purpose buckets should have block public access settings enabled", "Workloads/Prod")},
	}
}

// ouScores is an OU scorecard of the fixture, with one top failed control when id is set.
func ouScores(path string, accounts int, summary, change *float64, id, title, severity string, failed int) report.OrganizationalUnit {
	ou := report.OrganizationalUnit{Name: path[strings.LastIndex(path, "/")+1:], Path: path, Accounts: accounts,
		SummaryScore: summary, SummaryScoreWithoutSuppressions: summary, Score: summary, Change: change,
		SummaryControls: report.SummaryControls{Passed: 120, Failed: 40, Unknown: 2},
		Standards:       []report.OUStandardScore{{ID: fsbp.ID, ShortName: fsbp.ShortName, Score: summary, Passed: 120, Failed: 40, Unknown: 2}},
		WeakestAccounts: []report.OUAccount{{AccountID: "444455556666", Name: "payments-prod", OU: path, SummaryScore: f(62.8), FailedControls: 21}},
		Trend:           []report.OUTrendPoint{{Date: "2025-02-16", SummaryScore: summary}, {Date: "2025-02-23", SummaryScore: summary, Partial: true}},
	}
	if summary != nil && change != nil {
		ou.Trend[0].SummaryScore = f(*summary - *change)
	}
	if id != "" {
		ou.TopFailedControls = []report.OUFailedControl{{ControlID: id, Title: title, Severity: severity, FailedAccounts: failed}}
	}
	return ou
}

// planItem is a remediation plan entry failing in the fixture's two accounts (whatever the count
// says: the renderers print what they are given).
func planItem(id, title, severity string, accounts, resources int) report.PlanItem {
	service, n, _ := strings.Cut(id, ".")
	return report.PlanItem{ControlID: id, Title: title, Severity: severity, FailedAccounts: accounts, FailedResources: resources,
		Accounts: []report.PlanAccount{{AccountID: "111122223333", Name: "security-admin", OU: "Root/Security"},
			{AccountID: "444455556666", Name: "payments-prod", OU: "Root/Workloads/Prod"}},
		RemediationURL: "https://docs.aws.amazon.com/securityhub/latest/userguide/" + strings.ToLower(service) + "-controls.html#" +
			strings.ToLower(service) + "-" + n}
}

// partialReport lost three account/region pairs; PCI DSS has no data at all (nil scores), an
// account has no score, the baseline of a standard is unknown and nothing regressed.
func partialReport() *report.Report {
	return &report.Report{
		GeneratedAt:          time.Date(2025, 2, 23, 6, 42, 10, 0, time.UTC),
		Organization:         "acme-corp",
		AdministratorAccount: "111122223333",
		ReportDate:           "2025-02-23",
		Snapshot: report.SnapshotInfo{
			ID: 43, TakenAt: takenAt, Source: "aws", Status: "partial",
			Findings: 1_204_311, AccountsCollected: 48, AccountsExpected: 50,
		},
		SummaryScore:                    f(80.25),
		SummaryScoreWithoutSuppressions: f(79.5),
		SummaryControls:                 report.SummaryControls{Passed: 321, Failed: 76, Unknown: 3},
		SummaryScoreMeanOfStandards:     f(80.25),
		Standards: []report.StandardScore{
			score(cis, f(79.5), f(79), 44, 11, 1, 1),
			score(fsbp, f(81), f(80), 181, 41, 2, 9),
			score(pci, nil, nil, 0, 0, 0, 55),
		},
		TopFailedControls: []report.FailedControl{
			{ControlID: "S3.1", Title: "S3 general purpose buckets should have block public access settings enabled", Severity: "MEDIUM", FailedAccounts: 1021, TotalAccounts: 1400, FailedResources: 1021, Change7d: nil, Standards: []string{fsbp.ID, cis.ID}},
			{ControlID: "IAM.6", Title: "Hardware MFA should be enabled for the root user", Severity: "CRITICAL", FailedAccounts: 19, TotalAccounts: 1400, FailedResources: 19},
		},
		Findings: report.FindingSummary{
			Active: 1_023_456, Critical: 3_456, High: 120_000, Medium: 600_000, Low: 300_000, Informational: 0,
			Suppressed: 1_000, RemediatedThisMonth: 0, AutoRemediatedThisMonth: 0,
		},
		Accounts: []report.AccountScores{
			{AccountID: "123456789012", Name: "sandbox", OU: "", Score: nil, Failed: 0, Standards: []report.AccountStandardScore{{ID: pci.ID}}},
		},
		Progress: report.Progress{
			WindowDays: 90, TargetScore: 85.5,
			From: "2025-02-16", To: "2025-02-23", Snapshots: 2,
			Standards: []report.StandardProgress{
				progress(cis, s("2025-04-01"), true, pt("2025-02-16", nil), partialPt("2025-02-23", f(79.5))),
				offTrack(progress(fsbp, nil, false, pt("2025-02-16", f(81.5)), partialPt("2025-02-23", f(81))), "score falling"),
				offTrack(progress(pci, nil, false, pt("2025-02-16", nil), partialPt("2025-02-23", nil)), "no score in the report's snapshot"),
			},
			Series: []report.ProgressPoint{
				{Date: "2025-02-16", FailedControlAccount: 2_010, OpenCritical: 3_500, OpenHigh: 121_000},
				{Date: "2025-02-23", FailedControlAccount: 2_004, OpenCritical: 3_456, OpenHigh: 120_000, Partial: true},
			},
			Fixed: 12, NewlyFailing: 6, MedianDaysToRemediate: nil, Remediated: 3, StillOpen: 1_021,
			NewlySuppressed: 2, NewlyDisabled: 0, AccountsLeft: 0, NotComparable: 41, TargetHorizonDays: 365,
			FixedControls: []report.ControlChange{
				{ControlID: "IAM.6", Title: "Hardware MFA should be enabled for the root user", Severity: "CRITICAL", AccountsBefore: 25, AccountsNow: 19},
			},
		},
		Coverage: report.Coverage{
			Complete: false, Collected: 196, Expected: 200,
			Gaps: []report.CoverageGap{
				{AccountID: "123456789012", Region: "us-west-2", Status: "denied", Reason: "AccessDenied assuming role arn:aws:iam::123456789012:role/HubReportRead"},
				{AccountID: "123456789012", Region: "ap-southeast-1", Status: "denied", Reason: "AccessDenied assuming role arn:aws:iam::123456789012:role/HubReportRead"},
				{AccountID: "210987654321", Region: "eu-west-1", Status: "throttled", Reason: "TooManyRequestsException after 10 retries\n(GetFindings)"},
				{AccountID: "210987654321", Region: "eu-central-1", Status: "missing"},
			},
		},
		// Every suppression without an expiry, none older than the maximum age.
		Exceptions: report.Exceptions{Total: 1_000, NoExpiry: 1_000, WithoutJustification: 1_000, ExpiryField: "risk_expiry",
			ByControl: []report.ExceptionControl{{ControlID: "S3.1", Severity: "MEDIUM", Count: 1_000}}},
		RemediationPlan: []report.PlanItem{
			planItem("IAM.6", "Hardware MFA should be enabled for the root user", "CRITICAL", 19, 19),
			planItem("S3.1", "S3 general purpose buckets should have block public access settings enabled", "MEDIUM", 1021, 1021),
		},
	}
}

// firstReport is the first snapshot ever, of a single account: no history, nothing failed, and
// every list but the standards left nil.
func firstReport() *report.Report {
	return &report.Report{
		GeneratedAt:          time.Date(2025, 2, 23, 6, 42, 10, 0, time.UTC),
		Organization:         "acme-corp",
		AdministratorAccount: "111122223333",
		ReportDate:           "2025-02-23",
		Snapshot: report.SnapshotInfo{
			ID: 1, TakenAt: takenAt, Source: "file", Status: "complete",
			Findings: 312, AccountsCollected: 1, AccountsExpected: 1,
		},
		SummaryScore:                    f(100),
		SummaryScoreWithoutSuppressions: f(100),
		SummaryControls:                 report.SummaryControls{Passed: 38},
		SummaryScoreMeanOfStandards:     f(100),
		Standards:                       []report.StandardScore{score(fsbp, f(100), f(100), 38, 0, 0, 195)},
		Findings:                        report.FindingSummary{Low: 0, Informational: 0},
		Progress: report.Progress{
			WindowDays: 90, TargetScore: 90, TargetHorizonDays: 365,
			From: "2025-02-23", To: "2025-02-23", Snapshots: 1,
		},
		Coverage: report.Coverage{Complete: true, Collected: 1, Expected: 1},
	}
}

var fixtures = []struct {
	name   string
	report func() *report.Report
}{
	{"full", fullReport},
	{"partial", partialReport},
	{"first", firstReport},
	{"stale", staleReport}, // stale_test.go
}

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestText(t *testing.T) {
	for _, tt := range fixtures {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Text(context.Background(), &buf, tt.report()); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			for n, line := range strings.Split(string(got), "\n") {
				if strings.TrimRight(line, " \t") != line || strings.Contains(line, "\t") {
					t.Errorf("line %d has a tab or trailing blanks: %q", n+1, line)
				}
				if strings.Contains(line, "-0%") || strings.Contains(line, "-0 ") {
					t.Errorf("line %d prints -0: %q", n+1, line)
				}
			}
			if !bytes.HasSuffix(got, []byte("\n")) || bytes.HasSuffix(got, []byte("\n\n")) {
				t.Errorf("report should end in exactly one newline")
			}
			golden(t, tt.name+".txt", got)
		})
	}
}

// TestTextLayout pins the opening lines security teams already circulate, independent of the
// golden files.
func TestTextLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := Text(context.Background(), &buf, fullReport()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	want := []string{
		"AWS Security Hub Compliance Report",
		"====================================",
		"Organization: acme-corp",
		"Administrator Account: 111122223333",
		"Report Date: 2025-02-23",
		"Standards Enabled: CIS v5.0, AWS FSBP v1.0, PCI DSS v3.2.1, NIST 800-53 r5",
		"COMPLIANCE SCORES:",
		"CIS AWS Foundations Benchmark v5.0: 78%",
		"AWS Foundational Security Best Practices v1.0.0: 81%",
		"PCI DSS v3.2.1: 69%",
		"NIST SP 800-53 Revision 5: 91%",
		"Summary Score: 75%", // 300 of 402 unique controls: 74.63
		"Summary Score Controls: 300 of 402 passed, each control counted once across the standards",
		"Mean of Standard Scores: 80%", // 79.825: the mean of the unrounded scores, rounded once
		"TOP FAILED CONTROLS (by account count):",
		"[S3.1] S3 general purpose buckets should have block public access settings enabled - 23/50 accounts FAILED (+2 vs 7d ago)",
		"[IAM.6] Hardware MFA should be enabled for the root user - 19/50 accounts FAILED (-3 vs 7d ago)",
		"[EC2.2] VPC default security groups should not allow inbound or outbound traffic - 17/50 accounts FAILED (no change vs 7d ago)",
		"[S3.5] S3 general purpose buckets should require requests to use SSL - 15/50 accounts FAILED",
	}
	for n, w := range want {
		if n >= len(lines) || lines[n] != w {
			got := "<missing>"
			if n < len(lines) {
				got = lines[n]
			}
			t.Errorf("line %d:\n got  %q\n want %q", n+1, got, w)
		}
	}
	for _, w := range []string{
		"Total Active Findings: 1,247\nCritical: 34 | High: 189 | Medium: 567 | Low: 457 | Informational: 0\nRemediated This Month: 132\nAuto-Remediated This Month: 89\nSuppressed: 23\n",
		"Account/region pairs collected: 200/200 (complete)\n",
		"Snapshot 42 taken 2025-02-23T06:00:00Z (source demo)\n",
	} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("report lacks %q", w)
		}
	}
	if got, want := strings.Count(buf.String(), " accounts FAILED"), 10; got != want {
		t.Errorf("top failed controls printed: got %d, want %d", got, want)
	}
}

// TestTextOneLine checks that data cannot break the layout: a newline or tab in a title stays
// on its line.
func TestTextOneLine(t *testing.T) {
	r := firstReport()
	r.TopFailedControls = []report.FailedControl{{ControlID: "X.1", Title: "two\nlines\tand a tab", FailedAccounts: 1, TotalAccounts: 1}}
	var buf bytes.Buffer
	if err := Text(context.Background(), &buf, r); err != nil {
		t.Fatal(err)
	}
	if want := "\n[X.1] two lines and a tab - 1/1 accounts FAILED\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("got\n%s\nwant a line %q", buf.String(), want)
	}
	if got := r.TopFailedControls[0].Title; got != "two\nlines\tand a tab" {
		t.Errorf("Text changed the report: title %q", got)
	}
}

func TestJSON(t *testing.T) {
	for _, tt := range fixtures {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := JSON(context.Background(), &buf, tt.report()); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(buf.Bytes(), []byte("}\n")) {
				t.Errorf("report.json should end in a newline")
			}
			golden(t, tt.name+".json", buf.Bytes())
		})
	}
}

// lookup follows a path like "standards[].score" through decoded JSON; "[]" steps into the
// first element of a list, which must not be empty.
func lookup(v any, path string) (any, error) {
	for _, key := range strings.Split(path, ".") {
		list := strings.HasSuffix(key, "[]")
		key = strings.TrimSuffix(key, "[]")
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: parent is %T, not an object", key, v)
		}
		if v, ok = m[key]; !ok {
			return nil, fmt.Errorf("%s: missing", key)
		}
		if list {
			l, ok := v.([]any)
			if !ok || len(l) == 0 {
				return nil, fmt.Errorf("%s: want a non-empty list, got %v", key, v)
			}
			v = l[0]
		}
	}
	return v, nil
}

// TestJSONFields checks the field names docs/formats.md ("report.json") promises.
func TestJSONFields(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(context.Background(), &buf, fullReport()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	groups := map[string][]string{
		"":                       {"generated_at", "organization", "administrator_account", "summary_score", "summary_score_without_suppressions", "summary_score_mean_of_standards"},
		"summary_controls":       {"passed", "failed", "unknown"},
		"snapshot":               {"id", "taken_at", "findings", "accounts_collected", "accounts_expected"},
		"standards[]":            {"id", "name", "score", "score_without_suppressions", "passed", "failed", "unknown", "no_data"},
		"top_failed_controls[]":  {"control_id", "title", "severity", "failed_accounts", "total_accounts", "failed_resources", "change_7d"},
		"findings":               {"active", "critical", "high", "medium", "low", "informational", "suppressed", "remediated_this_month", "auto_remediated_this_month"},
		"accounts[]":             {"account_id", "name", "ou", "owner", "score", "summary_score", "summary_score_without_suppressions", "summary_score_mean_of_standards"},
		"accounts[].standards[]": {"id", "score"},
		"progress": {"window_days", "target_score", "target_horizon_days", "fixed", "newly_failing", "newly_suppressed",
			"newly_disabled", "accounts_left", "not_comparable", "median_days_to_remediate", "remediated", "still_open"},
		"progress.standards[]":          {"id", "baseline_score", "current_score", "projected_date", "on_track", "off_track_reason"},
		"progress.standards[].series[]": {"date", "score", "partial"},
		"progress.series[]":             {"date", "failed_control_accounts", "partial"},
		"exceptions": {"total", "by_control", "without_control", "without_justification", "expired", "expiring_within_30_days",
			"no_expiry", "invalid_expiry", "invalid_expiries", "expiry_field", "max_age_days"},
		"exceptions.by_control[]":           {"control_id", "title", "severity", "count"},
		"exceptions.invalid_expiries[]":     {"account_id", "region", "control_id", "resource_id", "value"},
		"remediation_plan[]":                {"control_id", "title", "severity", "failed_accounts", "failed_resources", "accounts", "remediation_url"},
		"remediation_plan[].accounts[]":     {"account_id", "name", "ou"},
		"since_last_week":                   {"from", "to", "counts", "fixed", "newly_failing", "newly_suppressed", "newly_disabled", "accounts_joined", "accounts_left", "not_comparable"},
		"since_last_week.from":              {"id", "taken_at", "date"},
		"since_last_week.counts":            {"fixed", "newly_failing", "newly_suppressed", "newly_disabled", "accounts_joined", "accounts_left", "not_comparable"},
		"since_last_week.fixed[]":           {"control_id", "account_id", "severity", "title", "ou"},
		"since_last_week.accounts_joined[]": {"account_id", "name", "ou"},
		"organizational_units[]": {"name", "path", "accounts", "summary_score", "summary_score_without_suppressions", "score",
			"change", "standards", "top_failed_controls", "weakest_accounts", "trend"},
		"organizational_units[].summary_controls":      {"passed", "failed", "unknown"},
		"organizational_units[].standards[]":           {"id", "short_name", "score", "passed", "failed", "unknown"},
		"organizational_units[].top_failed_controls[]": {"control_id", "title", "severity", "failed_accounts"},
		"organizational_units[].weakest_accounts[]":    {"account_id", "name", "ou", "summary_score", "failed_controls"},
		"organizational_units[].trend[]":               {"date", "summary_score", "partial"},
	}
	for parent, fields := range groups {
		for _, field := range fields {
			path := field
			if parent != "" {
				path = parent + "." + field
			}
			t.Run(path, func(t *testing.T) {
				if _, err := lookup(doc, path); err != nil {
					t.Error(err)
				}
			})
		}
	}
	if _, err := lookup(doc, "scope"); err == nil {
		t.Error("the organization's report.json has a scope key")
	}
	if got, err := lookup(doc, "standards[].score"); err != nil || got != 78.2 {
		t.Errorf("standards[0].score: got %v (%v), want the unrounded 78.2", got, err)
	}
	if got, err := lookup(doc, "snapshot.taken_at"); err != nil || got != "2025-02-23T06:00:00Z" {
		t.Errorf("snapshot.taken_at: got %v (%v), want 2025-02-23T06:00:00Z", got, err)
	}
}

// TestJSONEmptyLists checks that nil slices, at any depth, are [] and never null, without
// changing the report rendered.
func TestJSONEmptyLists(t *testing.T) {
	r := &report.Report{
		TopFailedControls: []report.FailedControl{{ControlID: "S3.1"}},
		Accounts:          []report.AccountScores{{AccountID: "123456789012"}},
		Progress:          report.Progress{Standards: []report.StandardProgress{{ID: pci.ID}}},
	}
	var buf bytes.Buffer
	if err := JSON(context.Background(), &buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"standards", "accounts[].standards", "top_failed_controls[].standards",
		"progress.standards[].series", "progress.series",
		"progress.fixed_controls", "progress.regressed_controls", "coverage.gaps",
		"exceptions.by_control", "exceptions.invalid_expiries", "remediation_plan", "organizational_units",
	} {
		t.Run(path, func(t *testing.T) {
			got, err := lookup(doc, path)
			if err != nil {
				t.Fatal(err)
			}
			if l, ok := got.([]any); !ok || len(l) != 0 {
				t.Errorf("got %#v, want []", got)
			}
		})
	}
	if r.Standards != nil || r.Accounts[0].Standards != nil || r.Progress.Standards[0].Series != nil {
		t.Errorf("JSON changed the report")
	}
}

func TestRoundPercent(t *testing.T) {
	tests := []struct {
		in   float64
		want int
	}{
		{78.5, 79},
		{78.49, 78},
		{78.51, 79},
		{0.5, 1},
		{1.5, 2},
		{2.5, 3}, // half away from zero, not to even
		{-0.5, -1},
		{-2.5, -3},
		{-0.4, 0}, // 0, not -0
		{0, 0},
		{100, 100},
		{57.0 / 200 * 100, 29}, // 28.499999999999996: an exact half computed in floats
		{1.0 / 3 * 100, 33},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.in), func(t *testing.T) {
			if got := report.RoundPercent(tt.in); got != tt.want {
				t.Errorf("RoundPercent(%v): got %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestPct(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{f(78.5), "79%"},
		{(*float64)(nil), "n/a"},
		{f(-0.3), "0%"},
		{90.0, "90%"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got, err := pct(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("pct: got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestDelta(t *testing.T) {
	tests := []struct {
		name string
		a, b *float64
		want string
	}{
		{"up", f(64.4), f(78.2), "+14"},
		{"down", f(70.4), f(68.5), "-1"},
		{"rounds to the printed scores", f(64.5), f(65.4), "0"},
		{"tiny drop is not -0", f(81.4), f(81.3), "0"},
		{"no baseline", nil, f(78), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := delta(tt.a, tt.b); got != tt.want {
				t.Errorf("delta: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNum(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{0, "0"},
		{999, "999"},
		{1000, "1,000"},
		{int64(1247), "1,247"},
		{int64(1234567), "1,234,567"},
		{-1234, "-1,234"},
		{i(12345), "12,345"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got, err := num(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("num(%v): got %q (%v), want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDec(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{f(12.5), "12.5"},
		{f(12), "12"},
		{f(3.04), "3"},
		{85.5, "85.5"},
		{f(-0.01), "0"},
		{(*float64)(nil), "n/a"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got, err := dec(tt.in); err != nil || got != tt.want {
				t.Errorf("dec: got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		format string
		want   string // prefix of the output
	}{
		{"text", "AWS Security Hub Compliance Report\n"},
		{"json", "{\n  \"generated_at\": "},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(context.Background(), tt.format, &buf, fullReport()); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("got %.60q..., want it to start with %q", got, tt.want)
			}
		})
	}
}

// TestFormats keeps Formats, FileName and Render's switch in step.
func TestFormats(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			if FileName(format) == "" {
				t.Errorf("FileName(%q) is empty", format)
			}
			if err := Render(context.Background(), format, &bytes.Buffer{}, fullReport()); err != nil {
				t.Errorf("Render(%q): %v", format, err)
			}
		})
	}
	if got, want := FileName("text")+" "+FileName("json"), "report.txt report.json"; got != want {
		t.Errorf("FileName: got %q, want %q", got, want)
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := Render(context.Background(), "docx", &buf, fullReport())
	var ufe *UnknownFormatError
	if !errors.As(err, &ufe) || ufe.Format != "docx" {
		t.Fatalf("got %v, want an *UnknownFormatError for docx", err)
	}
	for _, want := range append([]string{`"docx"`}, Formats()...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes for an unknown format", buf.Len())
	}
}

func TestRenderErrors(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		r    *report.Report
	}{
		{"nil report", context.Background(), nil},
		{"cancelled", cancelled, fullReport()},
	}
	for _, tt := range tests {
		for _, format := range Formats() {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Render(tt.ctx, format, &buf, tt.r); err == nil {
					t.Error("got no error")
				}
				if buf.Len() != 0 {
					t.Errorf("wrote %d bytes", buf.Len())
				}
			})
		}
	}
}

// TestTextPartialSnapshots: the partial snapshots of the window are named on one line, and
// there is no such line when none is partial.
func TestTextPartialSnapshots(t *testing.T) {
	r := fullReport()
	var buf bytes.Buffer
	if err := Text(context.Background(), &buf, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "Partial snapshots") {
		t.Errorf("a window without partial snapshots names some:\n%s", buf.String())
	}
	r.Progress.Series[1].Partial, r.Progress.Series[2].Partial = true, true
	buf.Reset()
	if err := Text(context.Background(), &buf, r); err != nil {
		t.Fatal(err)
	}
	want := "\nPartial snapshots (not every account/region read; their points may move for that alone): 2024-12-26, 2025-01-25\n"
	if !strings.Contains(buf.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, buf.String())
	}
}

// TestScopedReportNamesItsScope: a routed report says whose accounts it covers in report.json,
// the text report and the email's subject and heading.
func TestScopedReportNamesItsScope(t *testing.T) {
	r := fullReport()
	r.Scope = &report.Scope{Kind: report.ScopeOU, Name: "Workloads/Prod", Accounts: 3}
	var js, txt bytes.Buffer
	if err := JSON(context.Background(), &js, r); err != nil {
		t.Fatal(err)
	}
	if err := Text(context.Background(), &txt, r); err != nil {
		t.Fatal(err)
	}
	mail, err := Email(context.Background(), r, EmailOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"scope": {
    "kind": "ou",
    "name": "Workloads/Prod",
    "accounts": 3
  }`) {
		t.Errorf("report.json:\n%s", js.String()[:600])
	}
	if !strings.Contains(txt.String(), "\nScope: OU Workloads/Prod, 3 account(s) only, computed as if they were the organization\n") {
		t.Errorf("text:\n%s", txt.String()[:400])
	}
	if want := "[" + r.Organization + "] OU Workloads/Prod: Security Hub compliance " + r.ReportDate; !strings.HasPrefix(mail.Subject, want) ||
		!strings.Contains(mail.HTML, r.Organization+", OU Workloads/Prod</h1>") {
		t.Errorf("subject %q, want it to start %q; html heading missing the scope", mail.Subject, want)
	}
}
