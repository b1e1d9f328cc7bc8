package s3

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ListObjectsV2.

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
	obj  *Object
}

func (s *Service) listObjectsV2(w http.ResponseWriter, q url.Values, bucket string) *s3Error {
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
