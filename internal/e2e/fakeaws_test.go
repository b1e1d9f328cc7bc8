package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fakeawsProc is the fakeaws binary serving on 127.0.0.1, and what a test reads back from it.
type fakeawsProc struct {
	url    string
	region string // the estate's home region, where the administrator's aggregator is
	home   string // HOME for the reporter: nothing of this machine's AWS or DuckDB setup leaks in
	s3     *s3.Client
}

// adminKey is any access key: fakeaws treats keys not of the form AKIAFAKE<account> as the
// Security Hub administrator, whose role the collector uses.
const adminKey = "AKIAE2EADMINISTRATOR"

// logFile is a file a process writes its log to.
type logFile string

func (f logFile) String() string {
	b, _ := os.ReadFile(string(f))
	return string(b)
}

var homeRegion = regexp.MustCompile(`\(home ([a-z0-9-]+)\)`)

// startFakeaws starts the binary with args; it is stopped with SIGTERM when the test ends.
func startFakeaws(ctx context.Context, t *testing.T, bin string, args ...string) *fakeawsProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--listen", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// stderr goes to a file the test reads while the process writes it: no buffer shared
	// between goroutines.
	errFile, err := os.Create(filepath.Join(t.TempDir(), "fakeaws.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close() // the child holds its own descriptor
	cmd.Stderr = errFile
	stderr := logFile(errFile.Name())
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting fakeaws: %v", err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("fakeaws did not stop cleanly: %v\n%s", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("fakeaws ignored SIGTERM for 10 s\n%s", stderr.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		br := bufio.NewReader(stdout)
		line, _ := br.ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, br)
		exited <- cmd.Wait() // after stdout is drained, as Wait requires
	}()
	var line string
	select {
	case line = <-lines:
	case <-ctx.Done():
		t.Fatalf("fakeaws printed no address: %v\n%s", ctx.Err(), stderr.String())
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("fakeaws: first line %q, want \"listening on URL\"\n%s", line, stderr.String())
	}
	// The summary with the home region follows the address on stderr.
	var region string
	for deadline := time.Now().Add(10 * time.Second); region == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := homeRegion.FindStringSubmatch(stderr.String()); m != nil {
			region = m[1]
		}
	}
	if region == "" {
		t.Fatalf("fakeaws named no home region on stderr:\n%s", stderr.String())
	}
	f := &fakeawsProc{url: url, region: region, home: t.TempDir()}
	f.s3 = s3.NewFromConfig(aws.Config{Region: region, BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(adminKey, "not-a-secret", "")},
		func(o *s3.Options) { o.UsePathStyle = true })
	return f
}

// env is the reporter's whole environment: the SDK pointed at the emulator as a user would with
// AWS_ENDPOINT_URL, and none of this machine's AWS configuration.
func (f *fakeawsProc) env(t *testing.T) []string {
	none := filepath.Join(f.home, "none")
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + f.home,
		"TMPDIR=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + f.url,
		"AWS_REGION=" + f.region,
		"AWS_ACCESS_KEY_ID=" + adminKey,
		"AWS_SECRET_ACCESS_KEY=not-a-secret",
		"AWS_CONFIG_FILE=" + none,
		"AWS_SHARED_CREDENTIALS_FILE=" + none,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// keys lists a bucket's keys under prefix, in S3's order.
func (f *fakeawsProc) keys(ctx context.Context, t *testing.T, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(f.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("listing s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

func (f *fakeawsProc) get(ctx context.Context, t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := f.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("reading s3://%s/%s: %v", bucket, key, err)
	}
	return b
}

func (f *fakeawsProc) etag(ctx context.Context, t *testing.T, bucket, key string) string {
	t.Helper()
	out, err := f.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("HeadObject s3://%s/%s: %v", bucket, key, err)
	}
	return aws.ToString(out.ETag)
}

// snapshot is a row of `reporter snapshots --format json`.
type snapshot struct {
	ID       int64     `json:"id"`
	TakenAt  time.Time `json:"taken_at"`
	Findings int64     `json:"findings"`
	Status   string    `json:"status"`
}

// stateSnapshots downloads the state object and lists its snapshots with the reporter itself.
func (f *fakeawsProc) stateSnapshots(ctx context.Context, t *testing.T, reporter string) []snapshot {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "state.duckdb")
	if err := os.WriteFile(db, f.get(ctx, t, "state", stateKey), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runReporter(ctx, t, reporter, f.env(t), dir, "snapshots", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("reporter snapshots on the downloaded state: exit %d\n%s", code, stderr)
	}
	var snaps []snapshot
	if err := json.Unmarshal([]byte(stdout), &snaps); err != nil {
		t.Fatalf("reporter snapshots --format json: %v\n%s", err, stdout)
	}
	return snaps
}

// sentEmail is an email as fakeaws lists it at /_fakeaws/ses/messages.
type sentEmail struct {
	From string   `json:"from"`
	To   []string `json:"to"`
	Raw  []byte   `json:"raw"`
}

func (f *fakeawsProc) sentEmails(ctx context.Context, t *testing.T) []sentEmail {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/_fakeaws/ses/messages", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Messages []sentEmail `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_fakeaws/ses/messages: status %d, %v", resp.StatusCode, err)
	}
	return got.Messages
}
