// Package s3 emulates Amazon S3 (rest-xml, API version 2006-03-01) with path-style addressing:
// PutObject, GetObject, HeadObject, HeadBucket and ListObjectsV2.
package s3

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

// Path-style addressing only (http://endpoint/bucket/key: set UsePathStyle on the client). The
// buckets are the ones New is given, in every region, open to every caller. Requests may be signed
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
	MaxObjectSize         = 5 << 30 // single PUT
	s3MaxKeyLength        = 1024    // bytes
	s3MaxUserMetadataSize = 2048    // bytes, keys and values
	s3MaxPresignExpires   = 7 * 24 * 60 * 60
	s3DefaultContentType  = "binary/octet-stream"
	s3ChecksumTypeFull    = "FULL_OBJECT"
)

// Object is an object the emulated S3 stores.
type Object struct {
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

func (o *Object) clone() Object {
	c := *o
	c.Body = slices.Clone(o.Body)
	c.Metadata = make(map[string]string, len(o.Metadata))
	for k, v := range o.Metadata {
		c.Metadata[k] = v
	}
	return c
}

// Service is the emulated S3. It is safe for concurrent use.
type Service struct {
	core    *core.Core
	buckets []string

	s3Once  sync.Once
	s3State *s3State // buckets and objects
}

// New serves buckets, empty at start; other buckets answer 404 NoSuchBucket.
func New(c *core.Core, buckets []string) (*Service, error) {
	if err := checkS3Buckets(buckets); err != nil {
		return nil, err
	}
	return &Service{core: c, buckets: buckets}, nil
}

// RefuseExpired answers a request signed with expired credentials.
func (s *Service) RefuseExpired(w http.ResponseWriter, r *http.Request) {
	writeS3Error(w, r, s3Err(http.StatusBadRequest, "ExpiredToken", "The provided token has expired."))
}

// s3State is what S3 stores, made on first use.
type s3State struct {
	mu      sync.Mutex
	buckets map[string]map[string]*Object // bucket -> key -> object
}

func (s *Service) s3() *s3State {
	s.s3Once.Do(func() {
		st := &s3State{buckets: map[string]map[string]*Object{}}
		for _, b := range s.buckets {
			if b = strings.TrimSpace(b); b != "" {
				st.buckets[b] = map[string]*Object{}
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
			return &core.OptionsError{Field: "S3Buckets", Reason: fmt.Sprintf("%q is not a valid bucket name: up to 63 lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit", b)}
		}
	}
	return nil
}

// Object returns a copy of an object in the emulated S3.
func (s *Service) Object(bucket, key string) (Object, bool) {
	st := s.s3()
	st.mu.Lock()
	defer st.mu.Unlock()
	o := st.buckets[bucket][key]
	if o == nil {
		return Object{}, false
	}
	return o.clone(), true
}

// ObjectKeys lists a bucket's keys, sorted.
func (s *Service) ObjectKeys(bucket string) []string {
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
// New was not given it.
func (s *Service) PutObjectDirect(bucket, key string, body []byte) {
	body = slices.Clone(body)
	sum := md5.Sum(body)
	o := &Object{Body: body, ETag: `"` + hex.EncodeToString(sum[:]) + `"`, ContentType: s3DefaultContentType,
		SSE: "AES256", Metadata: map[string]string{}, ChecksumAlgorithm: "CRC64NVME",
		Checksum: s3Checksum("CRC64NVME", body), LastModified: time.Now().UTC().Truncate(time.Second)}
	st := s.s3()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.buckets[bucket] == nil {
		st.buckets[bucket] = map[string]*Object{}
	}
	st.buckets[bucket][key] = o
}
