package run

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/deliver/mailtest"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/store"
)

// emulator is an Options.AWSConfig that points every client at the emulator, as the
// administrator account, with nothing read from this machine's environment or files.
func emulator(srv *fakeaws.Server, url string) func(context.Context) (sdkaws.Config, error) {
	return func(context.Context) (sdkaws.Config, error) {
		return sdkaws.Config{Region: srv.HomeRegion(), BaseEndpoint: sdkaws.String(url),
			Credentials: sdkaws.CredentialsProviderFunc(func(context.Context) (sdkaws.Credentials, error) {
				return sdkaws.Credentials{AccessKeyID: fakeaws.AccessKeyFor(srv.AdministratorAccount()), SecretAccessKey: "not-a-secret"}, nil
			})}, nil
	}
}

func testOptions(cfg config.Config, log *bytes.Buffer) Options {
	return Options{Config: cfg, Log: slog.New(slog.NewJSONHandler(log, nil)), Stdout: &bytes.Buffer{}}
}

func TestStateConflictIsReported(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true, S3Buckets: []string{"st"}})
	work := t.TempDir()
	cfg := config.Default()
	cfg.Store.Path = filepath.Join(work, "r.duckdb")
	cfg.Store.S3State = config.S3Location{Bucket: "st", Key: "db"}
	cfg.Collect.Source = "demo"
	o := testOptions(cfg, &bytes.Buffer{})
	o.Steps, o.InitState, o.AWSConfig = Steps{Collect: true}, true, emulator(srv, hs.URL)
	// Another run uploads its history while this one collects.
	go func() {
		time.Sleep(300 * time.Millisecond)
		srv.PutObjectDirect("st", "db", []byte("someone else's database"))
	}()
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "s3://st/db changed since this run downloaded it") || !strings.Contains(err.Error(), cfg.Store.Path) {
		t.Fatalf("err = %v, want a conflict naming the object and the kept database", err)
	}
	if obj, _ := srv.Object("st", "db"); string(obj.Body) != "someone else's database" {
		t.Error("the other run's upload was overwritten")
	}
	st, err := store.Open(context.Background(), cfg.Store.Path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("this run's database is not kept: %v", err)
	}
	st.Close()
}

// TestOversizedEmailLinksToArchive sends reports too large for SES: the email goes out without
// attachments, with presigned links to the archived copies, which download.
func TestOversizedEmailLinksToArchive(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true, S3Buckets: []string{"arch"}})
	work := t.TempDir()
	cfg := config.Default()
	cfg.Store.Path = filepath.Join(work, "r.duckdb")
	cfg.Collect.Source = "demo"
	cfg.Report.Out, cfg.Report.Formats = filepath.Join(work, "out"), []string{"text"}
	cfg.Deliver.Email = config.Email{Transport: "ses", From: "compliance@example.com", To: []string{"ciso@example.com"}}
	cfg.Deliver.Archive.S3 = config.S3Archive{Bucket: "arch", Prefix: "reports/"}
	var log bytes.Buffer
	o := testOptions(cfg, &log)
	o.AWSConfig = emulator(srv, hs.URL)
	if _, err := Collect(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	r, _, _, err := reportLatest(context.Background(), o, cfg.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 31<<20) // 31 MiB of noise is over 40 MiB in base64
	rand.Read(big)
	pdf := filepath.Join(work, "report.pdf")
	os.WriteFile(pdf, append([]byte("%PDF-1.7\n"), big...), 0o600)
	res := Result{Written: []string{pdf}}
	if err := deliverReports(context.Background(), o, &clients{load: o.AWSConfig}, r, nil, &res); err != nil {
		t.Fatal(err)
	}
	mails := srv.SentEmails()
	if len(mails) != 1 {
		t.Fatalf("%d emails", len(mails))
	}
	p, err := mailtest.Parse(mails[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Attachments) != 0 || !strings.Contains(p.HTML, "too large to attach") || !strings.Contains(p.HTML, "X-Amz-Signature") {
		t.Fatalf("email has %d attachments; html:\n%s", len(p.Attachments), p.HTML)
	}
	if !strings.Contains(log.String(), "too large to attach") {
		t.Errorf("the fallback was not logged: %s", log.String())
	}
}

func TestParseSteps(t *testing.T) {
	for _, c := range []struct {
		list, want, err string
	}{
		{"collect,report,deliver", "collect,report,deliver", ""},
		{" merge , report", "merge,report", ""},
		{"deliver", "report,deliver", ""}, // what is delivered is what this run rendered
		{"collect,,collect", "collect", ""},
		{"collect,merge", "", "collect and merge are alternatives"},
		{"collect,publish", "", `--steps: unknown step "publish" (known: collect, merge, report, deliver)`},
		{" , ", "", "--steps names no step"},
	} {
		t.Run(c.list, func(t *testing.T) {
			got, err := ParseSteps(c.list)
			if c.err != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("ParseSteps(%q) = %v, want a usage error with %q", c.list, err, c.err)
				}
				return
			}
			if err != nil || strings.Join(got.Names(), ",") != c.want {
				t.Errorf("ParseSteps(%q) = %v, %v; want %s", c.list, got.Names(), err, c.want)
			}
		})
	}
}

