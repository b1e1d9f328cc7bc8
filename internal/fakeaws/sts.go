package fakeaws

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"time"
)

// STS is the query protocol: a form POST with Action and Version, answered with XML. Errors are
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

type stsErrorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

type stsMetadata struct {
	RequestID string `xml:"RequestId"`
}

func writeSTSError(w http.ResponseWriter, status int, code, message string) {
	var e stsErrorResponse
	e.Xmlns = stsNamespace
	e.Error.Type = "Sender"
	if status >= 500 {
		e.Error.Type = "Receiver"
	}
	e.Error.Code, e.Error.Message = code, message
	e.RequestID = w.Header().Get("X-Amzn-Requestid")
	writeXML(w, status, e)
}

func writeXML(w http.ResponseWriter, status int, v any) {
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

// sessionToken is what the emulator encodes in the SessionToken it issues, so that
// GetCallerIdentity can name the assumed role.
type sessionToken struct {
	Account string `json:"a"`
	Role    string `json:"r"`
	Session string `json:"s"`
	Expires int64  `json:"x,omitempty"` // Unix seconds; 0: never (tokens from before expiry existed)
}

func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request, c caller, authErr error) {
	if err := r.ParseForm(); err != nil {
		s.count("Unknown")
		writeSTSError(w, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	op := r.Form.Get("Action")
	switch op {
	case "AssumeRole", "GetCallerIdentity":
	default:
		s.count("Unknown")
		writeSTSError(w, http.StatusBadRequest, "InvalidAction", "Could not find operation "+op+" for version "+r.Form.Get("Version"))
		return
	}
	s.count(op)
	if authErr != nil {
		writeSTSError(w, http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
		return
	}
	if v := r.Form.Get("Version"); v != "2011-06-15" {
		writeSTSError(w, http.StatusBadRequest, "InvalidAction", "Could not find operation "+op+" for version "+v)
		return
	}
	if serverErr, _ := s.fault(false); serverErr {
		writeSTSError(w, http.StatusInternalServerError, "InternalFailure", "An internal error occurred (injected)")
		return
	}
	if op == "AssumeRole" {
		s.assumeRole(w, r, c)
		return
	}
	s.getCallerIdentity(w, c)
}

func (s *Server) assumeRole(w http.ResponseWriter, r *http.Request, c caller) {
	roleARN := r.Form.Get("RoleArn")
	session := r.Form.Get("RoleSessionName")
	if roleARN == "" || session == "" {
		writeSTSError(w, http.StatusBadRequest, "ValidationError", "RoleArn and RoleSessionName are required")
		return
	}
	// arn:aws:iam::ACCOUNT:role/PATH/NAME
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !isAccountID(parts[4]) || !strings.HasPrefix(parts[5], "role/") {
		writeSTSError(w, http.StatusBadRequest, "ValidationError", roleARN+" is invalid")
		return
	}
	target := parts[4]
	roleName := parts[5][strings.LastIndex(parts[5], "/")+1:]
	principal := s.principalARN(c)
	if a, ok := s.inOrg[target]; !ok || a.Status != "ACTIVE" || s.denyAssume[target] {
		s.mu.Lock()
		s.stats.AssumeRoleDenied++
		s.mu.Unlock()
		writeSTSError(w, http.StatusForbidden, "AccessDenied",
			"User: "+principal+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
		return
	}
	expires := s.clock().Add(s.opts.CredentialTTL).Truncate(time.Second)
	tok, _ := json.Marshal(sessionToken{Account: target, Role: roleName, Session: session, Expires: expires.Unix()})
	secret := sha256.Sum256([]byte("secret/" + target + "/" + session))
	roleID := "AROA" + strings.ToUpper(hex.EncodeToString(secret[:8]))
	type result struct {
		XMLName xml.Name `xml:"AssumeRoleResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Result  struct {
			AssumedRoleUser struct {
				AssumedRoleID string `xml:"AssumedRoleId"`
				Arn           string `xml:"Arn"`
			} `xml:"AssumedRoleUser"`
			Credentials struct {
				AccessKeyID     string `xml:"AccessKeyId"`
				SecretAccessKey string `xml:"SecretAccessKey"`
				SessionToken    string `xml:"SessionToken"`
				Expiration      string `xml:"Expiration"`
			} `xml:"Credentials"`
		} `xml:"AssumeRoleResult"`
		Metadata stsMetadata `xml:"ResponseMetadata"`
	}
	var out result
	out.Xmlns = stsNamespace
	out.Result.AssumedRoleUser.AssumedRoleID = roleID + ":" + session
	out.Result.AssumedRoleUser.Arn = "arn:aws:sts::" + target + ":assumed-role/" + roleName + "/" + session
	out.Result.Credentials.AccessKeyID = "ASIAFAKE" + target
	out.Result.Credentials.SecretAccessKey = base64.StdEncoding.EncodeToString(secret[:30])
	out.Result.Credentials.SessionToken = "FakeSessionToken" + base64.RawURLEncoding.EncodeToString(tok)
	out.Result.Credentials.Expiration = expires.UTC().Format("2006-01-02T15:04:05Z")
	out.Metadata.RequestID = w.Header().Get("X-Amzn-Requestid")
	writeXML(w, http.StatusOK, out)
}

// principalARN names the caller as IAM would.
func (s *Server) principalARN(c caller) string {
	if st, ok := parseSessionToken(c.session); ok && st.Account == c.account {
		return "arn:aws:sts::" + c.account + ":assumed-role/" + st.Role + "/" + st.Session
	}
	return "arn:aws:iam::" + c.account + ":user/fakeaws"
}

func parseSessionToken(t string) (sessionToken, bool) {
	rest, ok := strings.CutPrefix(t, "FakeSessionToken")
	if !ok {
		return sessionToken{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return sessionToken{}, false
	}
	var st sessionToken
	if json.Unmarshal(b, &st) != nil {
		return sessionToken{}, false
	}
	return st, true
}

func (s *Server) getCallerIdentity(w http.ResponseWriter, c caller) {
	type result struct {
		XMLName xml.Name `xml:"GetCallerIdentityResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Result  struct {
			Arn     string `xml:"Arn"`
			UserID  string `xml:"UserId"`
			Account string `xml:"Account"`
		} `xml:"GetCallerIdentityResult"`
		Metadata stsMetadata `xml:"ResponseMetadata"`
	}
	var out result
	out.Xmlns = stsNamespace
	out.Result.Account = c.account
	out.Result.Arn = s.principalARN(c)
	sum := sha256.Sum256([]byte(out.Result.Arn))
	out.Result.UserID = "AIDA" + strings.ToUpper(hex.EncodeToString(sum[:8]))
	if st, ok := parseSessionToken(c.session); ok && st.Account == c.account {
		out.Result.UserID = "AROA" + strings.ToUpper(hex.EncodeToString(sum[:8])) + ":" + st.Session
	}
	out.Metadata.RequestID = w.Header().Get("X-Amzn-Requestid")
	writeXML(w, http.StatusOK, out)
}
