package securityhub_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/fakeawstest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

const home = fakeawstest.Home

func TestGetFindingsVisibility(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true, Aggregator: true})
	admin, mem := s.AdministratorAccount(), fakeawstest.Member(s)
	if s.HomeRegion() != home || s.Regions()[0] != home {
		t.Fatalf("home region %s, regions %v", s.HomeRegion(), s.Regions())
	}
	tests := []struct {
		name    string
		account string
		region  string
		want    func(f *fakeaws.Finding) bool
	}{
		{"admin home region aggregates all", admin, home, func(*fakeaws.Finding) bool { return true }},
		{"admin other region", admin, "us-west-2", func(f *fakeaws.Finding) bool { return f.Region == "us-west-2" }},
		{"member home region", mem, home, func(f *fakeaws.Finding) bool { return f.AccountID == mem && f.Region == home }},
		{"member other region", mem, "eu-west-1", func(f *fakeaws.Finding) bool { return f.AccountID == mem && f.Region == "eu-west-1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Region: tt.region, Creds: fakeawstest.Credentials(tt.account)})
			got := fakeawstest.AllFindings(t, c, &securityhub.GetFindingsInput{})
			fakeawstest.SameSet(t, got, fakeawstest.IDsWhere(s, tt.want))
		})
	}
	t.Run("other access keys act as the administrator", func(t *testing.T) {
		t.Parallel()
		c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Region: "us-west-2",
			Creds: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "x", "")})
		got := fakeawstest.AllFindings(t, c, &securityhub.GetFindingsInput{})
		fakeawstest.SameSet(t, got, fakeawstest.IDsWhere(s, func(f *fakeaws.Finding) bool { return f.Region == "us-west-2" }))
	})
}

func TestGetFindingsNoAggregator(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true})
	c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount())})
	fakeawstest.SameSet(t, fakeawstest.AllFindings(t, c, &securityhub.GetFindingsInput{}), fakeawstest.IDsWhere(s, func(f *fakeaws.Finding) bool { return f.Region == home }))
	out, err := c.ListFindingAggregators(context.Background(), &securityhub.ListFindingAggregatorsInput{})
	if err != nil || len(out.FindingAggregators) != 0 {
		t.Errorf("ListFindingAggregators = %v, %v; want none", out, err)
	}
}

func eq(v string) types.StringFilter {
	return types.StringFilter{Value: aws.String(v), Comparison: types.StringFilterComparisonEquals}
}

func sf(c types.StringFilterComparison, v string) types.StringFilter {
	return types.StringFilter{Value: aws.String(v), Comparison: c}
}

