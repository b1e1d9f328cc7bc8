package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hubreport/hubreport/internal/fakeaws"
)

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"--accounts", "3", "--unlimited", "--deny-assume-role", "111111111111,222222222222"}, pw, &stderr)
		pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	go io.Copy(io.Discard, pr)

	req, _ := http.NewRequest(http.MethodGet, url+"/accounts", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+fakeaws.AccessKeyFor("123456789012")+
		"/20250101/us-east-1/securityhub/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// 123456789012 is not in the organization: Security Hub answers it like an account without a hub.
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("DescribeHub: status %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancellation")
	}
	if !strings.Contains(stderr.String(), "administrator") {
		t.Errorf("stderr lacks the administrator hint: %q", stderr.String())
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{{"--no-such-flag"}, {"extra"}, {"--throttle-rate", "2"}, {"--disabled-regions", "us-east-1"}, {"--credential-ttl", "-1s"}} {
		var out, errOut strings.Builder
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
		if out.Len() != 0 {
			t.Errorf("run(%q) wrote to stdout: %q", args, out.String())
		}
	}
}

// TestCredentialTTLFlag: --credential-ttl sets how long AssumeRole's credentials live.
func TestCredentialTTLFlag(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"--accounts", "3", "--unlimited", "--credential-ttl", "2m"}, pw, io.Discard)
		pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v", err)
	}
	url := strings.TrimPrefix(strings.TrimSpace(line), "listening on ")
	go io.Copy(io.Discard, pr)
	probe, err := fakeaws.New(fakeaws.Options{Accounts: 3})
	if err != nil {
		t.Fatal(err)
	}
	member := probe.Accounts()[1].AccountID
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(fakeaws.AccessKeyFor(probe.AdministratorAccount()), "x", "")})
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + member + ":role/HubReportReader"),
		RoleSessionName: aws.String("t")})
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(aws.ToTime(out.Credentials.Expiration)); left < 2*time.Minute-5*time.Second || left > 2*time.Minute {
		t.Errorf("credentials expire in %v, want 2m", left)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
}
