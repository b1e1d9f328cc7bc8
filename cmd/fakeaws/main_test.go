package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

// serve runs the command with args until the test stops it; it returns the URL the command
// printed and stop, which cancels it and returns its exit code and stderr.
func serve(t *testing.T, args ...string) (url string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		code := run(ctx, args, pw, &stderr)
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
	return url, func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, stderr.String()
		case <-time.After(10 * time.Second):
			t.Fatal("run did not return after cancellation")
			return 0, ""
		}
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	url, stop := serve(t, "--accounts", "3", "--unlimited", "--deny-assume-role", "111111111111,222222222222")
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
	code, stderr := stop()
	if code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "administrator") {
		t.Errorf("stderr lacks the administrator hint: %q", stderr)
	}
}

// TestRunS3BucketsAndSESIdentities: --s3-buckets makes buckets with S3's conditional writes,
// --ses-identities limits the senders as SES does, and the sent emails are readable over HTTP.
func TestRunS3BucketsAndSESIdentities(t *testing.T) {
	url, stop := serve(t, "--accounts", "2", "--unlimited", "--s3-buckets", "state, archive", "--ses-identities", "reports@example.com")
	cfg := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "not-a-secret", "")}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return ""
	}
	put := func(bucket string, body string, f func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("db"), Body: strings.NewReader(body)}
		if f != nil {
			f(in)
		}
		return s3c.PutObject(ctx, in)
	}
	created, err := put("state", "v1", func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	if err != nil {
		t.Fatalf("create in a listed bucket: %v", err)
	}
	if _, err := put("state", "v1 again", func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") }); code(err) != "PreconditionFailed" {
		t.Errorf("If-None-Match: * on an existing key: %v, want PreconditionFailed", err)
	}
	if _, err := put("state", "v2", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(`"0123"`) }); code(err) != "PreconditionFailed" {
		t.Errorf("If-Match with a stale ETag: %v, want PreconditionFailed", err)
	}
	if _, err := put("state", "v2", func(in *s3.PutObjectInput) { in.IfMatch = created.ETag }); err != nil {
		t.Errorf("If-Match with the current ETag: %v", err)
	}
	if _, err := put("archive", "r", nil); err != nil {
		t.Errorf("the second bucket: %v", err)
	}
	if _, err := put("elsewhere", "r", nil); code(err) != "NoSuchBucket" {
		t.Errorf("an unlisted bucket: %v, want NoSuchBucket", err)
	}
	got, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("state"), Key: aws.String("db")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "v2" {
		t.Errorf("state/db holds %q, want v2", body)
	}

	ses := sesv2.NewFromConfig(cfg)
	send := func(from string) error {
		_, err := ses.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: aws.String(from),
			Destination: &sestypes.Destination{ToAddresses: []string{"ciso@example.org"}},
			Content: &sestypes.EmailContent{Raw: &sestypes.RawMessage{
				Data: []byte("From: " + from + "\r\nTo: ciso@example.org\r\nSubject: weekly\r\n\r\nbody\r\n")}}})
		return err
	}
	if err := send("reports@example.com"); err != nil {
		t.Fatalf("from the verified address: %v", err)
	}
	err = send("noreply@example.com")
	var mr *sestypes.MessageRejected
	if !errors.As(err, &mr) || mr.ErrorMessage() !=
		"Email address is not verified. The following identities failed the check in region EU-WEST-1: noreply@example.com" {
		t.Errorf("from an unverified address: %v", err)
	}
	resp, err := http.Get(url + fakeaws.SESMessagesPath)
	if err != nil {
		t.Fatal(err)
	}
	var sent struct{ Messages []fakeaws.SentEmail }
	err = json.NewDecoder(resp.Body).Decode(&sent)
	resp.Body.Close()
	if err != nil || len(sent.Messages) != 1 || sent.Messages[0].From != "reports@example.com" ||
		!bytes.Contains(sent.Messages[0].Raw, []byte("Subject: weekly")) {
		t.Errorf("sent messages %+v (%v), want the one from reports@example.com", sent.Messages, err)
	}
	exit, stderr := stop()
	if exit != 0 || !strings.Contains(stderr, "S3 buckets state,archive") || !strings.Contains(stderr, "SES sends from reports@example.com only") {
		t.Errorf("exit %d, stderr:\n%s", exit, stderr)
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{{"--no-such-flag"}, {"extra"}, {"--throttle-rate", "2"}, {"--disabled-regions", "us-east-1"},
		{"--s3-buckets", "state,Archive_1"}, {"--ses-identities", "Reports <reports@example.com>"}, {"--credential-ttl", "-1s"}} {
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
	probe, err := demoaws.New(demoaws.Config{Accounts: 3}, fakeaws.Options{})
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

// TestRunServesAnASFFFile: --findings serves a file's findings, read with the emulator's own
// decoder, to the accounts they name; a file that is not ASFF is a fatal error.
func TestRunServesAnASFFFile(t *testing.T) {
	e, err := demoaws.Estate(demoaws.Config{Accounts: 2})
	if err != nil {
		t.Fatal(err)
	}
	var want []*fakeaws.Finding
	for _, f := range e.Findings {
		if f.RecordState == "ACTIVE" && len(want) < 30 {
			want = append(want, f)
		}
	}
	var doc bytes.Buffer
	if err := fakeaws.EncodeFindings(&doc, want); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "findings.json")
	if err := os.WriteFile(path, doc.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	url, stop := serve(t, "--findings", path, "--aggregator=false", "--unlimited")
	got := map[string]bool{}
	for _, f := range want {
		if got[f.AccountID+"/"+f.Region] {
			continue
		}
		got[f.AccountID+"/"+f.Region] = true
		c := securityhub.New(securityhub.Options{Region: f.Region, BaseEndpoint: aws.String(url),
			Credentials: credentials.NewStaticCredentialsProvider(fakeaws.AccessKeyFor(f.AccountID), "x", "")})
		out, err := c.GetFindings(context.Background(), &securityhub.GetFindingsInput{})
		if err != nil {
			t.Fatalf("GetFindings as %s in %s: %v", f.AccountID, f.Region, err)
		}
		n := 0
		for _, w := range want {
			if w.AccountID == f.AccountID && w.Region == f.Region {
				n++
			}
		}
		if len(out.Findings) != n {
			t.Errorf("%s/%s: %d findings, the file has %d", f.AccountID, f.Region, len(out.Findings), n)
		}
	}
	if code, stderr := stop(); code != 0 || !strings.Contains(stderr, fmt.Sprintf("%d findings", len(want))) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"Findings": [{"Id": "x"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	if code := run(context.Background(), []string{"--findings", bad}, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "bad.json") {
		t.Errorf("bad file: exit %d, stderr %q", code, stderr.String())
	}
}