func TestGetFindingsFilters(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true, Aggregator: true})
	c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount())})
	accts := s.Accounts()
	a1, a2 := accts[1].AccountID, accts[2].AccountID
	fsbp := "standards/aws-foundational-security-best-practices/v/1.0.0"
	now := s.Now()
	start, end := now.Add(-10*24*time.Hour), now.Add(-2*24*time.Hour)
	tests := []struct {
		name    string
		filters *types.AwsSecurityFindingFilters
		want    func(f *fakeaws.Finding) bool
	}{
		{"positive filters on one field are ORed",
			&types.AwsSecurityFindingFilters{AwsAccountId: []types.StringFilter{eq(a1), eq(a2)}},
			func(f *fakeaws.Finding) bool { return f.AccountID == a1 || f.AccountID == a2 }},
		{"negative filters on one field are ANDed",
			&types.AwsSecurityFindingFilters{ComplianceStatus: []types.StringFilter{
				sf(types.StringFilterComparisonNotEquals, "PASSED"), sf(types.StringFilterComparisonNotEquals, "NOT_AVAILABLE")}},
			func(f *fakeaws.Finding) bool {
				return f.ComplianceStatus != "PASSED" && f.ComplianceStatus != "NOT_AVAILABLE"
			}},
		{"fields are ANDed",
			&types.AwsSecurityFindingFilters{
				RecordState:      []types.StringFilter{eq("ACTIVE")},
				WorkflowStatus:   []types.StringFilter{sf(types.StringFilterComparisonNotEquals, "SUPPRESSED")},
				ComplianceStatus: []types.StringFilter{eq("FAILED")},
				Region:           []types.StringFilter{eq("us-west-2"), eq("eu-west-1")}},
			func(f *fakeaws.Finding) bool {
				return f.RecordState == "ACTIVE" && f.WorkflowStatus != "SUPPRESSED" && f.ComplianceStatus == "FAILED" &&
					(f.Region == "us-west-2" || f.Region == "eu-west-1")
			}},
		{"prefix then not-equals",
			&types.AwsSecurityFindingFilters{ComplianceSecurityControlId: []types.StringFilter{
				sf(types.StringFilterComparisonPrefix, "S3."), sf(types.StringFilterComparisonPrefix, "IAM."),
				sf(types.StringFilterComparisonNotEquals, "S3.1"), sf(types.StringFilterComparisonPrefixNotEquals, "IAM.2")}},
			func(f *fakeaws.Finding) bool {
				id := f.ControlID
				return (strings.HasPrefix(id, "S3.") || strings.HasPrefix(id, "IAM.")) && id != "S3.1" && !strings.HasPrefix(id, "IAM.2")
			}},
		{"contains and product name",
			&types.AwsSecurityFindingFilters{GeneratorId: []types.StringFilter{
				sf(types.StringFilterComparisonContains, "/EC2."), sf(types.StringFilterComparisonContains, "/S3.")},
				ProductName: []types.StringFilter{eq("Security Hub")}},
			func(f *fakeaws.Finding) bool {
				return (strings.Contains(f.GeneratorID, "/EC2.") || strings.Contains(f.GeneratorID, "/S3.")) && f.ProductName == "Security Hub"
			}},
		{"not contains",
			&types.AwsSecurityFindingFilters{GeneratorId: []types.StringFilter{
				sf(types.StringFilterComparisonNotContains, "security-control"), sf(types.StringFilterComparisonNotContains, "guardduty")}},
			func(f *fakeaws.Finding) bool {
				return !strings.Contains(f.GeneratorID, "security-control") && !strings.Contains(f.GeneratorID, "guardduty")
			}},
		{"associated standard and severity",
			&types.AwsSecurityFindingFilters{ComplianceAssociatedStandardsId: []types.StringFilter{eq(fsbp)},
				SeverityLabel: []types.StringFilter{eq("HIGH"), eq("CRITICAL")}},
			func(f *fakeaws.Finding) bool {
				return f.ControlID != "" && slices.Contains(f.Standards, fsbp) && (f.SeverityLabel == "HIGH" || f.SeverityLabel == "CRITICAL")
			}},
		{"updated between start and end",
			&types.AwsSecurityFindingFilters{UpdatedAt: []types.DateFilter{{
				Start: aws.String(start.Format(time.RFC3339)), End: aws.String(end.Format(time.RFC3339Nano))}}},
			func(f *fakeaws.Finding) bool { return !f.UpdatedAt.Before(start) && !f.UpdatedAt.After(end) }},
		{"updated within a date range",
			&types.AwsSecurityFindingFilters{UpdatedAt: []types.DateFilter{{
				DateRange: &types.DateRange{Value: aws.Int32(3), Unit: types.DateRangeUnitDays}}}},
			func(f *fakeaws.Finding) bool {
				return !f.UpdatedAt.Before(now.Add(-3*24*time.Hour)) && !f.UpdatedAt.After(now)
			}},
		{"id and account",
			&types.AwsSecurityFindingFilters{Id: []types.StringFilter{eq(s.Findings()[7].ID)}, AwsAccountId: []types.StringFilter{eq(s.Findings()[7].AccountID)}},
			func(f *fakeaws.Finding) bool { return f.ID == s.Findings()[7].ID }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := fakeawstest.AllFindings(t, c, &securityhub.GetFindingsInput{Filters: tt.filters})
			fakeawstest.SameSet(t, got, fakeawstest.IDsWhere(s, tt.want))
		})
	}
}

