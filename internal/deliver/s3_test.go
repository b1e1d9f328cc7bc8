package deliver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

func clients(t *testing.T, opts fakeaws.Options) (*fakeaws.Server, *s3.Client, *sesv2.Client) {
	t.Helper()
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, opts)
	cfg := aws.Config{Region: srv.HomeRegion(), BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider(fakeaws.AccessKeyFor(srv.AdministratorAccount()), "x", "")}
	return srv, s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), sesv2.NewFromConfig(cfg)
}

func TestArchiveNeverOverwrites(t *testing.T) {
	srv, s3c, _ := clients(t, fakeaws.Options{Unlimited: true, S3Buckets: []string{"arch"}})
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
	oldSum, newSum := sha256.Sum256([]byte("%PDF first")), sha256.Sum256([]byte("%PDF changed"))
	for _, only := range []Archive{{Dir: a.Dir}, {S3: a.S3, Bucket: a.Bucket, Prefix: a.Prefix}} {
		_, err := only.Store(context.Background(), at, 12, []string{pdf})
		var ce *ArchiveConflictError
		if !errors.As(err, &ce) || ce.ArchivedSHA256 != hex.EncodeToString(oldSum[:]) || ce.NewSHA256 != hex.EncodeToString(newSum[:]) {
			t.Fatalf("a different report over an archived one: %v", err)
		}
		for _, want := range []string{ce.ArchivedSHA256, ce.NewSHA256, "snapshot-12/report.pdf", "snapshot 12", "not overwritten", "move the archived copy aside"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("conflict error lacks %q: %v", want, err)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(a.Dir, "2025/02/24/snapshot-12/report.pdf")); string(b) != "%PDF first" {
		t.Errorf("folder copy changed to %q", b)
	}
	if obj, _ := srv.Object("arch", "reports/2025/02/24/snapshot-12/report.pdf"); string(obj.Body) != "%PDF first" {
		t.Errorf("S3 copy changed to %q", obj.Body)
	}
}

// An archive that already holds the same bytes counts as delivered, even when this run did not
// write them (another run or a copy by hand): the re-delivery of a snapshot succeeds.
func TestArchiveSameBytesAlreadyThere(t *testing.T) {
	srv, s3c, _ := clients(t, fakeaws.Options{Unlimited: true, S3Buckets: []string{"arch"}})
	work := t.TempDir()
	zip := filepath.Join(work, "evidence.zip")
	os.WriteFile(zip, []byte("PK same bytes"), 0o600)
	dir := filepath.Join(work, "archive")
	os.MkdirAll(filepath.Join(dir, "2025/02/24/snapshot-3"), 0o750)
	os.WriteFile(filepath.Join(dir, "2025/02/24/snapshot-3/evidence.zip"), []byte("PK same bytes"), 0o600)
	srv.PutObjectDirect("arch", "2025/02/24/snapshot-3/evidence.zip", []byte("PK same bytes"))
	a := Archive{Dir: dir, S3: s3c, Bucket: "arch"}
	got, err := a.Store(context.Background(), time.Date(2025, 2, 24, 7, 0, 0, 0, time.UTC), 3, []string{zip})
	if err != nil || len(got) != 2 {
		t.Fatalf("re-delivery onto identical copies: %+v, %v", got, err)
	}
	if n := srv.Stats().Requests["PutObject"]; n != 1 {
		t.Errorf("PutObject calls = %d, want 1 (refused by If-None-Match, then compared)", n)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "2025/02/24/snapshot-3/.*"))
	if len(left) != 0 {
		t.Errorf("temporary files left in the archive: %v", left)
	}
}

// failingReader gives n bytes, checks that nothing is visible under the final name yet, then fails
// as a full disk or a read error would.
type failingReader struct {
	t     *testing.T
	final string
	n     int
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		k := min(r.n, len(p))
		r.n -= k
		return k, nil
	}
	if _, err := os.Stat(r.final); !errors.Is(err, os.ErrNotExist) {
		r.t.Errorf("%s is visible while it is being written: %v", r.final, err)
	}
	return 0, errors.New("injected: device full")
}

func TestArchiveFolderWriteFailsMidway(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "2025", "02", "24")
	final := filepath.Join(dir, "report.pdf")
	err := writeOnce(final, &failingReader{t: t, final: final, n: 100 << 10}, "unused")
	if err == nil || !strings.Contains(err.Error(), "injected: device full") {
		t.Fatalf("writeOnce = %v, want the injected failure", err)
	}
	if _, err := os.Stat(final); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed write left %s: %v", final, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("a failed write left %v in the folder", left)
	}
	// The next attempt writes the whole file, 0640.
	data := strings.Repeat("x", 200<<10)
	sum := sha256.Sum256([]byte(data))
	if err := writeOnce(final, strings.NewReader(data), hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(final)
	if err != nil || fi.Size() != int64(len(data)) || fi.Mode().Perm() != 0o640 {
		t.Errorf("after the retry: %v, %v", fi, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("folder holds %v, want only report.pdf", left)
	}
}

func TestStateRoundTripAndConflict(t *testing.T) {
	srv, s3c, _ := clients(t, fakeaws.Options{Unlimited: true, S3Buckets: []string{"st"}})
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
	_, err = st.Upload(ctx, local, etag)
	if !errors.As(err, &ce) || ce.KeepErr != nil || !strings.HasPrefix(ce.Local, local+".conflict-") || !strings.Contains(err.Error(), "kept at "+ce.Local) {
		t.Fatalf("stale upload: %v", err)
	}
	if obj, _ := srv.Object("st", "state/r.duckdb"); string(obj.Body) != "another run's v2" {
		t.Errorf("the other run's state was overwritten: %q", obj.Body)
	}
	// The error says the database is kept: it still is after the next run downloads the state
	// over the database's usual name.
	if _, err := st.Download(ctx, local); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(local); string(b) != "another run's v2" {
		t.Fatalf("next run's download: %q", b)
	}
	if b, err := os.ReadFile(ce.Local); err != nil || string(b) != "my v2" {
		t.Errorf("kept %s holds %q (%v), want %q", ce.Local, b, err, "my v2")
	}
}

func TestSESSendsAndRefusesOversize(t *testing.T) {
	srv, _, sesc := clients(t, fakeaws.Options{Unlimited: true, SESVerifiedIdentities: []string{"example.com"}})
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
