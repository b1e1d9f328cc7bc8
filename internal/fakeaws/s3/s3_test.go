package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/fakeawstest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

const home = fakeawstest.Home

const testBucket = "reports-bucket"

type s3Env struct {
	srv     *fakeaws.Server
	chunked atomic.Int32 // requests with Content-Encoding: aws-chunked
	url     string
	http    *http.Client
	client  *s3.Client
}

// newS3Env serves the emulator over HTTPS (tls true: the SDK then sends PutObject bodies
// aws-chunked with a trailing checksum) or HTTP (checksum in a header, plain body).
func newS3Env(t *testing.T, tls bool, optFns ...func(*s3.Options)) *s3Env {
	t.Helper()
	srv, err := demoaws.New(demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true, S3Buckets: []string{testBucket}})
	if err != nil {
		t.Fatal(err)
	}
	e := &s3Env{srv: srv}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
			e.chunked.Add(1)
		}
		srv.ServeHTTP(w, r)
	})
	var hs *httptest.Server
	if tls {
		hs = httptest.NewTLSServer(h)
	} else {
		hs = httptest.NewServer(h)
	}
	t.Cleanup(hs.Close)
	hc := hs.Client()
	// The checksum settings are what config.LoadDefaultConfig resolves by default; a bare
	// aws.Config leaves them unset, which turns the SDK's default integrity protection off.
	client := s3.NewFromConfig(aws.Config{Region: home, Credentials: fakeawstest.Credentials(srv.AdministratorAccount()),
		BaseEndpoint: aws.String(hs.URL), HTTPClient: hc,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported}, func(o *s3.Options) {
		o.UsePathStyle = true
		for _, f := range optFns {
			f(o)
		}
	})
	e.url, e.http, e.client = hs.URL, hc, client
	return e
}

func (e *s3Env) put(t *testing.T, key string, body []byte, optFns ...func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key), Body: bytes.NewReader(body)}
	for _, f := range optFns {
		f(in)
	}
	return e.client.PutObject(context.Background(), in)
}

func (e *s3Env) get(t *testing.T, key string) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := e.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject(%q): %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject(%q) body: %v", key, err)
	}
	return b, out
}