// TestRunRefusesBeforeTouchingAnything: combinations that cannot run are usage errors, returned
// before any AWS call (the factory would fail the test) or any file is made.
func TestRunRefusesBeforeTouchingAnything(t *testing.T) {
	noAWS := func(context.Context) (sdkaws.Config, error) {
		t.Error("a refused run loaded the AWS configuration")
		return sdkaws.Config{}, errors.New("no AWS here")
	}
	for _, c := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"init-state without a state object", func(o *Options) { o.Steps, o.InitState = Steps{Collect: true}, true },
			"--init-state creates the store.s3_state object"},
		{"init-state without storing", func(o *Options) {
			o.Config.Store.S3State = config.S3Location{Bucket: "b", Key: "k"}
			o.Steps, o.InitState = Steps{Report: true, Deliver: true}, true
		}, "--init-state creates the store.s3_state object"},
		{"merge without a state object", func(o *Options) { o.Steps = Steps{Merge: true} }, "--steps merge needs store.s3_state"},
		{"a shard that reports", func(o *Options) {
			o.Config.Collect.Source, o.Config.Collect.AWS.Mode, o.Config.Collect.AWS.Shard = "aws", "accounts", "1/2"
			o.Config.Store.S3State = config.S3Location{Bucket: "b", Key: "k"}
			o.Steps = Steps{Collect: true, Report: true}
		}, "a shard only collects"},
		{"a shard in aggregator mode", func(o *Options) {
			o.Config.Collect.Source, o.Config.Collect.AWS.Mode, o.Config.Collect.AWS.Shard = "aws", "aggregator", "1/2"
			o.Steps = Steps{Collect: true}
		}, "collect.aws.shard needs collect.source aws and collect.aws.mode accounts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Store.Path = filepath.Join(t.TempDir(), "r.duckdb")
			o := testOptions(cfg, &bytes.Buffer{})
			o.AWSConfig = noAWS
			c.edit(&o)
			_, err := Run(context.Background(), o)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want a usage error with %q", err, c.want)
			}
			if _, serr := os.Stat(o.Config.Store.Path); !errors.Is(serr, os.ErrNotExist) {
				t.Errorf("a refused run made %s", o.Config.Store.Path)
			}
		})
	}
}

// TestResultWarning: a run that succeeded on a partial or stale snapshot says so with the
// errors cmd/reporter maps to exit 3; a complete, fresh one does not.
func TestResultWarning(t *testing.T) {
	if err := (Result{Snapshot: 7}).Warning(); err != nil {
		t.Errorf("complete snapshot: %v", err)
	}
	if err := (Result{Snapshot: 7, Partial: true}).Warning(); !errors.Is(err, ErrPartial) || !strings.HasPrefix(err.Error(), "snapshot 7: ") {
		t.Errorf("partial snapshot: %v", err)
	}
	stale := errors.Join(ErrStale)
	if err := (Result{Snapshot: 7, Stale: stale}).Warning(); !errors.Is(err, ErrStale) {
		t.Errorf("stale snapshot: %v", err)
	}
	nd := error(&NotDeliveredError{Snapshot: 3, Err: errors.New("SES said no")})
	if !strings.Contains(nd.Error(), "snapshot 3 was collected and saved, but not delivered: SES said no") || errors.Unwrap(nd).Error() != "SES said no" {
		t.Errorf("not delivered: %v", nd)
	}
}

// TestS3PathStyleFollowsTheEndpoint: buckets are addressed by path exactly when the SDK
// configuration names an endpoint (an emulator or an S3-compatible store), and by host name on
// AWS's own.
func TestS3PathStyleFollowsTheEndpoint(t *testing.T) {
	for _, endpoint := range []string{"", "http://s3.example.test:9000"} {
		c := &clients{load: func(context.Context) (sdkaws.Config, error) {
			cfg := sdkaws.Config{Region: "eu-west-1"}
			if endpoint != "" {
				cfg.BaseEndpoint = sdkaws.String(endpoint)
			}
			return cfg, nil
		}}
		s3c, err := c.s3(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s3c.Options().UsePathStyle, endpoint != ""; got != want {
			t.Errorf("endpoint %q: UsePathStyle %v, want %v", endpoint, got, want)
		}
	}
}
