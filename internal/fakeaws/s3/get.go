package s3

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

// GetObject and HeadObject.

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

func (s *Service) getObject(w http.ResponseWriter, r *http.Request, bucket, key string, head bool) *s3Error {
	st := s.s3()
	st.mu.Lock()
	cur := st.buckets[bucket][key]
	var o Object
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
	s.core.Update(func(st *core.Stats) { st.S3Gets++ })
	_, _ = w.Write(o.Body)
	return nil
}