func TestS3PutGetRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tls    bool
		optFns []func(*s3.Options)
	}{
		{"https aws-chunked", true, nil},
		{"http checksum header", false, nil},
		{"https when required", true, []func(*s3.Options){func(o *s3.Options) {
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newS3Env(t, tc.tls, tc.optFns...)
			body := []byte("<html><body>weekly report</body></html>\n")
			key := "reports/2026/05/weekly report+1.html"
			out, err := e.put(t, key, body, func(in *s3.PutObjectInput) {
				in.ContentType = aws.String("text/html; charset=utf-8")
				in.Metadata = map[string]string{"Generated-By": "hubreport"}
			})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			o, ok := e.srv.Object(testBucket, key)
			if !ok {
				t.Fatalf("object not stored; keys %q", e.srv.ObjectKeys(testBucket))
			}
			if !bytes.Equal(o.Body, body) {
				t.Fatalf("stored body %q, want %q", o.Body, body)
			}
			if got := aws.ToString(out.ETag); got != o.ETag || got != `"`+md5hex(body)+`"` {
				t.Errorf("ETag %s, stored %s, want quoted MD5 %s", got, o.ETag, md5hex(body))
			}
			if o.ContentType != "text/html; charset=utf-8" || o.Metadata["generated-by"] != "hubreport" || o.SSE != "AES256" {
				t.Errorf("stored %+v", o)
			}
			if tc.optFns == nil && (o.ChecksumAlgorithm != "CRC32" || aws.ToString(out.ChecksumCRC32) != o.Checksum) {
				t.Errorf("checksum %s %s, PutObject returned CRC32 %s", o.ChecksumAlgorithm, o.Checksum, aws.ToString(out.ChecksumCRC32))
			}
			if want := tc.name == "https aws-chunked"; (e.chunked.Load() > 0) != want {
				t.Errorf("%d aws-chunked requests; want some: %v", e.chunked.Load(), want)
			}
			if o.ContentEncoding != "" {
				t.Errorf("ContentEncoding %q, want aws-chunked stripped", o.ContentEncoding)
			}
			got, gout := e.get(t, key)
			if !bytes.Equal(got, body) {
				t.Fatalf("GetObject body %q, want %q", got, body)
			}
			if aws.ToString(gout.ETag) != o.ETag || aws.ToString(gout.ContentType) != o.ContentType ||
				aws.ToInt64(gout.ContentLength) != int64(len(body)) || gout.LastModified == nil ||
				gout.Metadata["generated-by"] != "hubreport" || gout.ServerSideEncryption != s3types.ServerSideEncryptionAes256 {
				t.Errorf("GetObject output %+v", gout)
			}
			if aws.ToString(gout.ChecksumCRC32) == "" && aws.ToString(gout.ChecksumCRC64NVME) == "" {
				t.Errorf("GetObject returned no checksum with checksum mode enabled")
			}
			st := e.srv.Stats()
			if st.S3Puts != 1 || st.S3Gets != 1 || st.Requests["PutObject"] != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestS3LargeBody(t *testing.T) {
	e := newS3Env(t, true)
	body := make([]byte, 1<<20+12345)
	for i := range body {
		body[i] = byte(i*7 + i>>9)
	}
	if _, err := e.put(t, "big.bin", body); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	got, _ := e.get(t, "big.bin")
	if !bytes.Equal(got, body) {
		t.Fatalf("round trip of %d bytes differs (got %d)", len(body), len(got))
	}
	if e.chunked.Load() != 1 {
		t.Errorf("%d aws-chunked requests, want the PutObject", e.chunked.Load())
	}
	if _, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("big.bin")}); err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
}

func TestS3SSEKMS(t *testing.T) {
	e := newS3Env(t, true)
	const keyID = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	out, err := e.put(t, "enc.pdf", []byte("%PDF-1.7"), func(in *s3.PutObjectInput) {
		in.ServerSideEncryption = s3types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(keyID)
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if out.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(out.SSEKMSKeyId) != keyID {
		t.Errorf("PutObject echoed SSE %q key %q", out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId))
	}
	if o, _ := e.srv.Object(testBucket, "enc.pdf"); o.SSE != "aws:kms" || o.KMSKeyID != keyID {
		t.Errorf("stored SSE %q key %q", o.SSE, o.KMSKeyID)
	}
	head, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("enc.pdf")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if head.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(head.SSEKMSKeyId) != keyID {
		t.Errorf("HeadObject SSE %q key %q", head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId))
	}
	// aws:kms without a key: the account's aws/s3 key.
	out, err = e.put(t, "enc2.pdf", []byte("x"), func(in *s3.PutObjectInput) { in.ServerSideEncryption = s3types.ServerSideEncryptionAwsKms })
	if err != nil || !strings.HasPrefix(aws.ToString(out.SSEKMSKeyId), "arn:aws:kms:"+home+":") {
		t.Errorf("PutObject aws:kms without key: %v, key %q", err, aws.ToString(out.SSEKMSKeyId))
	}
	// A key id without aws:kms is refused.
	_, err = e.put(t, "enc3.pdf", []byte("x"), func(in *s3.PutObjectInput) { in.SSEKMSKeyId = aws.String(keyID) })
	if fakeawstest.ErrorCode(err) != "InvalidArgument" {
		t.Errorf("key id without aws:kms: %v, want InvalidArgument", err)
	}
}

func TestS3ConditionalWrites(t *testing.T) {
	e := newS3Env(t, true)
	first, err := e.put(t, "state.json", []byte(`{"v":1}`), func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	if err != nil {
		t.Fatalf("If-None-Match:* on a new key: %v", err)
	}
	_, err = e.put(t, "state.json", []byte(`{"v":2}`), func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	var re interface{ HTTPStatusCode() int }
	if fakeawstest.ErrorCode(err) != "PreconditionFailed" || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusPreconditionFailed {
		t.Fatalf("If-None-Match:* on an existing key: %v, want 412 PreconditionFailed", err)
	}
	// If-Match with the current ETag succeeds.
	second, err := e.put(t, "state.json", []byte(`{"v":2}`), func(in *s3.PutObjectInput) { in.IfMatch = first.ETag })
	if err != nil {
		t.Fatalf("If-Match with the current ETag: %v", err)
	}
	// Another writer changes the object: the ETag we hold is stale.
	e.srv.PutObjectDirect(testBucket, "state.json", []byte(`{"v":"other"}`))
	_, err = e.put(t, "state.json", []byte(`{"v":3}`), func(in *s3.PutObjectInput) { in.IfMatch = second.ETag })
	if fakeawstest.ErrorCode(err) != "PreconditionFailed" {
		t.Fatalf("If-Match with a stale ETag: %v, want PreconditionFailed", err)
	}
	if o, _ := e.srv.Object(testBucket, "state.json"); string(o.Body) != `{"v":"other"}` {
		t.Errorf("object overwritten despite the failed precondition: %s", o.Body)
	}
	// If-Match on a missing key: 404 NoSuchKey, as S3 documents.
	_, err = e.put(t, "missing.json", []byte(`{}`), func(in *s3.PutObjectInput) { in.IfMatch = second.ETag })
	var nsk *s3types.NoSuchKey
	if fakeawstest.ErrorCode(err) != "NoSuchKey" && !errors.As(err, &nsk) {
		t.Errorf("If-Match on a missing key: %v, want NoSuchKey", err)
	}
	if st := e.srv.Stats(); st.S3PreconditionFailed != 2 || st.S3Puts != 2 {
		t.Errorf("stats %+v", st)
	}
	// Conditional GET.
	cur, _ := e.srv.Object(testBucket, "state.json")
	_, err = e.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("state.json"), IfMatch: second.ETag})
	if fakeawstest.ErrorCode(err) != "PreconditionFailed" {
		t.Errorf("GetObject If-Match stale: %v", err)
	}
	out, err := e.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("state.json"), IfMatch: aws.String(cur.ETag)})
	if err != nil {
		t.Fatalf("GetObject If-Match current: %v", err)
	}
	out.Body.Close()
}

