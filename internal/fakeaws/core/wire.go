package core

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"sync"
)

// WriteJSON writes v as a 200 response of contentType.
func WriteJSON(w http.ResponseWriter, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(b)
}

// WriteXML writes v as an XML document with status.
func WriteXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}

var reqSeq struct {
	sync.Mutex
	n uint64
}

// RequestID is a fresh request id in AWS's UUID shape.
func RequestID() string {
	reqSeq.Lock()
	reqSeq.n++
	n := reqSeq.n
	reqSeq.Unlock()
	return HashUUID(strconv.FormatUint(n, 10))
}

// HashUUID derives a UUID-shaped id from s, so ids are stable for a given estate.
func HashUUID(s string) string {
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Pagination tokens. A token carries the offset of the next page and a hash of the query it
// belongs to (operation, caller, region and every parameter but the token), so a token reused with
// a different query is rejected as AWS does, and identical requests give identical pages.

// QueryHash hashes the parts of a query.
func QueryHash(parts ...string) [12]byte {
	h := sha256.New()
	for _, p := range parts {
		_ = binary.Write(h, binary.LittleEndian, uint32(len(p)))
		h.Write([]byte(p))
	}
	var out [12]byte
	copy(out[:], h.Sum(nil))
	return out
}

// MakeToken is the token for offset in the query hash names.
func MakeToken(hash [12]byte, offset int) string {
	b := make([]byte, 0, 20)
	b = append(b, hash[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(offset))
	return base64.RawURLEncoding.EncodeToString(b)
}

// ReadToken returns the offset a token names, 0 for no token, or false when the token is
// malformed or belongs to another query.
func ReadToken(tok *string, hash [12]byte) (int, bool) {
	if tok == nil || *tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || len(b) != 20 || !bytes.Equal(b[:12], hash[:]) {
		return 0, false
	}
	off := binary.BigEndian.Uint64(b[12:])
	if off > 1<<40 {
		return 0, false
	}
	return int(off), true
}

// Page cuts items[offset:offset+size] and returns the next token ("" on the last page).
func Page[T any](items []T, offset, size int, hash [12]byte) ([]T, string) {
	if offset > len(items) {
		offset = len(items)
	}
	end := min(len(items), offset+size)
	next := ""
	if end < len(items) {
		next = MakeToken(hash, end)
	}
	return items[offset:end], next
}

// NonNil is s, or an empty slice for nil, so that JSON says [] rather than null.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
