package fakeaws_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/fakeawstest"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

const home = fakeawstest.Home

// TestAssumedCredentialsExpire: AssumeRole's credentials live CredentialTTL by the emulator's
// clock; once it passes, every service refuses them with its own protocol's code and status.
func TestAssumedCredentialsExpire(t *testing.T) {
	var skew atomic.Int64
	const ttl = 15 * time.Minute
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Unlimited: true, CredentialTTL: ttl, S3Buckets: []string{"state"}, Clock: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	ctx := context.Background()
	admin := srv.AdministratorAccount()
	var member string
	for _, a := range srv.Accounts() {
		if a.AccountID != admin {
			member = a.AccountID
			break
		}
	}
	out, err := fakeawstest.STS(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(admin)}).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/HubReportReader"), RoleSessionName: aws.String("t")})
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(aws.ToTime(out.Credentials.Expiration)); left < ttl-2*time.Second || left > ttl {
		t.Errorf("credentials expire in %v, want %v", left, ttl)
	}
	c := out.Credentials
	creds := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	o := fakeawstest.ClientOptions{Creds: creds, Retryer: aws.NopRetryer{}}
	s3c := s3.New(s3.Options{Region: home, BaseEndpoint: aws.String(hs.URL), Credentials: creds, UsePathStyle: true, Retryer: aws.NopRetryer{}})
	calls := []struct {
		service, code string
		status        int
		call          func() error
	}{
		{"securityhub", "ExpiredTokenException", http.StatusForbidden, func() error {
			_, err := fakeawstest.SecurityHub(hs.URL, o).GetFindings(ctx, &securityhub.GetFindingsInput{MaxResults: aws.Int32(1)})
			return err
		}},
		{"organizations", "ExpiredTokenException", http.StatusBadRequest, func() error {
			// A member may not list the organization; the expiry is checked before that.
			_, err := fakeawstest.Organizations(hs.URL, o).ListAccounts(ctx, &organizations.ListAccountsInput{})
			if err != nil && !strings.Contains(err.Error(), "Expired") {
				return nil
			}
			return err
		}},
		{"sts", "ExpiredToken", http.StatusForbidden, func() error {
			_, err := fakeawstest.STS(hs.URL, o).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
		{"s3", "ExpiredToken", http.StatusBadRequest, func() error {
			_, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("state")})
			return err
		}},
	}
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Errorf("%s with fresh credentials: %v", c.service, err)
		}
	}
	skew.Store(int64(ttl)) // the moment they expire
	for _, c := range calls {
		err := c.call()
		var apiErr smithy.APIError
		var re *awshttp.ResponseError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != c.code || !errors.As(err, &re) || re.HTTPStatusCode() != c.status {
			t.Errorf("%s with expired credentials: %v, want %s (HTTP %d)", c.service, err, c.code, c.status)
		}
	}
	if got := srv.Stats().ExpiredTokens; got != len(calls) {
		t.Errorf("Stats.ExpiredTokens = %d, want %d", got, len(calls))
	}
	// The administrator's own keys carry no expiry.
	if _, err := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(admin)}).GetFindings(ctx, &securityhub.GetFindingsInput{MaxResults: aws.Int32(1)}); err != nil {
		t.Errorf("long-term keys after the skew: %v", err)
	}
}

func TestMalformedFindingsOption(t *testing.T) {
	srv, err := demoaws.New(demoaws.Config{Accounts: 2}, fakeaws.Options{MalformedFindings: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.MalformedFindingIDs(); len(got) != 3 {
		t.Errorf("MalformedFindingIDs = %v, want 3 ids", got)
	}
	for _, bad := range []fakeaws.Options{{MalformedFindings: -1}, {MalformedFindings: 1 << 30}, {CredentialTTL: -time.Second}} {
		var oe *fakeaws.OptionsError
		if _, err := demoaws.New(demoaws.Config{Accounts: 2}, bad); !errors.As(err, &oe) {
			t.Errorf("New(%+v) = %v, want an OptionsError", bad, err)
		}
	}
}
