package s3

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

// Errors and routing.

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

// ServeHTTP answers a request of caller c; authErr says it carried no credentials.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request, c core.Caller, authErr error) {
	reqID := strings.ToUpper(strings.ReplaceAll(core.RequestID(), "-", ""))[:16]
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
		s.core.Count("Unknown")
		writeS3Error(w, r, s3Err(http.StatusNotImplemented, "NotImplemented",
			"A header you provided implies functionality that is not implemented (fakeaws: %s %s)", r.Method, r.URL.RequestURI()))
		return
	}
	s.core.Count(op)
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
	if serverErr, throttled := s.core.Fault(true); serverErr {
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
		w.Header().Set("X-Amz-Bucket-Region", c.Region)
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
			s.core.Update(func(st *core.Stats) { st.S3PreconditionFailed++ })
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