func TestGetFindingsSort(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true, Aggregator: true})
	c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount())})
	byID := map[string]*fakeaws.Finding{}
	for _, f := range s.Findings() {
		byID[f.ID] = f
	}
	filters := &types.AwsSecurityFindingFilters{Region: []types.StringFilter{eq("us-west-2")}}
	got := fakeawstest.AllFindings(t, c, &securityhub.GetFindingsInput{Filters: filters,
		SortCriteria: []types.SortCriterion{{Field: aws.String("SeverityNormalized"), SortOrder: types.SortOrderDescending},
			{Field: aws.String("UpdatedAt"), SortOrder: types.SortOrderAscending}}})
	for i := 1; i < len(got); i++ {
		a, b := byID[got[i-1]], byID[got[i]]
		if a.SeverityNormalized < b.SeverityNormalized ||
			(a.SeverityNormalized == b.SeverityNormalized && a.UpdatedAt.After(b.UpdatedAt)) {
			t.Fatalf("findings %d and %d out of order: %d %v then %d %v", i-1, i, a.SeverityNormalized, a.UpdatedAt, b.SeverityNormalized, b.UpdatedAt)
		}
	}
	// Default order is stable: two runs give the same sequence.
	first := fakeawstest.AllFindings(t, c, &securityhub.GetFindingsInput{Filters: filters, MaxResults: aws.Int32(37)})
	second := fakeawstest.AllFindings(t, c, &securityhub.GetFindingsInput{Filters: filters, MaxResults: aws.Int32(37)})
	if !slices.Equal(first, second) {
		t.Errorf("identical queries gave different sequences")
	}
	fakeawstest.SameSet(t, first, fakeawstest.IDsWhere(s, func(f *fakeaws.Finding) bool { return f.Region == "us-west-2" }))
}

func TestGetFindingsInvalidInput(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true, Aggregator: true})
	// The SDK's standard retryer, as every other test here: it never retries InvalidInputException,
	// and under -race a body read from this in-process server is sometimes cut with "use of closed
	// network connection" (5 of 40 runs with aws.NopRetryer), which it retries.
	c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount())})
	ctx := context.Background()
	first, err := c.GetFindings(ctx, &securityhub.GetFindingsInput{MaxResults: aws.Int32(10)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %v, token %v", err, first)
	}
	tests := []struct {
		name string
		in   *securityhub.GetFindingsInput
	}{
		{"MaxResults 101", &securityhub.GetFindingsInput{MaxResults: aws.Int32(101)}},
		{"MaxResults 0", &securityhub.GetFindingsInput{MaxResults: aws.Int32(0)}},
		{"token with other filters", &securityhub.GetFindingsInput{MaxResults: aws.Int32(10), NextToken: first.NextToken,
			Filters: &types.AwsSecurityFindingFilters{RecordState: []types.StringFilter{eq("ACTIVE")}}}},
		{"token with other MaxResults", &securityhub.GetFindingsInput{MaxResults: aws.Int32(11), NextToken: first.NextToken}},
		{"garbage token", &securityhub.GetFindingsInput{NextToken: aws.String("nope")}},
		{"EQUALS with NOT_EQUALS", &securityhub.GetFindingsInput{Filters: &types.AwsSecurityFindingFilters{
			RecordState: []types.StringFilter{eq("ACTIVE"), sf(types.StringFilterComparisonNotEquals, "ARCHIVED")}}}},
		{"unsupported sort field", &securityhub.GetFindingsInput{SortCriteria: []types.SortCriterion{{Field: aws.String("Confidence")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.GetFindings(ctx, tt.in)
			var iie *types.InvalidInputException
			if !errors.As(err, &iie) {
				t.Fatalf("err = %v, want InvalidInputException", err)
			}
			if got := fakeawstest.HTTPStatus(err); got != http.StatusBadRequest {
				t.Errorf("HTTP status %d, want 400", got)
			}
		})
	}
	t.Run("token with the same query", func(t *testing.T) {
		a, err := c.GetFindings(ctx, &securityhub.GetFindingsInput{MaxResults: aws.Int32(10), NextToken: first.NextToken})
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.GetFindings(ctx, &securityhub.GetFindingsInput{MaxResults: aws.Int32(10), NextToken: first.NextToken})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(a.Findings[0].Id) != aws.ToString(b.Findings[0].Id) || aws.ToString(a.NextToken) != aws.ToString(b.NextToken) {
			t.Errorf("identical requests gave different pages")
		}
	})
}

func TestQuotaThrottles(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{})
	c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount()), Retryer: aws.NopRetryer{}})
	var throttled error
	for range 20 {
		_, err := c.GetFindings(context.Background(), &securityhub.GetFindingsInput{MaxResults: aws.Int32(1)})
		if err != nil {
			throttled = err
			break
		}
	}
	if throttled == nil {
		t.Fatal("20 GetFindings calls at once were not throttled (quota 3/s burst 6)")
	}
	if got := fakeawstest.ErrorCode(throttled); got != "TooManyRequestsException" {
		t.Errorf("error code %q (%v), want TooManyRequestsException", got, throttled)
	}
	if got := fakeawstest.HTTPStatus(throttled); got != http.StatusTooManyRequests {
		t.Errorf("HTTP status %d, want 429", got)
	}
	if !retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(throttled).Bool() {
		t.Errorf("the SDK does not classify %v as throttling", throttled)
	}
	if s.Stats().Throttled == 0 {
		t.Errorf("Stats().Throttled = 0")
	}
	// Another account's bucket is separate, and so is the other API class.
	other := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(fakeawstest.Member(s)), Retryer: aws.NopRetryer{}})
	if _, err := other.GetFindings(context.Background(), &securityhub.GetFindingsInput{}); err != nil {
		t.Errorf("member's first call: %v", err)
	}
	if _, err := c.GetEnabledStandards(context.Background(), &securityhub.GetEnabledStandardsInput{}); err != nil {
		t.Errorf("GetEnabledStandards after GetFindings throttling: %v", err)
	}
}