func TestS3ConcurrentCreateOnlyOneWins(t *testing.T) {
	e := newS3Env(t, false)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, fails := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.put(t, "lock", []byte{byte(i)}, func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
			mu.Lock()
			defer mu.Unlock()
			switch fakeawstest.ErrorCode(err) {
			case "":
				wins++
			case "PreconditionFailed":
				fails++
			default:
				t.Errorf("PutObject: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || fails != 7 {
		t.Errorf("%d wins, %d precondition failures; want 1 and 7", wins, fails)
	}
}

func TestS3NotFound(t *testing.T) {
	e := newS3Env(t, false)
	ctx := context.Background()
	_, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("nope")})
	var nsk *s3types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("GetObject missing key: %v, want *types.NoSuchKey", err)
	}
	_, err = e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("nope")})
	var nf *s3types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("HeadObject missing key: %v, want *types.NotFound", err)
	}
	_, err = e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("other-bucket"), Key: aws.String("k")})
	if fakeawstest.ErrorCode(err) != "NoSuchBucket" {
		t.Errorf("GetObject unknown bucket: %v, want NoSuchBucket", err)
	}
	_, err = e.put(t, "k", []byte("x"), func(in *s3.PutObjectInput) { in.Bucket = aws.String("other-bucket") })
	if fakeawstest.ErrorCode(err) != "NoSuchBucket" {
		t.Errorf("PutObject unknown bucket: %v, want NoSuchBucket", err)
	}
}

