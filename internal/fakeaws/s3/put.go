package s3

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

func (s *Service) putObject(w http.ResponseWriter, r *http.Request, c core.Caller, bucket, key string) *s3Error {
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
			kmsKey = "arn:aws:kms:" + c.Region + ":" + c.Account + ":key/" + core.HashUUID("kms/aws/s3/"+c.Account+"/"+c.Region)
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
	o := &Object{
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

	s.core.Update(func(st *core.Stats) { st.S3Puts++ })
	wh := w.Header()
	wh.Set("ETag", o.ETag)
	setSSEHeaders(wh, o)
	wh.Set(s3ChecksumHeader(alg), checksum)
	wh.Set("X-Amz-Checksum-Type", s3ChecksumTypeFull)
	w.WriteHeader(http.StatusOK)
	return nil
}

func setSSEHeaders(h http.Header, o *Object) {
	h.Set("X-Amz-Server-Side-Encryption", o.SSE)
	if o.KMSKeyID != "" {
		h.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", o.KMSKeyID)
	}
	if o.BucketKeyEnabled {
		h.Set("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", "true")
	}
}
