package fakeaws

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Temporary credentials expire as AWS's do. AssumeRole issues credentials that live
// Options.CredentialTTL (an hour unless set: AWS's default session duration), and the expiry
// travels in the session token, so every service can tell. A request signed with expired
// credentials is refused before anything else is looked at, with the code and status the
// service's protocol uses: ExpiredToken (STS 403, S3 400) or ExpiredTokenException (400 from the
// JSON 1.1 services, 403 from the rest-json ones).

const expiredMessage = "The security token included in the request is expired"

// DefaultCredentialTTL is how long the credentials AssumeRole issues live unless
// Options.CredentialTTL says otherwise.
const DefaultCredentialTTL = time.Hour

// clock is the emulator's wall clock, which credentials expire by.
func (s *Server) clock() time.Time {
	if s.opts.Clock != nil {
		return s.opts.Clock()
	}
	return time.Now()
}

// credentialsExpired reports whether c signed with temporary credentials that have expired.
func (s *Server) credentialsExpired(c caller) bool {
	st, ok := parseSessionToken(c.session)
	return ok && st.Expires != 0 && !s.clock().Before(time.Unix(st.Expires, 0))
}

// refuseExpired answers a request signed with expired credentials as service would.
func (s *Server) refuseExpired(w http.ResponseWriter, r *http.Request, service string) {
	s.mu.Lock()
	s.stats.ExpiredTokens++
	s.mu.Unlock()
	switch service {
	case "sts":
		writeSTSError(w, http.StatusForbidden, "ExpiredToken", expiredMessage)
	case "organizations":
		writeOrgsError(w, http.StatusBadRequest, "ExpiredTokenException", expiredMessage, nil)
	case "s3":
		writeS3Error(w, r, s3Err(http.StatusBadRequest, "ExpiredToken", "The provided token has expired."))
	case "auditmanager":
		writeAMError(w, &amError{status: http.StatusForbidden, code: "ExpiredTokenException", message: expiredMessage})
	case "ses":
		writeSESError(w, &sesError{http.StatusForbidden, "ExpiredTokenException", expiredMessage})
	default:
		writeSHError(w, &shError{http.StatusForbidden, "ExpiredTokenException", expiredMessage})
	}
}

// malformedKinds are the ways MalformedFindings breaks a finding, in turn: each still decodes
// (AWS never sends a wrong JSON type) but cannot be stored as it is.
var malformedKinds = []struct {
	name  string
	apply func(m map[string]any)
}{
	{"no Id", func(m map[string]any) { delete(m, "Id") }},
	{"empty AwsAccountId", func(m map[string]any) { m["AwsAccountId"] = "" }},
	{"malformed UpdatedAt", func(m map[string]any) { m["UpdatedAt"] = "yesterday" }},
}

// breakFindings serves opts.MalformedFindings findings malformed: active ones (the collector reads
// only those) spread evenly over the estate.
func (s *Server) breakFindings() error {
	n := s.opts.MalformedFindings
	if n == 0 {
		return nil
	}
	var active []int
	for i, f := range s.findings {
		if f.RecordState == "ACTIVE" {
			active = append(active, i)
		}
	}
	if n > len(active) {
		return &OptionsError{"MalformedFindings", fmt.Sprintf("%d is more than the %d active findings", n, len(active))}
	}
	for k := range n {
		i := active[k*len(active)/n]
		var m map[string]any
		if err := json.Unmarshal(s.wire[i], &m); err != nil {
			return fmt.Errorf("fakeaws: finding %s: %w", s.findings[i].ID, err)
		}
		malformedKinds[k%len(malformedKinds)].apply(m)
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("fakeaws: finding %s: %w", s.findings[i].ID, err)
		}
		s.wire[i] = b
		s.malformed = append(s.malformed, s.findings[i].ID)
	}
	slices.Sort(s.malformed)
	return nil
}

// MalformedFindingIDs are the ids (as in Findings) of the findings served malformed, sorted.
func (s *Server) MalformedFindingIDs() []string { return slices.Clone(s.malformed) }