// rereadCounter is a retryer that counts the retries of responses that arrived with status 200
// but could not be read whole: on a loaded machine the HTTP transport sometimes loses a response
// body ("use of closed network connection"), and the SDK rightly asks for the page again.
type rereadCounter struct {
	aws.RetryerV2
	mu   sync.Mutex
	errs []string
	n    int
}

func (r *rereadCounter) IsErrorRetryable(err error) bool {
	ok := r.RetryerV2.IsErrorRetryable(err)
	if ok && fakeawstest.HTTPStatus(err) == http.StatusOK {
		r.mu.Lock()
		r.n++
		r.errs = append(r.errs, err.Error())
		r.mu.Unlock()
	}
	return ok
}

func TestRetryThroughInjectedFaults(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5, FindingsPerAccount: 400}, fakeaws.Options{Unlimited: true, ThrottleRate: 0.3, ServerErrorRate: 0.05, FaultSeed: 7, Aggregator: true})
	rereads := &rereadCounter{RetryerV2: fakeawstest.FastRetryer().(aws.RetryerV2)}
	c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount()), Retryer: rereads})
	got := fakeawstest.AllFindings(t, c, &securityhub.GetFindingsInput{})
	fakeawstest.SameSet(t, got, fakeawstest.IDsWhere(s, func(*fakeaws.Finding) bool { return true }))
	st := s.Stats()
	if st.Throttled == 0 {
		t.Errorf("no injected throttling in %d requests", st.Requests["GetFindings"])
	}
	// Every page was served once, plus once more for each response the client could not read
	// whole: a page served twice for any other reason is a fault of the emulator's paging.
	if served := st.Requests["GetFindings"] - st.Throttled - st.ServerErrors; served != 20+rereads.n {
		t.Errorf("stats: %d GetFindings requests, want 20 pages + %d served again after a lost response (%q) + %d throttled + %d server errors",
			st.Requests["GetFindings"], rereads.n, rereads.errs, st.Throttled, st.ServerErrors)
	}
}

