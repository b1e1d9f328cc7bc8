package fakeaws

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Amazon S3 (rest-xml, API version 2006-03-01): PutObject, GetObject, HeadObject (and HeadBucket),
// ListObjectsV2, path-style addressing only (http://endpoint/bucket/key: set UsePathStyle on the client). The
// buckets are Options.S3Buckets, in every region, open to every caller. Requests may be signed
// (Authorization header) or presigned (X-Amz-Credential and friends in the query); signatures are
// not checked, but an expired presigned URL is refused with 403 AccessDenied.
//
// PutObject stores the body with its Content-Type, Content-Disposition, Content-Encoding,
// Cache-Control, user metadata (x-amz-meta-*) and server-side encryption. As S3 does it:
//   - the body may be aws-chunked (Content-Encoding: aws-chunked, x-amz-decoded-content-length,
//     chunk signatures, trailing checksum), as the SDK sends it over HTTPS, or plain;
//   - a flexible checksum (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256, -sha512, as
//     a header or an aws-chunked trailer), Content-MD5 and a hex x-amz-content-sha256 are verified
//     (400 BadDigest, XAmzContentSHA256Mismatch); without a checksum the object gets a CRC64NVME,
//     S3's default. GetObject and HeadObject return the checksum when asked
//     (x-amz-checksum-mode: ENABLED), so the SDK's response validation runs and passes;
//   - the ETag is the quoted hex MD5 of the body (single-part upload);
//   - objects are encrypted with SSE-S3 (AES256) unless aws:kms or aws:kms:dsse is asked for; a
//     KMS key id is stored and echoed, and without one the account's aws/s3 key is reported;
//   - conditional writes: If-None-Match: * answers 412 PreconditionFailed when the key exists;
//     If-Match: "etag" answers 404 NoSuchKey when it does not and 412 PreconditionFailed when
//     the ETag differs. The check and the write are atomic.
//
// GetObject and HeadObject honour If-Match, If-Unmodified-Since (412), If-None-Match and
// If-Modified-Since (304) in RFC 7232's order, and the response-* query overrides. A Range header
// is ignored (the whole object is sent, 200), as HTTP allows.
//
// ListObjectsV2 (GET /bucket?list-type=2) lists keys in UTF-8 binary order with prefix, delimiter
// (keys rolled up into CommonPrefixes, each counting as one key against max-keys), max-keys
// (default and cap 1000; 0 answers an empty, untruncated page), start-after, continuation-token
// (opaque; it takes precedence over start-after, and a token not made here is 400
// InvalidArgument) and encoding-type=url; KeyCount counts Contents and CommonPrefixes, and
// IsTruncated with NextContinuationToken says there is more. Contents carry Key, LastModified,
// ETag, the checksum algorithm and type, Size and StorageClass STANDARD.
//
// Errors are S3's XML <Error> with Code, Message, RequestId and HostId (HEAD: status only).
// Injected faults: 500 InternalError, 503 SlowDown.
//
// Not emulated: other operations (501 NotImplemented), ListObjects (v1), fetch-owner=true,
// versioning, multipart uploads, SSE-C, ACLs and policies, virtual-hosted-style addressing.

// S3 limits.
const (
	S3MaxObjectSize       = 5 << 30 // single PUT
	s3MaxKeyLength        = 1024    // bytes
	s3MaxUserMetadataSize = 2048    // bytes, keys and values
	s3MaxPresignExpires   = 7 * 24 * 60 * 60
	s3DefaultContentType  = "binary/octet-stream"
	s3ChecksumTypeFull    = "FULL_OBJECT"
)

// S3Object is an object the emulated S3 stores.
type S3Object struct {
	Body               []byte
	ETag               string // quoted, as S3 sends it: "\"<hex md5>\""
	ContentType        string
	ContentEncoding    string // without aws-chunked
	ContentDisposition string
	CacheControl       string
	SSE                string // x-amz-server-side-encryption: AES256 (the default), aws:kms, aws:kms:dsse
	KMSKeyID           string // x-amz-server-side-encryption-aws-kms-key-id, for aws:kms
	BucketKeyEnabled   bool
	Metadata           map[string]string // user metadata, keys lowercase without x-amz-meta-
	ChecksumAlgorithm  string            // CRC32, CRC32C, CRC64NVME, SHA1, SHA256 or SHA512
	Checksum           string            // base64, as in x-amz-checksum-*
	LastModified       time.Time         // UTC, whole seconds
}

