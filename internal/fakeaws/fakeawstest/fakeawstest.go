// Package fakeawstest helps tests that point the real AWS SDK clients at the emulator:
// credentials that act as an account, clients, the AWS CLI, error codes and finding sets. It is
// kept out of package fakeaws so the emulator itself does not link the SDK.
package fakeawstest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

// Home is the region the clients use unless told otherwise: the demo estate's home region.
const Home = "us-east-1"

// ClientOptions configures SDK clients for a test.
type ClientOptions struct {
	Region  string // "": Home
	Creds   aws.CredentialsProvider
	Retryer aws.Retryer // nil: the SDK's standard retryer with ten attempts (retryerOr)
}

// retryerOr is r, or the SDK's standard retryer with ten attempts instead of three. Under -race
// on a loaded machine, a response read from the in-process emulator is now and then cut on the
// client's side ("use of closed network connection", which the SDK retries): 5 of 40 runs of
// TestGetFindingsInvalidInput without retries, and one CI run had all three attempts of a
// TestGetFindingsSort page fail (aws/aws-sdk-go-v2#2737 describes the same error against AWS).
// Tests of retries and throttling pass a retryer of their own. It keeps the SDK's backoff, unlike
// FastRetryer (for injected faults): the three attempts that failed came within 0.7 s.
func retryerOr(r aws.Retryer) aws.Retryer {
	if r != nil {
		return r
	}
	return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 10 })
}

// Credentials are long-term keys that act as account.
func Credentials(account string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(fakeaws.AccessKeyFor(account), "secret", "")
}

// SecurityHub is a Security Hub client of the emulator at url.
func SecurityHub(url string, o ClientOptions) *securityhub.Client {
	return securityhub.New(securityhub.Options{Region: cmp.Or(o.Region, Home), BaseEndpoint: aws.String(url),
		Credentials: o.Creds, Retryer: retryerOr(o.Retryer)})
}

// Organizations is an Organizations client of the emulator at url.
func Organizations(url string, o ClientOptions) *organizations.Client {
	return organizations.New(organizations.Options{Region: cmp.Or(o.Region, Home), BaseEndpoint: aws.String(url),
		Credentials: o.Creds, Retryer: retryerOr(o.Retryer)})
}

// STS is an STS client of the emulator at url.
func STS(url string, o ClientOptions) *sts.Client {
	return sts.New(sts.Options{Region: cmp.Or(o.Region, Home), BaseEndpoint: aws.String(url),
		Credentials: o.Creds, Retryer: retryerOr(o.Retryer)})
}

// AllFindings pages through GetFindings with the SDK paginator and returns the finding ids in
// order.
func AllFindings(t testing.TB, c *securityhub.Client, in *securityhub.GetFindingsInput) []string {
	t.Helper()
	var ids []string
	p := securityhub.NewGetFindingsPaginator(c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetFindings: %v", err)
		}
		for _, f := range out.Findings {
			ids = append(ids, aws.ToString(f.Id))
		}
	}
	return ids
}

// IDsWhere lists the ids of the served findings keep keeps.
func IDsWhere(s *fakeaws.Server, keep func(f *fakeaws.Finding) bool) []string {
	var ids []string
	for _, f := range s.Findings() {
		if keep(f) {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

// SameSet fails unless got holds exactly want's ids, each once.
func SameSet(t testing.TB, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("finding %s returned %d times", id, n)
		}
	}
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	g = slices.Compact(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("got %d distinct findings, want %d", len(g), len(w))
	}
	if len(want) == 0 {
		t.Errorf("the case selects no findings: it tests nothing")
	}
}

// Member is an account other than the administrator.
func Member(s *fakeaws.Server) string {
	for _, a := range s.Accounts() {
		if a.AccountID != s.AdministratorAccount() {
			return a.AccountID
		}
	}
	return ""
}

// Workload is an account that is neither the administrator nor the management account.
func Workload(s *fakeaws.Server) string {
	for _, a := range s.Accounts() {
		if a.AccountID != s.AdministratorAccount() && a.AccountID != s.ManagementAccount() {
			return a.AccountID
		}
	}
	return ""
}

// ErrorCode is the AWS error code of err, "" when it has none.
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// HTTPStatus is the HTTP status of the response err came with, 0 when none.
func HTTPStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// FastRetryer is the SDK's standard retryer with ten attempts and no backoff, so tests of
// injected faults do not wait.
func FastRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 10
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
	})
}

// AWSCLI finds the aws command. A missing tool fails the test, as a missing pdftotext does: the
// emulator is checked against this second, independent client, and .ci/run installs it
// (Debian's awscli).
func AWSCLI(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("aws not found (install awscli; .ci/run does): %v", err)
	}
	return path
}

// RunAWS runs the aws command against the emulator as account and decodes its JSON output.
func RunAWS(t testing.TB, aws, url, account string, v any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, aws, append([]string{"--endpoint-url", url, "--region", "us-east-1", "--output", "json"}, args...)...)
	// Drop the environment's AWS settings (an empty AWS_PROFILE is a profile named "").
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"AWS_ACCESS_KEY_ID="+fakeaws.AccessKeyFor(account),
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=3",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %v: %v\n%s", args, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), v); err != nil {
		t.Fatalf("aws %v: output is not JSON: %v\n%.500s", args, err, stdout.String())
	}
}
