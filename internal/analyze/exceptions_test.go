package analyze

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

func TestParseExpiry(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2025-03-01", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{" 2025-03-01 ", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{"2025-03-01T12:30:00Z", time.Date(2025, 3, 1, 12, 30, 0, 0, time.UTC), true},
		{"2025-03-01T12:30:00.123Z", time.Date(2025, 3, 1, 12, 30, 0, 123e6, time.UTC), true},
		{"2025-03-01T02:00:00+02:00", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{"2025-02-30", time.Time{}, false},
		{"01/03/2025", time.Time{}, false},
		{"next quarter", time.Time{}, false},
		{"2025-03-01 12:30", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := parseExpiry(tt.in)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseExpiry(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestJudgeException covers the expiry rules against a snapshot taken at 06:00 on 2025-02-01:
// dates, times, the 30-day edge, the maximum-age fallback and invalid values.
func TestJudgeException(t *testing.T) {
	at := t0 // 2025-02-01T06:00:00Z
	noteAt := at.AddDate(0, 0, -100)
	updated := at.AddDate(0, 0, -400)
	udf := func(v string) string { return fmt.Sprintf(`{"exception_expires":%q,"ticket":"RISK-1"}`, v) }
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name       string
		noteAt     time.Time
		udf        string
		maxAge     int
		field      string
		wantStatus string
		wantExpiry time.Time
		wantSince  time.Time
	}{
		{"expires today: expired", noteAt, udf("2025-02-01"), 0, "", report.ExceptionExpired, day(2025, 2, 1), noteAt},
		{"expired yesterday", noteAt, udf("2025-01-31"), 0, "", report.ExceptionExpired, day(2025, 1, 31), noteAt},
		{"tomorrow: expiring", noteAt, udf("2025-02-02"), 0, "", report.ExceptionExpiring, day(2025, 2, 2), noteAt},
		{"report date + 30: expiring", noteAt, udf("2025-03-03"), 0, "", report.ExceptionExpiring, day(2025, 3, 3), noteAt},
		{"report date + 31: active", noteAt, udf("2025-03-04"), 0, "", report.ExceptionActive, day(2025, 3, 4), noteAt},
		{"RFC 3339 at the snapshot: expired", noteAt, udf("2025-02-01T06:00:00Z"), 0, "", report.ExceptionExpired, at, noteAt},
		{"RFC 3339 a second later: expiring", noteAt, udf("2025-02-01T06:00:01Z"), 0, "", report.ExceptionExpiring, at.Add(time.Second), noteAt},
		{"RFC 3339 exactly 30 days on: expiring", noteAt, udf("2025-03-03T06:00:00Z"), 0, "", report.ExceptionExpiring, at.AddDate(0, 0, 30), noteAt},
		{"RFC 3339 30 days and a second: active", noteAt, udf("2025-03-03T06:00:01Z"), 0, "", report.ExceptionActive, at.AddDate(0, 0, 30).Add(time.Second), noteAt},
		{"invalid, never falls back to the maximum age", noteAt, udf("Q3"), 30, "", report.ExceptionInvalid, time.Time{}, noteAt},
		{"field overrides the maximum age", noteAt, udf("2026-01-01"), 30, "", report.ExceptionActive, day(2026, 1, 1), noteAt},
		{"no field, no maximum", noteAt, `{"ticket":"RISK-1"}`, 0, "", report.ExceptionNoExpiry, time.Time{}, noteAt},
		{"no fields at all, no maximum", noteAt, "", 0, "", report.ExceptionNoExpiry, time.Time{}, noteAt},
		{"blank field counts as absent", noteAt, udf("  "), 0, "", report.ExceptionNoExpiry, time.Time{}, noteAt},
		{"max age from the note: expired", noteAt, "", 90, "", report.ExceptionExpired, noteAt.AddDate(0, 0, 90), noteAt},
		{"max age from the note: expiring", noteAt, "", 120, "", report.ExceptionExpiring, noteAt.AddDate(0, 0, 120), noteAt},
		{"max age from the note: active", noteAt, "", 365, "", report.ExceptionActive, noteAt.AddDate(0, 0, 365), noteAt},
		{"max age without a note: from UpdatedAt", time.Time{}, "", 365, "", report.ExceptionExpired, updated.AddDate(0, 0, 365), updated},
		{"max age exactly at the snapshot: expired", time.Time{}, "", 400, "", report.ExceptionExpired, at, updated},
		{"another field name", noteAt, `{"risk_until":"2025-02-10","exception_expires":"2020-01-01"}`, 0, "risk_until", report.ExceptionExpiring, day(2025, 2, 10), noteAt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &analyzer{snap: model.Snapshot{TakenAt: at}, opt: Options{ExpiryField: tt.field, ExceptionMaxAgeDays: tt.maxAge}.withDefaults()}
			x := report.SuppressedFinding{NoteAt: tt.noteAt}
			if err := a.judgeException(&x, updated, tt.udf); err != nil {
				t.Fatal(err)
			}
			if x.ExceptionStatus != tt.wantStatus || !x.Expiry.Equal(tt.wantExpiry) || !x.Since.Equal(tt.wantSince) {
				t.Errorf("status %s expiry %v since %v; want %s %v %v", x.ExceptionStatus, x.Expiry, x.Since, tt.wantStatus, tt.wantExpiry, tt.wantSince)
			}
		})
	}
}

// governedEstate is randomEstate with notes, expiry fields (dates, times, garbage, none) and
// severities that differ by control, plus GuardDuty findings, some suppressed.
func governedEstate(seed uint64) []*model.Finding {
	rng := rand.New(rand.NewPCG(seed, 7))
	fs := randomEstate(seed)
	// Controls the catalog does not list take their severity from the findings.
	sev := map[string]string{"S3.5": "LOW", "IAM.1": "CRITICAL", "Lambda.1": "HIGH", "KMS.4": "MEDIUM"}
	for _, f := range fs {
		if s, ok := sev[f.ControlID]; ok {
			f.SeverityLabel = s
		}
		if rng.IntN(3) > 0 {
			f.NoteText = []string{"Risk accepted: RISK-7", "  ", "compensating control in place"}[rng.IntN(3)]
			f.NoteUpdatedBy = "arn:aws:sts::111122223333:assumed-role/SecOps/jane"
			f.NoteUpdatedAt = t0.AddDate(0, 0, -rng.IntN(500))
		}
		f.UpdatedAt = t0.AddDate(0, 0, -rng.IntN(500))
		switch rng.IntN(6) {
		case 0:
			f.UserDefinedFields = map[string]string{"exception_expires": t0.AddDate(0, 0, rng.IntN(90)-45).Format(time.DateOnly)}
		case 1:
			f.UserDefinedFields = map[string]string{"exception_expires": t0.Add(time.Duration(rng.IntN(90*24)-45*24) * time.Hour).Format(time.RFC3339)}
		case 2:
			f.UserDefinedFields = map[string]string{"exception_expires": "until the migration"}
		case 3:
			f.UserDefinedFields = map[string]string{"ticket": "SEC-1"}
		}
	}
	// One of each kind whatever the seed: an unreadable expiry, an expired one, one without a note.
	supp := func(f *model.Finding) { f.WorkflowStatus = "SUPPRESSED" }
	fs = append(fs,
		with(ctl("x1", acc1, "us-east-1", "S3.1", "FAILED", fsbp), func(f *model.Finding) {
			supp(f)
			f.UserDefinedFields = map[string]string{"exception_expires": "until the migration"}
		}),
		with(ctl("x2", acc2, "us-east-1", "EC2.2", "FAILED", fsbp, pci), func(f *model.Finding) {
			supp(f)
			f.UserDefinedFields = map[string]string{"exception_expires": "2024-12-31"}
		}),
		with(ctl("x3", acc1, "eu-west-1", "IAM.1", "FAILED", fsbp), func(f *model.Finding) { supp(f); f.SeverityLabel = sev["IAM.1"] }))
	for i := range 12 {
		fs = append(fs, &model.Finding{ID: fmt.Sprintf("gd%d", i), ProductARN: "arn:aws:securityhub:us-east-1::product/aws/guardduty",
			ProductName: "GuardDuty", AccountID: fmt.Sprintf("%012d", 100000000000+i%4), Region: "us-east-1", Title: "Recon",
			SeverityLabel: "HIGH", WorkflowStatus: []string{"NEW", "SUPPRESSED"}[i%2], RecordState: "ACTIVE", UpdatedAt: t0.AddDate(0, 0, -i*40)})
	}
	return fs
}

// referenceExceptions counts the exceptions from the raw findings in plain Go, with the rules of
// docs/formats.md written out again: the population of findings.suppressed, then per finding its
// expiry and status at the snapshot's time.
func referenceExceptions(fs []*model.Finding, at time.Time, maxAge int, severity map[string]string) report.Exceptions {
	e := report.Exceptions{ExpiryField: "exception_expires", MaxAgeDays: maxAge}
	count := map[string]int64{}
	for _, f := range fs {
		if f.RecordState != "ACTIVE" || f.WorkflowStatus != "SUPPRESSED" {
			continue
		}
		e.Total++
		if f.ControlID == "" {
			e.WithoutControl++
		} else {
			count[f.ControlID]++
		}
		if strings.TrimSpace(f.NoteText) == "" {
			e.WithoutJustification++
		}
		var expiry time.Time
		invalid := false
		if v := strings.TrimSpace(f.UserDefinedFields["exception_expires"]); v != "" {
			if d, err := time.Parse("2006-01-02", v); err == nil {
				expiry = d
			} else if ts, err := time.Parse(time.RFC3339, v); err == nil {
				expiry = ts
			} else {
				invalid = true
			}
		} else if maxAge > 0 {
			since := f.NoteUpdatedAt
			if since.IsZero() {
				since = f.UpdatedAt
			}
			expiry = since.Add(time.Duration(maxAge) * 24 * time.Hour)
		}
		switch {
		case invalid:
			e.InvalidExpiry++
		case expiry.IsZero():
			e.NoExpiry++
		case expiry.Sub(at) <= 0:
			e.Expired++
		case expiry.Sub(at) <= 30*24*time.Hour:
			e.ExpiringWithin30Days++
		}
	}
	for id, n := range count {
		e.ByControl = append(e.ByControl, report.ExceptionControl{ControlID: id, Severity: severity[id], Count: n})
	}
	rank := map[string]int{"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFORMATIONAL": 4}
	sort.Slice(e.ByControl, func(i, j int) bool {
		x, y := e.ByControl[i], e.ByControl[j]
		if x.Count != y.Count {
			return x.Count > y.Count
		}
		if rank[x.Severity] != rank[y.Severity] {
			return rank[x.Severity] < rank[y.Severity]
		}
		return x.ControlID < y.ControlID
	})
	return e
}

// referencePlan lists the failing controls from the raw findings in plain Go: a control fails in
// an account when an ACTIVE, unsuppressed finding of it there is FAILED, unless the catalog
// disables it in every standard it lists it in; ordered by severity, accounts, id.
func referencePlan(fs []*model.Finding, ctls []model.Control, severity map[string]string) []string {
	enabledSomewhere, listed := map[string]bool{}, map[string]bool{}
	for _, c := range ctls {
		listed[c.ControlID] = true
		enabledSomewhere[c.ControlID] = enabledSomewhere[c.ControlID] || !c.Disabled
	}
	accounts := map[string]map[string]bool{}
	resources := map[string]map[string]bool{}
	for _, f := range fs {
		if f.ControlID == "" || f.RecordState != "ACTIVE" || f.WorkflowStatus == "SUPPRESSED" || f.ComplianceStatus != "FAILED" {
			continue
		}
		if listed[f.ControlID] && !enabledSomewhere[f.ControlID] {
			continue
		}
		if accounts[f.ControlID] == nil {
			accounts[f.ControlID], resources[f.ControlID] = map[string]bool{}, map[string]bool{}
		}
		accounts[f.ControlID][f.AccountID] = true
		resources[f.ControlID][f.AccountID+"|"+f.Region+"|"+f.ResourceID] = true
	}
	var ids []string
	for id := range accounts {
		ids = append(ids, id)
	}
	rank := map[string]int{"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFORMATIONAL": 4}
	sort.Slice(ids, func(i, j int) bool {
		x, y := ids[i], ids[j]
		if rank[severity[x]] != rank[severity[y]] {
			return rank[severity[x]] < rank[severity[y]]
		}
		if len(accounts[x]) != len(accounts[y]) {
			return len(accounts[x]) > len(accounts[y])
		}
		return x < y
	})
	out := make([]string, len(ids))
	for i, id := range ids {
		var accs []string
		for a := range accounts[id] {
			accs = append(accs, a)
		}
		slices.Sort(accs)
		out[i] = fmt.Sprintf("%s %s %d/%d %v", id, severity[id], len(accounts[id]), len(resources[id]), accs)
	}
	return out
}

// TestExceptionsAndPlanMatchIndependentCalculation builds random estates and checks the exception
// counts and the remediation plan against the plain-Go references above.
func TestExceptionsAndPlanMatchIndependentCalculation(t *testing.T) {
	severity := map[string]string{"S3.5": "LOW", "IAM.1": "CRITICAL", "Lambda.1": "HIGH", "KMS.4": "MEDIUM"}
	for _, c := range testCtl {
		severity[c.ControlID] = c.Severity
	}
	for seed := range uint64(8) {
		maxAge := []int{0, 365, 90}[seed%3]
		t.Run(fmt.Sprintf("%d/max_age_%d", seed, maxAge), func(t *testing.T) {
			st := storetest.New(t)
			fs := governedEstate(seed)
			snap := writeSnap(t, st, t0, testCtl, fs)
			r, err := Build(context.Background(), st, snap, Options{Now: pinned, ExceptionMaxAgeDays: maxAge})
			if err != nil {
				t.Fatal(err)
			}
			want := referenceExceptions(fs, t0, maxAge, severity)
			got := r.Exceptions
			if got.Total != r.Findings.Suppressed {
				t.Errorf("exceptions.total %d, findings.suppressed %d", got.Total, r.Findings.Suppressed)
			}
			gotCounts := [8]int64{got.Total, got.WithoutControl, got.WithoutJustification, got.Expired, got.ExpiringWithin30Days, got.NoExpiry, got.InvalidExpiry, int64(got.MaxAgeDays)}
			wantCounts := [8]int64{want.Total, want.WithoutControl, want.WithoutJustification, want.Expired, want.ExpiringWithin30Days, want.NoExpiry, want.InvalidExpiry, int64(maxAge)}
			if gotCounts != wantCounts {
				t.Errorf("total, without control, without justification, expired, expiring, no expiry, invalid, max age:\n got %v\nwant %v", gotCounts, wantCounts)
			}
			if want.InvalidExpiry == 0 || want.Expired == 0 || want.WithoutJustification == 0 {
				t.Errorf("the estate should have invalid, expired and unjustified exceptions: %+v", want)
			}
			if int64(len(got.InvalidExpiries)) != min(got.InvalidExpiry, report.MaxInvalidExpiriesListed) {
				t.Errorf("%d invalid expiries listed of %d", len(got.InvalidExpiries), got.InvalidExpiry)
			}
			for _, x := range got.InvalidExpiries {
				if x.Value != "until the migration" {
					t.Errorf("invalid expiry listed with value %q", x.Value)
				}
			}
			strip := func(cs []report.ExceptionControl) []string {
				var out []string
				for _, c := range cs {
					out = append(out, fmt.Sprint(c.ControlID, " ", c.Severity, " ", c.Count))
				}
				return out
			}
			if g, w := strip(got.ByControl), strip(want.ByControl); !slices.Equal(g, w) {
				t.Errorf("by_control:\n got %v\nwant %v", g, w)
			}
			// Every suppressed finding has a status, and the statuses add up to the counts.
			statuses := map[string]int64{}
			for _, s := range r.Suppressed {
				statuses[s.ExceptionStatus]++
			}
			if statuses[report.ExceptionExpired] != got.Expired || statuses[report.ExceptionInvalid] != got.InvalidExpiry ||
				statuses[report.ExceptionActive]+statuses[report.ExceptionExpired]+statuses[report.ExceptionExpiring]+
					statuses[report.ExceptionNoExpiry]+statuses[report.ExceptionInvalid] != got.Total {
				t.Errorf("statuses %v do not add up to %+v", statuses, got)
			}

			var plan []string
			for _, p := range r.RemediationPlan {
				var accs []string
				for _, a := range p.Accounts {
					accs = append(accs, a.AccountID)
				}
				plan = append(plan, fmt.Sprintf("%s %s %d/%d %v", p.ControlID, p.Severity, p.FailedAccounts, p.FailedResources, accs))
				if !strings.HasPrefix(p.RemediationURL, "https://docs.aws.amazon.com/securityhub/latest/userguide/") {
					t.Errorf("%s: remediation_url %q", p.ControlID, p.RemediationURL)
				}
			}
			if w := referencePlan(fs, testCtl, severity); !slices.Equal(plan, w) {
				t.Errorf("remediation plan:\n got %v\nwant %v", plan, w)
			}
		})
	}
}

// TestRemediationPlanAccountsAndURLs: the plan names each account with its name and OU as the
// snapshot has them, and takes the catalog's https link, else AWS's documented control page.
func TestRemediationPlanAccountsAndURLs(t *testing.T) {
	st := storetest.New(t)
	ctls := []model.Control{
		{StandardID: fsbp, ControlID: "S3.1", Title: "S3 block public access", Severity: "MEDIUM",
			RemediationURL: "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-1"},
		{StandardID: fsbp, ControlID: "EC2.2", Title: "Default SG", Severity: "HIGH", RemediationURL: "http://example.com/ec2-2"},
	}
	fs := []*model.Finding{
		ctl("a", acc2, "us-east-1", "S3.1", "FAILED", fsbp),
		ctl("b", acc1, "us-east-1", "S3.1", "FAILED", fsbp),
		ctl("c", acc1, "eu-west-1", "S3.1", "FAILED", fsbp),
		ctl("d", acc1, "us-east-1", "EC2.2", "FAILED", fsbp),
		ctl("e", acc2, "us-east-1", "Lambda.1", "FAILED", fsbp),
		with(ctl("f", acc2, "us-east-1", "EC2.2", "FAILED", fsbp), func(f *model.Finding) { f.WorkflowStatus = "SUPPRESSED" }),
	}
	snap := snapData{at: t0, ctls: ctls, fs: fs, accounts: []model.Account{
		{AccountID: acc1, Name: "prod", OU: "Workloads/Prod"}, {AccountID: acc2, Name: "sandbox-ann", OU: "Sandbox"}}}.write(t, st)
	r, err := Build(context.Background(), st, snap, Options{Now: pinned})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id, url  string
		accounts []report.PlanAccount
		res      int
	}
	want := []row{
		{"EC2.2", "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-2",
			[]report.PlanAccount{{AccountID: acc1, Name: "prod", OU: "Workloads/Prod"}}, 1},
		{"S3.1", "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-1",
			[]report.PlanAccount{{AccountID: acc1, Name: "prod", OU: "Workloads/Prod"}, {AccountID: acc2, Name: "sandbox-ann", OU: "Sandbox"}}, 3},
		// Not in the catalog: severity from the finding (MEDIUM), fewer accounts than S3.1.
		{"Lambda.1", "https://docs.aws.amazon.com/securityhub/latest/userguide/lambda-controls.html#lambda-1",
			[]report.PlanAccount{{AccountID: acc2, Name: "sandbox-ann", OU: "Sandbox"}}, 1},
	}
	if len(r.RemediationPlan) != len(want) {
		t.Fatalf("plan %+v", r.RemediationPlan)
	}
	for i, w := range want {
		g := r.RemediationPlan[i]
		if g.ControlID != w.id || g.RemediationURL != w.url || !slices.Equal(g.Accounts, w.accounts) || g.FailedResources != w.res || g.FailedAccounts != len(w.accounts) {
			t.Errorf("plan[%d] = %+v, want %+v", i, g, w)
		}
	}
}
