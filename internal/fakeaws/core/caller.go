package core

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Requests are not signature-checked: the access key id names the caller (AccessKeyFor). The
// credentials AssumeRole issues do expire, and the expiry travels in the session token, so every
// service can tell.

// ErrNoAuth is a request without a SigV4 credential scope.
var ErrNoAuth = errors.New("missing authentication token")

// ExpiredMessage is what AWS says about expired credentials.
const ExpiredMessage = "The security token included in the request is expired"

// Caller is who sent a request and where.
type Caller struct {
	Account string
	Region  string
	Service string
	Session string // X-Amz-Security-Token
}

// AccessKeyFor is the access key id that makes requests act as account.
func AccessKeyFor(account string) string { return "AKIAFAKE" + account }

// TemporaryKeyFor is the access key id of temporary credentials for account.
func TemporaryKeyFor(account string) string { return "ASIAFAKE" + account }

// IsAccountID reports whether s is twelve digits.
func IsAccountID(s string) bool { return len(s) == 12 && strings.Trim(s, "0123456789") == "" }

// ParseCaller reads the SigV4 credential scope from the Authorization header (or a presigned
// query). The signature is not checked. A key that names no account acts as defaultAccount.
func ParseCaller(r *http.Request, defaultAccount string) (Caller, error) {
	var cred string
	if h := r.Header.Get("Authorization"); h != "" {
		_, rest, ok := strings.Cut(h, "Credential=")
		if !ok {
			return Caller{}, ErrNoAuth
		}
		cred, _, _ = strings.Cut(rest, ",")
	} else if q := r.URL.Query().Get("X-Amz-Credential"); q != "" {
		cred = q
	} else {
		return Caller{}, ErrNoAuth
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return Caller{}, ErrNoAuth
	}
	c := Caller{Account: defaultAccount, Region: parts[2], Service: parts[3], Session: r.Header.Get("X-Amz-Security-Token")}
	for _, p := range []string{AccessKeyFor(""), TemporaryKeyFor("")} {
		if id, ok := strings.CutPrefix(parts[0], p); ok && IsAccountID(id) {
			c.Account = id
		}
	}
	return c, nil
}

// SessionToken is what the emulator encodes in the SessionToken it issues, so that
// GetCallerIdentity can name the assumed role and every service can tell it expired.
type SessionToken struct {
	Account string `json:"a"`
	Role    string `json:"r"`
	Session string `json:"s"`
	Expires int64  `json:"x,omitempty"` // Unix seconds; 0: never (tokens from before expiry existed)
}

const sessionTokenPrefix = "FakeSessionToken"

// Encode is the token as AssumeRole hands it out.
func (st SessionToken) Encode() string {
	b, _ := json.Marshal(st)
	return sessionTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseSessionToken reads a token Encode wrote.
func ParseSessionToken(t string) (SessionToken, bool) {
	rest, ok := strings.CutPrefix(t, sessionTokenPrefix)
	if !ok {
		return SessionToken{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return SessionToken{}, false
	}
	var st SessionToken
	if json.Unmarshal(b, &st) != nil {
		return SessionToken{}, false
	}
	return st, true
}

// Expired reports whether who signed with temporary credentials that have expired. It counts
// what it finds.
func (c *Core) Expired(who Caller) bool {
	st, ok := ParseSessionToken(who.Session)
	if !ok || st.Expires == 0 || c.Now().Before(time.Unix(st.Expires, 0)) {
		return false
	}
	c.Update(func(s *Stats) { s.ExpiredTokens++ })
	return true
}