func TestDisabledRegions(t *testing.T) {
	probe, err := demoaws.New(demoaws.Config{Accounts: 5}, fakeaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mem := fakeawstest.Member(probe)
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true, Aggregator: true, DisabledRegions: []string{mem + ":us-west-2", "*:ap-southeast-2"}})
	tests := []struct {
		account, region string
		disabled        bool
	}{
		{mem, "us-west-2", true},
		{mem, "ap-southeast-2", true},
		{s.AdministratorAccount(), "ap-southeast-2", true},
		{mem, home, false},
		{s.AdministratorAccount(), "us-west-2", false},
	}
	for _, tt := range tests {
		c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Region: tt.region, Creds: fakeawstest.Credentials(tt.account), Retryer: aws.NopRetryer{}})
		_, err := c.GetFindings(context.Background(), &securityhub.GetFindingsInput{})
		var iae *types.InvalidAccessException
		if got := errors.As(err, &iae); got != tt.disabled {
			t.Errorf("%s/%s: err = %v, want InvalidAccessException: %v", tt.account, tt.region, err, tt.disabled)
		}
		_, err = c.DescribeHub(context.Background(), &securityhub.DescribeHubInput{})
		if got := errors.As(err, &iae); got != tt.disabled {
			t.Errorf("DescribeHub %s/%s: err = %v, want InvalidAccessException: %v", tt.account, tt.region, err, tt.disabled)
		}
	}
	for _, f := range s.Findings() {
		if f.Region == "ap-southeast-2" || (f.AccountID == mem && f.Region == "us-west-2") {
			t.Fatalf("finding %s of a disabled region is in the estate", f.ID)
		}
	}
}

