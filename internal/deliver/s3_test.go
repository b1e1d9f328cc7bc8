package deliver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/hubreport/hubreport/internal/fakeaws"
)

func clients(t *testing.T, opts fakeaws.Options) (*fakeaws.Server, *s3.Client, *sesv2.Client) {
	t.Helper()
	srv, hs := fakeaws.NewTestServer(t, opts)
	cfg := aws.Config{Region: srv.HomeRegion(), BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider(fakeaws.AccessKeyFor(srv.AdministratorAccount()), "x", "")}
	return srv, s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), sesv2.NewFromConfig(cfg)
}

func TestArchiveNeverOverwrites(t *testing.T) {
	srv, s3c, _ := clients(t, fakeaws.Options{Accounts: 2, Unlimited: true, S3Buckets: []string{"arch"}})
	work := t.TempDir()
	pdf := filepath.Join(work, "report.pdf")
	os.WriteFile(pdf, []byte("%PDF first"), 0o600)
	a := Archive{Dir: filepath.Join(work, "archive"), S3: s3c, Presign: s3.NewPresignClient(s3c), Bucket: "arch", Prefix: "reports/", KMSKeyID: "alias/reports"}
	at := time.Date(2025, 2, 24, 7, 0, 0, 0, time.UTC)
	got, err := a.Store(context.Background(), at, 12, []string{pdf})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Location != "s3://arch/reports/2025/02/24/snapshot-12/report.pdf" || !strings.Contains(got[1].URL, "X-Amz-Signature") {
		t.Fatalf("archived %+v", got)
	}
	obj, _ := srv.Object("arch", "reports/2025/02/24/snapshot-12/report.pdf")
	if obj.SSE != "aws:kms" || obj.KMSKeyID != "alias/reports" || obj.ContentType != "application/pdf" {
		t.Errorf("object stored with SSE %q key %q type %q", obj.SSE, obj.KMSKeyID, obj.ContentType)
	}
	// The same report again is fine; a different one under the same name is refused, in both places.
	if _, err := a.Store(context.Background(), at, 12, []string{pdf}); err != nil {
		t.Errorf("archiving the same report twice: %v", err)
	}
	os.WriteFile(pdf, []byte("%PDF changed"), 0o600)
	for _, only := range []Archive{{Dir: a.Dir}, {S3: a.S3, Bucket: a.Bucket, Prefix: a.Prefix}} {
		if _, err := only.Store(context.Background(), at, 12, []string{pdf}); err == nil || !strings.Contains(err.Error(), "not overwritten") {
			t.Errorf("a different report over an archived one: %v", err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(a.Dir, "2025/02/24/snapshot-12/report.pdf")); string(b) != "%PDF first" {
		t.Errorf("folder copy changed to %q", b)
	}
	if obj, _ := srv.Object("arch", "reports/2025/02/24/snapshot-12/report.pdf"); string(obj.Body) != "%PDF first" {
		t.Errorf("S3 copy changed to %q", obj.Body)
	}
}

func TestStateRoundTripAndConflict(t *testing.T) {
	srv, s3c, _ := clients(t, fakeaws.Options{Accounts: 2, Unlimited: true, S3Buckets: []string{"st"}})
	ctx := context.Background()
	st := State{S3: s3c, Bucket: "st", Key: "state/r.duckdb"}
	local := filepath.Join(t.TempDir(), "r.duckdb")
	var missing *MissingError
	etag, err := st.Download(ctx, local)
	if !errors.As(err, &missing) || etag != "" || !strings.Contains(err.Error(), "s3://st/state/r.duckdb does not exist") {
		t.Fatalf("first run: etag %q err %v, want MissingError", etag, err)
	}
	if _, err := os.Stat(local); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing state left a file at %s: %v", local, err)
	}
	os.WriteFile(local, []byte("v1"), 0o600)
	// A WAL beside the file holds what the file lacks: refused, nothing uploaded.
	os.WriteFile(local+".wal", []byte("commits"), 0o600)
	if _, err := st.Upload(ctx, local, ""); err == nil || !strings.Contains(err.Error(), local+".wal holds 7 bytes") {
		t.Errorf("upload beside a WAL: %v", err)
	}
	if _, ok := srv.Object("st", "state/r.duckdb"); ok {
		t.Error("a file with a WAL left beside it was uploaded")
	}
	os.Remove(local + ".wal")
	if etag, err = st.Upload(ctx, local, ""); err != nil {
		t.Fatal(err)
	}
	// A second first run (no ETag) may not overwrite.
	var ce *ConflictError
	if _, err := st.Upload(ctx, local, ""); !errors.As(err, &ce) {
		t.Errorf("blind overwrite: %v", err)
	}
	got, err := st.Download(ctx, local)
	if err != nil || got != etag {
		t.Fatalf("download: etag %q err %v, want %q", got, err, etag)
	}
	srv.PutObjectDirect("st", "state/r.duckdb", []byte("another run's v2"))
	os.WriteFile(local, []byte("my v2"), 0o600)
	if _, err := st.Upload(ctx, local, etag); !errors.As(err, &ce) || ce.Local != local {
		t.Errorf("stale upload: %v", err)
	}
	if obj, _ := srv.Object("st", "state/r.duckdb"); string(obj.Body) != "another run's v2" {
		t.Errorf("the other run's state was overwritten: %q", obj.Body)
	}
}

func TestSESSendsAndRefusesOversize(t *testing.T) {
	srv, _, sesc := clients(t, fakeaws.Options{Accounts: 2, Unlimited: true, SESVerifiedIdentities: []string{"example.com"}})
	m := testMessage()
	raw, err := Compose(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := (SES{API: sesc}).Send(context.Background(), m.From, m.To, raw); err != nil {
		t.Fatal(err)
	}
	sent := srv.SentEmails()
	if len(sent) != 1 || strings.Join(sent[0].To, ",") != "ciso@example.com,ops@example.com" {
		t.Fatalf("sent %+v", sent)
	}
	checkMessage(t, sent[0].Raw)
	big := make([]byte, MaxSESMessage+1)
	if err := (SES{API: sesc}).Send(context.Background(), m.From, m.To, big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
	if len(srv.SentEmails()) != 1 {
		t.Error("an oversize message reached SES")
	}
	// An unverified sender is SES's refusal, reported.
	if err := (SES{API: sesc}).Send(context.Background(), "x@other.org", m.To, raw); err == nil || !strings.Contains(err.Error(), "not verified") {
		t.Errorf("unverified sender: %v", err)
	}
}