func TestS3PresignedGet(t *testing.T) {
	e := newS3Env(t, true)
	body := []byte("report body")
	if _, err := e.put(t, "dir/report.csv", body, func(in *s3.PutObjectInput) { in.ContentType = aws.String("text/csv") }); err != nil {
		t.Fatal(err)
	}
	ps := s3.NewPresignClient(e.client)
	req, err := ps.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("dir/report.csv"),
		ResponseContentDisposition: aws.String(`attachment; filename="report.csv"`)}, s3.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(req.URL, "X-Amz-Credential=") || !strings.HasPrefix(req.URL, e.url+"/"+testBucket+"/") {
		t.Fatalf("presigned URL %s", req.URL)
	}
	resp, err := e.http.Get(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) || resp.Header.Get("Content-Type") != "text/csv" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="report.csv"` {
		t.Fatalf("presigned GET: %d %q %v", resp.StatusCode, got, resp.Header)
	}

	// The same URL signed two hours ago for one hour has expired.
	u, _ := url.Parse(req.URL)
	q := u.Query()
	q.Set("X-Amz-Date", time.Now().UTC().Add(-2*time.Hour).Format("20060102T150405Z"))
	u.RawQuery = q.Encode()
	resp, err = e.http.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(got), "<Code>AccessDenied</Code>") ||
		!strings.Contains(string(got), "Request has expired") {
		t.Errorf("expired presigned GET: %d %s", resp.StatusCode, got)
	}
	if st := e.srv.Stats(); st.S3Gets != 1 {
		t.Errorf("S3Gets %d, want 1", st.S3Gets)
	}
}

func TestS3ChecksumMismatchRejected(t *testing.T) {
	e := newS3Env(t, false)
	_, err := e.put(t, "bad", []byte("payload"), func(in *s3.PutObjectInput) {
		in.ChecksumCRC32 = aws.String("AAAAAA==")
	})
	if fakeawstest.ErrorCode(err) != "BadDigest" {
		t.Errorf("wrong CRC32: %v, want BadDigest", err)
	}
	if _, ok := e.srv.Object(testBucket, "bad"); ok {
		t.Error("object stored despite a bad checksum")
	}
}

func TestS3Faults(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true, S3Buckets: []string{testBucket}, ThrottleRate: 1})
	client := s3.NewFromConfig(aws.Config{Region: home, Credentials: fakeawstest.Credentials(srv.AdministratorAccount()),
		BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1}, func(o *s3.Options) { o.UsePathStyle = true })
	_, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("k"), Body: strings.NewReader("x")})
	if fakeawstest.ErrorCode(err) != "SlowDown" {
		t.Errorf("throttled PutObject: %v, want SlowDown", err)
	}
}

func md5hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// TestS3AWSChunkedRaw sends aws-chunked bodies by hand: signed chunks (chunk-signature
// extensions) and a trailer, good and bad.
func TestS3AWSChunkedRaw(t *testing.T) {
	e := newS3Env(t, false)
	body := []byte("hello, chunked world")
	crc := func(b []byte) string {
		var x [4]byte
		binary.BigEndian.PutUint32(x[:], crc32.ChecksumIEEE(b))
		return base64.StdEncoding.EncodeToString(x[:])
	}
	frame := func(trailer string) string {
		return fmt.Sprintf("%x;chunk-signature=%064d\r\n%s\r\n%x;chunk-signature=%064d\r\n%s\r\n0;chunk-signature=%064d\r\n%s\r\n",
			10, 1, body[:10], len(body)-10, 2, body[10:], 3, trailer)
	}
	put := func(key, payload string) (int, string) {
		req, _ := http.NewRequest(http.MethodPut, e.url+"/"+testBucket+"/"+key, strings.NewReader(payload))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAFAKE"+e.srv.AdministratorAccount()+"/20260101/"+home+"/s3/aws4_request, SignedHeaders=host, Signature=00")
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
		req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(body)))
		req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		resp, err := e.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, msg := put("good", frame("x-amz-checksum-crc32:"+crc(body)+"\r\nx-amz-trailer-signature:00\r\n")); code != http.StatusOK {
		t.Fatalf("good aws-chunked PUT: %d %s", code, msg)
	}
	if o, _ := e.srv.Object(testBucket, "good"); !bytes.Equal(o.Body, body) || o.ChecksumAlgorithm != "CRC32" {
		t.Errorf("stored %q %s", o.Body, o.ChecksumAlgorithm)
	}
	if code, msg := put("bad", frame("x-amz-checksum-crc32:"+crc([]byte("other"))+"\r\n")); code != http.StatusBadRequest || !strings.Contains(msg, "BadDigest") {
		t.Errorf("bad trailer checksum: %d %s", code, msg)
	}
	if code, msg := put("short", frame("x-amz-checksum-crc32:" + crc(body) + "\r\n")[:30]); code != http.StatusBadRequest {
		t.Errorf("truncated body: %d %s", code, msg)
	}
	if keys := e.srv.ObjectKeys(testBucket); len(keys) != 1 || keys[0] != "good" {
		t.Errorf("keys %q", keys)
	}
}

// TestS3ListObjectsV2 lists with the SDK's paginator over several pages, with and without a
// delimiter, and checks the page fields against S3's: KeyCount, MaxKeys, IsTruncated, tokens.
func TestS3ListObjectsV2(t *testing.T) {
	e := newS3Env(t, false)
	ctx := context.Background()
	var want []string
	for d := 1; d <= 3; d++ {
		for i := range 4 {
			k := fmt.Sprintf("shards/2025-02-0%d/%d-of-4/snapshots/x.parquet", d, i+1)
			e.srv.PutObjectDirect(testBucket, k, []byte(k))
			want = append(want, k)
		}
	}
	e.srv.PutObjectDirect(testBucket, "state/reporter.duckdb", []byte("db"))
	e.srv.PutObjectDirect(testBucket, "shards", []byte("a key equal to the prefix without its slash"))

	list := func(in *s3.ListObjectsV2Input, limit int32) (keys, prefixes []string, pages []*s3.ListObjectsV2Output) {
		t.Helper()
		in.Bucket = aws.String(testBucket)
		p := s3.NewListObjectsV2Paginator(e.client, in, func(o *s3.ListObjectsV2PaginatorOptions) { o.Limit = limit })
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListObjectsV2 page %d: %v", len(pages)+1, err)
			}
			pages = append(pages, out)
			for _, o := range out.Contents {
				keys = append(keys, aws.ToString(o.Key))
			}
			for _, cp := range out.CommonPrefixes {
				prefixes = append(prefixes, aws.ToString(cp.Prefix))
			}
		}
		return keys, prefixes, pages
	}

	// 12 keys under the prefix, 5 a page: 5, 5, 2.
	keys, _, pages := list(&s3.ListObjectsV2Input{Prefix: aws.String("shards/")}, 5)
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("keys %v\nwant %v", keys, want)
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3", len(pages))
	}
	for i, p := range pages {
		wantCount, more := []int32{5, 5, 2}[i], i < 2
		if aws.ToInt32(p.KeyCount) != wantCount || aws.ToInt32(p.MaxKeys) != 5 || aws.ToBool(p.IsTruncated) != more ||
			(aws.ToString(p.NextContinuationToken) != "") != more || aws.ToString(p.Prefix) != "shards/" || aws.ToString(p.Name) != testBucket {
			t.Errorf("page %d: KeyCount %d MaxKeys %d IsTruncated %v NextContinuationToken %q Prefix %q Name %q", i+1,
				aws.ToInt32(p.KeyCount), aws.ToInt32(p.MaxKeys), aws.ToBool(p.IsTruncated), aws.ToString(p.NextContinuationToken),
				aws.ToString(p.Prefix), aws.ToString(p.Name))
		}
		if i > 0 && aws.ToString(p.ContinuationToken) != aws.ToString(pages[i-1].NextContinuationToken) {
			t.Errorf("page %d echoes ContinuationToken %q, want the previous page's next token", i+1, aws.ToString(p.ContinuationToken))
		}
	}
	c := pages[0].Contents[0]
	if aws.ToInt64(c.Size) != int64(len(want[0])) || aws.ToString(c.ETag) != `"`+md5hex([]byte(want[0]))+`"` ||
		c.StorageClass != s3types.ObjectStorageClassStandard || c.LastModified == nil || c.LastModified.IsZero() {
		t.Errorf("first object: size %d etag %s class %s modified %v", aws.ToInt64(c.Size), aws.ToString(c.ETag), c.StorageClass, c.LastModified)
	}

	// With a delimiter the days roll up into common prefixes, which count against max-keys.
	keys, prefixes, pages := list(&s3.ListObjectsV2Input{Prefix: aws.String("shards/"), Delimiter: aws.String("/")}, 2)
	if len(keys) != 0 || strings.Join(prefixes, " ") != "shards/2025-02-01/ shards/2025-02-02/ shards/2025-02-03/" || len(pages) != 2 ||
		aws.ToInt32(pages[0].KeyCount) != 2 || aws.ToString(pages[0].Delimiter) != "/" {
		t.Errorf("with delimiter: keys %v, prefixes %v, %d pages", keys, prefixes, len(pages))
	}
	keys, prefixes, _ = list(&s3.ListObjectsV2Input{Delimiter: aws.String("/")}, 0)
	if strings.Join(keys, " ") != "shards" || strings.Join(prefixes, " ") != "shards/ state/" {
		t.Errorf("top level: keys %v, prefixes %v", keys, prefixes)
	}
	keys, _, _ = list(&s3.ListObjectsV2Input{Prefix: aws.String("shards/"), StartAfter: aws.String(want[9])}, 0)
	if strings.Join(keys, " ") != strings.Join(want[10:], " ") {
		t.Errorf("start-after: %v", keys)
	}
	if keys, _, pages = list(&s3.ListObjectsV2Input{Prefix: aws.String("nothing/")}, 0); len(keys) != 0 || len(pages) != 1 ||
		aws.ToInt32(pages[0].KeyCount) != 0 || aws.ToBool(pages[0].IsTruncated) || aws.ToInt32(pages[0].MaxKeys) != 1000 {
		t.Errorf("empty listing: %v, %d pages", keys, len(pages))
	}

	// Bad arguments are S3's 400 InvalidArgument; an unknown bucket is NoSuchBucket.
	for name, in := range map[string]*s3.ListObjectsV2Input{
		"token":    {ContinuationToken: aws.String("bm90IGEgdG9rZW4=")},
		"max-keys": {MaxKeys: aws.Int32(-1)},
	} {
		in.Bucket = aws.String(testBucket)
		if _, err := e.client.ListObjectsV2(ctx, in); fakeawstest.ErrorCode(err) != "InvalidArgument" {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
	if _, err := e.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("other-bucket")}); fakeawstest.ErrorCode(err) != "NoSuchBucket" {
		t.Errorf("unknown bucket: %v, want NoSuchBucket", err)
	}
	if n := e.srv.Stats().Requests["ListObjectsV2"]; n < 10 {
		t.Errorf("Stats counts %d ListObjectsV2 requests", n)
	}
}