func TestOtherSecurityHubOperations(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true, Aggregator: true})
	ctx := context.Background()
	c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount()), Retryer: aws.NopRetryer{}})

	aggs, err := c.ListFindingAggregators(ctx, &securityhub.ListFindingAggregatorsInput{})
	if err != nil || len(aggs.FindingAggregators) != 1 {
		t.Fatalf("ListFindingAggregators = %+v, %v", aggs, err)
	}
	agg, err := c.GetFindingAggregator(ctx, &securityhub.GetFindingAggregatorInput{FindingAggregatorArn: aggs.FindingAggregators[0].FindingAggregatorArn})
	if err != nil {
		t.Fatalf("GetFindingAggregator: %v", err)
	}
	if aws.ToString(agg.FindingAggregationRegion) != home || aws.ToString(agg.RegionLinkingMode) != "SPECIFIED_REGIONS" ||
		!slices.Equal(agg.Regions, s.Regions()[1:]) {
		t.Errorf("aggregator %+v", agg)
	}
	_, err = c.GetFindingAggregator(ctx, &securityhub.GetFindingAggregatorInput{FindingAggregatorArn: aws.String(
		"arn:aws:securityhub:us-east-1:" + s.AdministratorAccount() + ":finding-aggregator/00000000-0000-0000-0000-000000000000")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("unknown aggregator: err = %v, want ResourceNotFoundException", err)
	}

	std, err := c.GetEnabledStandards(ctx, &securityhub.GetEnabledStandardsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var gotStd []string
	for _, sub := range std.StandardsSubscriptions {
		if sub.StandardsStatus != types.StandardsStatusReady || !strings.Contains(aws.ToString(sub.StandardsSubscriptionArn), ":subscription/") {
			t.Errorf("subscription %+v", sub)
		}
		gotStd = append(gotStd, aws.ToString(sub.StandardsArn))
	}
	for _, id := range s.Standards() {
		if !slices.ContainsFunc(gotStd, func(a string) bool { return strings.HasSuffix(a, "::"+id) }) {
			t.Errorf("standard %s not in GetEnabledStandards %v", id, gotStd)
		}
	}

	desc, err := c.DescribeStandards(ctx, &securityhub.DescribeStandardsInput{})
	if err != nil || len(desc.Standards) < len(s.Standards()) {
		t.Errorf("DescribeStandards = %d standards, %v", len(desc.Standards), err)
	}

	fsbp := "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"
	var defs []types.SecurityControlDefinition
	pages := 0
	p := securityhub.NewListSecurityControlDefinitionsPaginator(c, &securityhub.ListSecurityControlDefinitionsInput{
		StandardsArn: aws.String(fsbp), MaxResults: aws.Int32(40)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		defs = append(defs, out.SecurityControlDefinitions...)
	}
	if len(defs) < 50 || pages < 2 {
		t.Errorf("%d FSBP control definitions in %d pages", len(defs), pages)
	}
	for _, d := range defs {
		if aws.ToString(d.Title) == "" || d.SeverityRating == "" || !strings.HasPrefix(aws.ToString(d.RemediationUrl), "https://") ||
			d.CurrentRegionAvailability != types.RegionAvailabilityStatusAvailable {
			t.Errorf("definition %+v", d)
			break
		}
	}
	_, err = c.ListSecurityControlDefinitions(ctx, &securityhub.ListSecurityControlDefinitionsInput{MaxResults: aws.Int32(101)})
	var iie *types.InvalidInputException
	if !errors.As(err, &iie) {
		t.Errorf("ListSecurityControlDefinitions MaxResults 101: err = %v, want InvalidInputException", err)
	}

	hub, err := c.DescribeHub(ctx, &securityhub.DescribeHubInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(hub.HubArn), ":"+s.AdministratorAccount()+":hub/default") {
		t.Errorf("DescribeHub = %+v, %v", hub, err)
	}
	st := s.Stats()
	for _, op := range []string{"ListFindingAggregators", "GetFindingAggregator", "GetEnabledStandards", "DescribeStandards",
		"ListSecurityControlDefinitions", "DescribeHub"} {
		if st.Requests[op] == 0 {
			t.Errorf("Stats().Requests[%s] = 0", op)
		}
	}
}

// TestRegionsPartitionTheAggregate: as in AWS, the home (aggregation) region serves every linked
// region's findings and a linked region only its own, so the home region filtered to Region =
// home plus each linked region is every finding exactly once. A region read with its own
// GetFindings quota: the administrator throttled in the home region is not throttled elsewhere.
func TestRegionsPartitionTheAggregate(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 4}, fakeaws.Options{Aggregator: true, Unlimited: true})
	admin := s.AdministratorAccount()
	var got []string
	for _, r := range s.Regions() {
		c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Region: r, Creds: fakeawstest.Credentials(admin)})
		in := &securityhub.GetFindingsInput{}
		if r == home {
			in.Filters = &types.AwsSecurityFindingFilters{Region: []types.StringFilter{eq(home)}}
		}
		ids := fakeawstest.AllFindings(t, c, in)
		fakeawstest.SameSet(t, ids, fakeawstest.IDsWhere(s, func(f *fakeaws.Finding) bool { return f.Region == r }))
		got = append(got, ids...)
	}
	fakeawstest.SameSet(t, got, fakeawstest.IDsWhere(s, func(*fakeaws.Finding) bool { return true }))

	// With AWS's quotas on.
	s, hs = demoaws.NewTestServer(t, demoaws.Config{Accounts: 4}, fakeaws.Options{Aggregator: true})
	homeHub := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(admin), Retryer: aws.NopRetryer{}})
	throttled := false
	for range 20 {
		if _, err := homeHub.GetFindings(context.Background(), &securityhub.GetFindingsInput{MaxResults: aws.Int32(1)}); err != nil {
			if fakeawstest.ErrorCode(err) != "TooManyRequestsException" {
				t.Fatal(err)
			}
			throttled = true
			break
		}
	}
	if !throttled {
		t.Fatal("20 GetFindings calls at once in the home region were not throttled (quota 3/s burst 6)")
	}
	for _, r := range s.Regions()[1:] {
		c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Region: r, Creds: fakeawstest.Credentials(admin), Retryer: aws.NopRetryer{}})
		for i := range fakeaws.DefaultGetFindingsBurst {
			if _, err := c.GetFindings(context.Background(), &securityhub.GetFindingsInput{MaxResults: aws.Int32(1)}); err != nil {
				t.Errorf("%s request %d while throttled in %s: %v; quotas are per account and region", r, i+1, home, err)
			}
		}
	}
}