func (o *S3Object) clone() S3Object {
	c := *o
	c.Body = slices.Clone(o.Body)
	c.Metadata = make(map[string]string, len(o.Metadata))
	for k, v := range o.Metadata {
		c.Metadata[k] = v
	}
	return c
}

// s3State is the S3 side of a Server, made on first use.
type s3State struct {
	mu      sync.Mutex
	buckets map[string]map[string]*S3Object // bucket -> key -> object
}

func (s *Server) s3() *s3State {
	s.s3Once.Do(func() {
		st := &s3State{buckets: map[string]map[string]*S3Object{}}
		for _, b := range s.opts.S3Buckets {
			if b = strings.TrimSpace(b); b != "" {
				st.buckets[b] = map[string]*S3Object{}
			}
		}
		s.s3State = st
	})
	return s.s3State
}

// checkS3Buckets refuses a bucket name S3 would not create (the general purpose bucket naming
// rules: up to 63 lowercase letters, digits, dots and hyphens, a letter or digit at each end, no
// "..", not an IP address), so a test cannot rely on a bucket no deployment can have. It also
// keeps names such as "_fakeaws" free for the emulator's own endpoints. S3's minimum of 3
// characters is not enforced: many tests name their bucket "st".
func checkS3Buckets(buckets []string) error {
	for _, b := range buckets {
		if b = strings.TrimSpace(b); b == "" {
			continue // as s3() does
		}
		bad := len(b) > 63 || strings.Trim(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" ||
			strings.Contains(b, "..") || strings.Trim(b[:1]+b[len(b)-1:], "abcdefghijklmnopqrstuvwxyz0123456789") != "" ||
			net.ParseIP(b) != nil
		if bad {
			return &OptionsError{"S3Buckets", fmt.Sprintf("%q is not a valid bucket name: up to 63 lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit", b)}
		}
	}
	return nil
}

// Object returns a copy of an object in the emulated S3.
func (s *Server) Object(bucket, key string) (S3Object, bool) {
	st := s.s3()
	st.mu.Lock()
	defer st.mu.Unlock()
	o := st.buckets[bucket][key]
	if o == nil {
		return S3Object{}, false
	}
	return o.clone(), true
}

// ObjectKeys lists a bucket's keys, sorted.
func (s *Server) ObjectKeys(bucket string) []string {
	st := s.s3()
	st.mu.Lock()
	defer st.mu.Unlock()
	keys := make([]string, 0, len(st.buckets[bucket]))
	for k := range st.buckets[bucket] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// PutObjectDirect stores an object as another writer would (binary/octet-stream, SSE-S3, new
// ETag and LastModified), bypassing HTTP, faults and Stats. It creates the bucket when
// Options.S3Buckets does not list it.
func (s *Server) PutObjectDirect(bucket, key string, body []byte) {
	body = slices.Clone(body)
	sum := md5.Sum(body)
	o := &S3Object{Body: body, ETag: `"` + hex.EncodeToString(sum[:]) + `"`, ContentType: s3DefaultContentType,
		SSE: "AES256", Metadata: map[string]string{}, ChecksumAlgorithm: "CRC64NVME",
		Checksum: s3Checksum("CRC64NVME", body), LastModified: time.Now().UTC().Truncate(time.Second)}
	st := s.s3()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.buckets[bucket] == nil {
		st.buckets[bucket] = map[string]*S3Object{}
	}
	st.buckets[bucket][key] = o
}

// ---------------------------------------------------------------------------------------------
// Checksums

var s3ChecksumAlgorithms = []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "SHA512"}

var (
	crc32cTable    = crc32.MakeTable(crc32.Castagnoli)
	crc64NVMETable = crc64.MakeTable(0x9a6c9329ac4bc9b5) // reflected NVMe polynomial, as the SDK
)

func s3Hash(alg string) hash.Hash {
	switch alg {
	case "CRC32":
		return crc32.NewIEEE()
	case "CRC32C":
		return crc32.New(crc32cTable)
	case "CRC64NVME":
		return crc64.New(crc64NVMETable)
	case "SHA1":
		return sha1.New()
	case "SHA256":
		return sha256.New()
	case "SHA512":
		return sha512.New()
	}
	return nil
}

// s3Checksum is the base64 checksum of data, as in x-amz-checksum-*.
func s3Checksum(alg string, data []byte) string {
	h := s3Hash(alg)
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func s3ChecksumHeader(alg string) string { return "X-Amz-Checksum-" + strings.ToLower(alg) }

// ---------------------------------------------------------------------------------------------
// Errors

type s3Error struct {
	status  int
	code    string
	message string
	extra   [][2]string // more elements, e.g. Key, BucketName, Condition
}

func (e *s3Error) Error() string { return e.code + ": " + e.message }

func s3Err(status int, code, format string, args ...any) *s3Error {
	return &s3Error{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func (e *s3Error) with(name, value string) *s3Error {
	e.extra = append(e.extra, [2]string{name, value})
	return e
}

func noSuchBucket(bucket string) *s3Error {
	return s3Err(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist").with("BucketName", bucket)
}

func noSuchKey(key string) *s3Error {
	return s3Err(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.").with("Key", key)
}

func preconditionFailed(condition string) *s3Error {
	return s3Err(http.StatusPreconditionFailed, "PreconditionFailed",
		"At least one of the pre-conditions you specified did not hold").with("Condition", condition)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writeS3Error(w http.ResponseWriter, r *http.Request, e *s3Error) {
	reqID := w.Header().Get("X-Amz-Request-Id")
	if r.Method == http.MethodHead || e.status == http.StatusNotModified {
		w.WriteHeader(e.status)
		return
	}
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>")
	b.WriteString(xmlEscape(e.code))
	b.WriteString("</Code><Message>")
	b.WriteString(xmlEscape(e.message))
	b.WriteString("</Message>")
	for _, x := range e.extra {
		fmt.Fprintf(&b, "<%s>%s</%s>", x[0], xmlEscape(x[1]), x[0])
	}
	fmt.Fprintf(&b, "<RequestId>%s</RequestId><HostId>%s</HostId></Error>", reqID, w.Header().Get("X-Amz-Id-2"))
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.status)
	_, _ = io.WriteString(w, b.String())
}

// ---------------------------------------------------------------------------------------------
// Routing

// s3Path splits a path-style request path into bucket and key, unescaped.
func s3Path(r *http.Request) (bucket, key string, err error) {
	p := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	b, k, _ := strings.Cut(p, "/")
	if bucket, err = url.PathUnescape(b); err != nil {
		return "", "", err
	}
	if key, err = url.PathUnescape(k); err != nil {
		return "", "", err
	}
	return bucket, key, nil
}

// s3ListParams are the query parameters of ListObjectsV2.
var s3ListParams = []string{"list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after",
	"encoding-type", "fetch-owner"}

// s3UnsupportedQuery names a query parameter that selects an operation or feature the emulator
// does not have for op ("" when there is none).
func s3UnsupportedQuery(q url.Values, op string) string {
	for k := range q {
		lk := strings.ToLower(k)
		switch {
		case lk == "x-id", strings.HasPrefix(lk, "x-amz-"):
		case strings.HasPrefix(lk, "response-") && op != "ListObjectsV2":
		case op == "ListObjectsV2" && slices.Contains(s3ListParams, k):
		default:
			return k
		}
	}
	return ""
}

func (s *Server) serveS3(w http.ResponseWriter, r *http.Request, c caller, authErr error) {
	reqID := strings.ToUpper(strings.ReplaceAll(requestID(), "-", ""))[:16]
	w.Header().Set("X-Amz-Request-Id", reqID)
	w.Header().Set("X-Amz-Id-2", base64.StdEncoding.EncodeToString([]byte(reqID+reqID)))
	bucket, key, perr := s3Path(r)
	op := ""
	switch {
	case perr != nil || bucket == "":
	case key == "" && r.Method == http.MethodHead:
		op = "HeadBucket"
	case key == "" && r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2":
		op = "ListObjectsV2"
	case key == "":
	case r.Method == http.MethodPut:
		op = "PutObject"
	case r.Method == http.MethodGet:
		op = "GetObject"
	case r.Method == http.MethodHead:
		op = "HeadObject"
	}
	q := r.URL.Query()
	if p := s3UnsupportedQuery(q, op); op != "" && p != "" {
		op = ""
	}
	if op == "" {
		s.count("Unknown")
		writeS3Error(w, r, s3Err(http.StatusNotImplemented, "NotImplemented",
			"A header you provided implies functionality that is not implemented (fakeaws: %s %s)", r.Method, r.URL.RequestURI()))
		return
	}
	s.count(op)
	if authErr != nil {
		writeS3Error(w, r, s3Err(http.StatusForbidden, "AccessDenied", "Access Denied"))
		return
	}
	if r.Header.Get("Authorization") == "" {
		if e := checkPresigned(q, time.Now()); e != nil {
			writeS3Error(w, r, e)
			return
		}
	}
	if serverErr, throttled := s.fault(true); serverErr {
		writeS3Error(w, r, s3Err(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again. (injected)"))
		return
	} else if throttled {
		writeS3Error(w, r, s3Err(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate. (injected)"))
		return
	}
	st := s.s3()
	st.mu.Lock()
	_, exists := st.buckets[bucket]
	st.mu.Unlock()
	if !exists {
		writeS3Error(w, r, noSuchBucket(bucket))
		return
	}
	if len(key) > s3MaxKeyLength {
		writeS3Error(w, r, s3Err(http.StatusBadRequest, "KeyTooLongError", "Your key is too long").
			with("Size", strconv.Itoa(len(key))).with("MaxSizeAllowed", strconv.Itoa(s3MaxKeyLength)))
		return
	}
	var err *s3Error
	switch op {
	case "HeadBucket":
		w.Header().Set("X-Amz-Bucket-Region", c.region)
		w.WriteHeader(http.StatusOK)
	case "PutObject":
		err = s.putObject(w, r, c, bucket, key)
	case "ListObjectsV2":
		err = s.listObjectsV2(w, q, bucket)
	default:
		err = s.getObject(w, r, bucket, key, op == "HeadObject")
	}
	if err != nil {
		if err.status == http.StatusPreconditionFailed {
			s.mu.Lock()
			s.stats.S3PreconditionFailed++
			s.mu.Unlock()
		}
		writeS3Error(w, r, err)
	}
}

// checkPresigned checks the validity period of a presigned request.
func checkPresigned(q url.Values, now time.Time) *s3Error {
	bad := func(msg string) *s3Error {
		return s3Err(http.StatusBadRequest, "AuthorizationQueryParametersError", "%s", msg)
	}
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return bad("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	for _, p := range []string{"X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if q.Get(p) == "" {
			return bad("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
	}
	date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return bad("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	exp, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	switch {
	case err != nil || exp < 0:
		return bad("X-Amz-Expires should be a number")
	case exp > s3MaxPresignExpires:
		return bad("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	if expires := date.Add(time.Duration(exp) * time.Second); now.After(expires) {
		return s3Err(http.StatusForbidden, "AccessDenied", "Request has expired").
			with("X-Amz-Expires", strconv.Itoa(exp)).
			with("Expires", expires.UTC().Format("2006-01-02T15:04:05Z")).
			with("ServerTime", now.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if date.After(now.Add(15 * time.Minute)) {
		return s3Err(http.StatusForbidden, "AccessDenied", "Request is not valid yet")
	}
	return nil
}

// ---------------------------------------------------------------------------------------------
// PutObject

// readS3Body reads a PutObject body, decoding aws-chunked framing. trailers holds the trailing
// headers of an aws-chunked body.
func readS3Body(r *http.Request) (data []byte, trailers http.Header, contentEncoding string, e *s3Error) {
	var encodings []string
	chunked := strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-")
	for _, v := range r.Header.Values("Content-Encoding") {
		for _, enc := range strings.Split(v, ",") {
			enc = strings.TrimSpace(enc)
			switch {
			case strings.EqualFold(enc, "aws-chunked"):
				chunked = true
			case enc != "":
				encodings = append(encodings, enc)
			}
		}
	}
	contentEncoding = strings.Join(encodings, ",")
	limit := int64(S3MaxObjectSize)
	if !chunked {
		data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			return nil, nil, "", s3Err(http.StatusBadRequest, "IncompleteBody", "The request body terminated unexpectedly")
		}
		if int64(len(data)) > limit {
			return nil, nil, "", s3Err(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		}
		return data, nil, contentEncoding, nil
	}
	if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, nil, "", s3Err(http.StatusBadRequest, "InvalidArgument", "x-amz-decoded-content-length is not a number")
		}
		if n > limit {
			return nil, nil, "", s3Err(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		}
	} else if r.Header.Get("X-Amz-Trailer") == "" {
		return nil, nil, "", s3Err(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
	}
	data, trailers, err := decodeAWSChunked(bufio.NewReader(r.Body), limit)
	if err != nil {
		var se *s3Error
		if errors.As(err, &se) {
			return nil, nil, "", se
		}
		return nil, nil, "", s3Err(http.StatusBadRequest, "IncompleteBody", "The request body terminated unexpectedly: %v", err)
	}
	if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
		if n, _ := strconv.ParseInt(v, 10, 64); n != int64(len(data)) {
			return nil, nil, "", s3Err(http.StatusBadRequest, "IncompleteBody",
				"You did not provide the number of bytes specified by the x-amz-decoded-content-length header (%d, got %d)", n, len(data))
		}
	}
	return data, trailers, contentEncoding, nil
}

// decodeAWSChunked decodes an aws-chunked body: chunks of "<hex size>[;chunk-signature=...]\r\n
// <data>\r\n", a last chunk of size 0, then trailer lines "name:value\r\n" and an empty line.
func decodeAWSChunked(br *bufio.Reader, limit int64) ([]byte, http.Header, error) {
	readLine := func() (string, error) {
		line, err := br.ReadString('\n')
		if err != nil {
			if err == io.EOF && line == "" {
				return "", io.EOF
			}
			if err == io.EOF {
				return strings.TrimSuffix(line, "\r"), nil
			}
			return "", err
		}
		return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
	}
	var data bytes.Buffer
	for {
		line, err := readLine()
		if err != nil {
			return nil, nil, fmt.Errorf("chunk header: %w", err)
		}
		sizeHex, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
		if err != nil || size < 0 {
			return nil, nil, s3Err(http.StatusBadRequest, "InvalidChunkSizeError", "Only the last chunk is allowed to have a size less than 8192 bytes; chunk size %q is not hexadecimal", sizeHex)
		}
		if size == 0 {
			break
		}
		if int64(data.Len())+size > limit {
			return nil, nil, s3Err(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		}
		if _, err := io.CopyN(&data, br, size); err != nil {
			return nil, nil, fmt.Errorf("chunk data: %w", err)
		}
		if end, err := readLine(); err != nil || end != "" {
			return nil, nil, s3Err(http.StatusBadRequest, "IncompleteBody", "chunk of %d bytes is not followed by CRLF", size)
		}
	}
	trailers := http.Header{}
	for {
		line, err := readLine()
		if err == io.EOF || (err == nil && line == "") {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("trailer: %w", err)
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, s3Err(http.StatusBadRequest, "MalformedTrailerError", "The request contained trailing data that was not well-formed: %q", line)
		}
		trailers.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return data.Bytes(), trailers, nil
}

// s3RequestChecksum finds the flexible checksum a PutObject sent, as a header or a trailer.
func s3RequestChecksum(r *http.Request, trailers http.Header) (alg, value string, e *s3Error) {
	found := 0
	for _, a := range s3ChecksumAlgorithms {
		h := s3ChecksumHeader(a)
		v := r.Header.Get(h)
		if tv := trailers.Get(h); tv != "" {
			v = tv
		}
		if v != "" {
			alg, value = a, v
			found++
		}
	}
	if found > 1 {
		return "", "", s3Err(http.StatusBadRequest, "InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	if t := r.Header.Get("X-Amz-Trailer"); t != "" && found == 0 {
		return "", "", s3Err(http.StatusBadRequest, "MalformedTrailerError", "The request contained trailing data that was not well-formed or did not conform to our published schema (missing trailer %s).", t)
	}
	if sdk := r.Header.Get("X-Amz-Sdk-Checksum-Algorithm"); sdk != "" {
		if !slices.Contains(s3ChecksumAlgorithms, strings.ToUpper(sdk)) {
			return "", "", s3Err(http.StatusBadRequest, "InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		if found == 0 {
			return "", "", s3Err(http.StatusBadRequest, "InvalidRequest",
				"x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		}
		if !strings.EqualFold(sdk, alg) {
			return "", "", s3Err(http.StatusBadRequest, "InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
	}
	return alg, value, nil
}

func (s *Server) putObject(w http.ResponseWriter, r *http.Request, c caller, bucket, key string) *s3Error {
	h := r.Header
	ifMatch, ifNoneMatch := h.Get("If-Match"), h.Get("If-None-Match")
	switch {
	case ifNoneMatch != "" && strings.TrimSpace(ifNoneMatch) != "*":
		return s3Err(http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented").
			with("Header", "If-None-Match")
	case ifMatch != "" && ifNoneMatch != "":
		return s3Err(http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented").
			with("Header", "If-Match")
	case h.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "":
		return s3Err(http.StatusNotImplemented, "NotImplemented", "fakeaws: SSE-C is not emulated")
	}

	// Server-side encryption.
	sse := h.Get("X-Amz-Server-Side-Encryption")
	kmsKey := h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
	switch sse {
	case "":
		if kmsKey != "" {
			return s3Err(http.StatusBadRequest, "InvalidArgument",
				"Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms").
				with("ArgumentName", "x-amz-server-side-encryption")
		}
		sse = "AES256"
	case "AES256":
		if kmsKey != "" {
			return s3Err(http.StatusBadRequest, "InvalidArgument",
				"Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms").
				with("ArgumentName", "x-amz-server-side-encryption")
		}
	case "aws:kms", "aws:kms:dsse":
		if kmsKey == "" {
			kmsKey = "arn:aws:kms:" + c.region + ":" + c.account + ":key/" + hashUUID("kms/aws/s3/"+c.account+"/"+c.region)
		}
	default:
		return s3Err(http.StatusBadRequest, "InvalidArgument", "The encryption method specified is not supported").
			with("ArgumentName", "x-amz-server-side-encryption").with("ArgumentValue", sse)
	}

	// User metadata.
	meta := map[string]string{}
	metaSize := 0
	for name, vs := range h {
		if k, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-meta-"); ok {
			v := strings.Join(vs, ",")
			meta[k] = v
			metaSize += len(k) + len(v)
		}
	}
	if metaSize > s3MaxUserMetadataSize {
		return s3Err(http.StatusBadRequest, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.").
			with("Size", strconv.Itoa(metaSize)).with("MaxSizeAllowed", strconv.Itoa(s3MaxUserMetadataSize))
	}

	data, trailers, contentEncoding, e := readS3Body(r)
	if e != nil {
		return e
	}

	// Integrity.
	if v := h.Get("Content-Md5"); v != "" {
		want, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(want) != md5.Size {
			return s3Err(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.")
		}
		if sum := md5.Sum(data); !bytes.Equal(sum[:], want) {
			return s3Err(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
		}
	}
	if v := strings.ToLower(h.Get("X-Amz-Content-Sha256")); len(v) == 64 && strings.Trim(v, "0123456789abcdef") == "" {
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != v {
			return s3Err(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.").
				with("ClientComputedContentSHA256", v).with("S3ComputedContentSHA256", hex.EncodeToString(sum[:]))
		}
	}
	alg, checksum, e := s3RequestChecksum(r, trailers)
	if e != nil {
		return e
	}
	if alg == "" {
		alg, checksum = "CRC64NVME", s3Checksum("CRC64NVME", data)
	} else if got := s3Checksum(alg, data); got != checksum {
		return s3Err(http.StatusBadRequest, "BadDigest", "The %s you specified did not match the calculated checksum.", alg)
	}

	sum := md5.Sum(data)
	contentType := h.Get("Content-Type")
	if contentType == "" {
		contentType = s3DefaultContentType
	}
	o := &S3Object{
		Body: data, ETag: `"` + hex.EncodeToString(sum[:]) + `"`,
		ContentType: contentType, ContentEncoding: contentEncoding,
		ContentDisposition: h.Get("Content-Disposition"), CacheControl: h.Get("Cache-Control"),
		SSE: sse, BucketKeyEnabled: strings.EqualFold(h.Get("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled"), "true"),
		Metadata: meta, ChecksumAlgorithm: alg, Checksum: checksum,
		LastModified: time.Now().UTC().Truncate(time.Second),
	}
	if strings.HasPrefix(sse, "aws:kms") {
		o.KMSKeyID = kmsKey
	}

	// The conditions and the write, atomically.
	st := s.s3()
	st.mu.Lock()
	objects := st.buckets[bucket]
	cur := objects[key]
	switch {
	case ifNoneMatch != "" && cur != nil:
		st.mu.Unlock()
		return preconditionFailed("If-None-Match")
	case ifMatch != "" && cur == nil:
		st.mu.Unlock()
		return noSuchKey(key)
	case ifMatch != "" && !etagMatches(ifMatch, cur.ETag):
		st.mu.Unlock()
		return preconditionFailed("If-Match")
	}
	objects[key] = o
	st.mu.Unlock()

	s.mu.Lock()
	s.stats.S3Puts++
	s.mu.Unlock()
	wh := w.Header()
	wh.Set("ETag", o.ETag)
	setSSEHeaders(wh, o)
	wh.Set(s3ChecksumHeader(alg), checksum)
	wh.Set("X-Amz-Checksum-Type", s3ChecksumTypeFull)
	w.WriteHeader(http.StatusOK)
	return nil
}

func setSSEHeaders(h http.Header, o *S3Object) {
	h.Set("X-Amz-Server-Side-Encryption", o.SSE)
	if o.KMSKeyID != "" {
		h.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", o.KMSKeyID)
	}
	if o.BucketKeyEnabled {
		h.Set("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", "true")
	}
}

// etagMatches evaluates an If-Match or If-None-Match list against etag (quoted).
func etagMatches(list, etag string) bool {
	want := strings.Trim(etag, `"`)
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if strings.Trim(t, `"`) == want {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------------------------
// GetObject and HeadObject

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, bucket, key string, head bool) *s3Error {
	st := s.s3()
	st.mu.Lock()
	cur := st.buckets[bucket][key]
	var o S3Object
	if cur != nil {
		o = *cur // Body is never modified in place, so sharing it is safe
	}
	st.mu.Unlock()
	if cur == nil {
		return noSuchKey(key)
	}
	h := r.Header
	// RFC 7232 section 6 order.
	if v := h.Get("If-Match"); v != "" {
		if !etagMatches(v, o.ETag) {
			return preconditionFailed("If-Match")
		}
	} else if v := h.Get("If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && o.LastModified.After(t) {
			return preconditionFailed("If-Unmodified-Since")
		}
	}
	notModified := func() *s3Error {
		w.Header().Set("ETag", o.ETag)
		w.Header().Set("Last-Modified", o.LastModified.Format(http.TimeFormat))
		return s3Err(http.StatusNotModified, "NotModified", "Not Modified")
	}
	if v := h.Get("If-None-Match"); v != "" {
		if etagMatches(v, o.ETag) {
			return notModified()
		}
	} else if v := h.Get("If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !o.LastModified.After(t) {
			return notModified()
		}
	}

	wh := w.Header()
	wh.Set("ETag", o.ETag)
	wh.Set("Last-Modified", o.LastModified.Format(http.TimeFormat))
	wh.Set("Content-Length", strconv.Itoa(len(o.Body)))
	wh.Set("Accept-Ranges", "bytes")
	wh.Set("Content-Type", o.ContentType)
	for name, v := range map[string]string{"Content-Encoding": o.ContentEncoding,
		"Content-Disposition": o.ContentDisposition, "Cache-Control": o.CacheControl} {
		if v != "" {
			wh.Set(name, v)
		}
	}
	for k, v := range o.Metadata {
		wh.Set("X-Amz-Meta-"+k, v)
	}
	setSSEHeaders(wh, &o)
	if strings.EqualFold(h.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		wh.Set(s3ChecksumHeader(o.ChecksumAlgorithm), o.Checksum)
		wh.Set("X-Amz-Checksum-Type", s3ChecksumTypeFull)
	}
	if !head {
		q := r.URL.Query()
		for param, header := range map[string]string{"response-content-type": "Content-Type",
			"response-content-disposition": "Content-Disposition", "response-content-encoding": "Content-Encoding",
			"response-content-language": "Content-Language", "response-cache-control": "Cache-Control",
			"response-expires": "Expires"} {
			if v := q.Get(param); v != "" {
				wh.Set(header, v)
			}
		}
	}
	w.WriteHeader(http.StatusOK)
	if head {
		return nil
	}
	s.mu.Lock()
	s.stats.S3Gets++
	s.mu.Unlock()
	_, _ = w.Write(o.Body)
	return nil
}

// ---------------------------------------------------------------------------------------------
// ListObjectsV2

const (
	s3MaxKeys     = 1000
	s3TokenPrefix = "fakeaws-list-v1\x00" // inside the base64, so a token is opaque as S3's are
)

func s3ListToken(after string) string {
	return base64.StdEncoding.EncodeToString([]byte(s3TokenPrefix + after))
}

// s3ListItem is one entry of a listing page: an object, or a common prefix (obj nil).
type s3ListItem struct {
	name string
	obj  *S3Object
}

func (s *Server) listObjectsV2(w http.ResponseWriter, q url.Values, bucket string) *s3Error {
	invalid := func(name, value, format string, args ...any) *s3Error {
		return s3Err(http.StatusBadRequest, "InvalidArgument", format, args...).with("ArgumentName", name).with("ArgumentValue", value)
	}
	prefix, delim, startAfter, token := q.Get("prefix"), q.Get("delimiter"), q.Get("start-after"), q.Get("continuation-token")
	encoding := q.Get("encoding-type")
	if encoding != "" && encoding != "url" {
		return invalid("encoding-type", encoding, "Invalid Encoding Method specified in Request")
	}
	if v := q.Get("fetch-owner"); v != "" {
		if b, err := strconv.ParseBool(v); err != nil {
			return invalid("fetch-owner", v, "Invalid value for fetch-owner")
		} else if b {
			return s3Err(http.StatusNotImplemented, "NotImplemented", "fakeaws: fetch-owner=true is not emulated")
		}
	}
	maxKeys := s3MaxKeys
	if vs, ok := q["max-keys"]; ok {
		n, err := strconv.Atoi(vs[0])
		if err != nil || n < 0 {
			return invalid("max-keys", vs[0], "Argument maxKeys must be an integer between 0 and 2147483647")
		}
		maxKeys = min(n, s3MaxKeys)
	}
	after := startAfter
	if _, ok := q["continuation-token"]; ok {
		raw, err := base64.StdEncoding.DecodeString(token)
		marker, found := strings.CutPrefix(string(raw), s3TokenPrefix)
		if err != nil || !found {
			return invalid("continuation-token", token, "The continuation token provided is incorrect")
		}
		after = marker
	}

	st := s.s3()
	st.mu.Lock()
	keys := make([]string, 0, len(st.buckets[bucket]))
	for k := range st.buckets[bucket] {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	// Items in order: an object, or the common prefix its key rolls up to (once). A common prefix
	// at or before the marker was listed on an earlier page (or skipped by start-after).
	var items []s3ListItem
	truncated := false
	for _, k := range keys {
		item := s3ListItem{name: k}
		rolled := false
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				item.name, rolled = k[:len(prefix)+i+len(delim)], true
				if item.name <= after || (len(items) > 0 && items[len(items)-1].obj == nil && items[len(items)-1].name == item.name) {
					continue
				}
			}
		}
		if !rolled {
			o := *st.buckets[bucket][k]
			item.obj = &o
		}
		if len(items) == maxKeys {
			truncated = maxKeys > 0
			break
		}
		items = append(items, item)
	}
	st.mu.Unlock()

	enc := func(v string) string {
		if encoding == "url" {
			v = url.QueryEscape(v)
		}
		return xmlEscape(v)
	}
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">")
	fmt.Fprintf(&b, "<Name>%s</Name><Prefix>%s</Prefix>", xmlEscape(bucket), enc(prefix))
	if delim != "" {
		fmt.Fprintf(&b, "<Delimiter>%s</Delimiter>", enc(delim))
	}
	fmt.Fprintf(&b, "<MaxKeys>%d</MaxKeys><KeyCount>%d</KeyCount><IsTruncated>%t</IsTruncated>", maxKeys, len(items), truncated)
	if token != "" {
		fmt.Fprintf(&b, "<ContinuationToken>%s</ContinuationToken>", xmlEscape(token))
	}
	if truncated {
		fmt.Fprintf(&b, "<NextContinuationToken>%s</NextContinuationToken>", xmlEscape(s3ListToken(items[len(items)-1].name)))
	}
	if startAfter != "" {
		fmt.Fprintf(&b, "<StartAfter>%s</StartAfter>", enc(startAfter))
	}
	if encoding != "" {
		fmt.Fprintf(&b, "<EncodingType>%s</EncodingType>", encoding)
	}
	for _, it := range items {
		if it.obj == nil {
			continue
		}
		o := it.obj
		fmt.Fprintf(&b, "<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>%s</ETag>"+
			"<ChecksumAlgorithm>%s</ChecksumAlgorithm><ChecksumType>%s</ChecksumType><Size>%d</Size>"+
			"<StorageClass>STANDARD</StorageClass></Contents>",
			enc(it.name), o.LastModified.UTC().Format("2006-01-02T15:04:05.000Z"), xmlEscape(o.ETag),
			o.ChecksumAlgorithm, s3ChecksumTypeFull, len(o.Body))
	}
	for _, it := range items {
		if it.obj == nil {
			fmt.Fprintf(&b, "<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>", enc(it.name))
		}
	}
	b.WriteString("</ListBucketResult>")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, b.String())
	return nil
}
