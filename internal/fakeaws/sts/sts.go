// Package sts emulates AWS STS (query protocol): AssumeRole, whose credentials expire, and
// GetCallerIdentity.
package sts

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
	"github.com/hubreport/hubreport/internal/fakeaws/estate"
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

// Service is the emulated STS.
type Service struct {
	core       *core.Core
	org        *estate.Org
	denyAssume map[string]bool
}

// New serves org's accounts; the roles of the accounts in denyAssumeRole cannot be assumed.
func New(c *core.Core, org *estate.Org, denyAssumeRole []string) *Service {
	s := &Service{core: c, org: org, denyAssume: map[string]bool{}}
	for _, a := range denyAssumeRole {
		s.denyAssume[strings.TrimSpace(a)] = true
	}
	return s
}

// RefuseExpired answers a request signed with expired credentials.
func (s *Service) RefuseExpired(w http.ResponseWriter) {
	writeSTSError(w, http.StatusForbidden, "ExpiredToken", core.ExpiredMessage)
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
	core.WriteXML(w, status, e)
}

// ServeHTTP answers a request of caller c; authErr says it carried no credentials.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request, c core.Caller, authErr error) {
	if err := r.ParseForm(); err != nil {
		s.core.Count("Unknown")
		writeSTSError(w, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	op := r.Form.Get("Action")
	switch op {
	case "AssumeRole", "GetCallerIdentity":
	default:
		s.core.Count("Unknown")
		writeSTSError(w, http.StatusBadRequest, "InvalidAction", "Could not find operation "+op+" for version "+r.Form.Get("Version"))
		return
	}
	s.core.Count(op)
	if authErr != nil {
		writeSTSError(w, http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
		return
	}
	if v := r.Form.Get("Version"); v != "2011-06-15" {
		writeSTSError(w, http.StatusBadRequest, "InvalidAction", "Could not find operation "+op+" for version "+v)
		return
	}
	if serverErr, _ := s.core.Fault(false); serverErr {
		writeSTSError(w, http.StatusInternalServerError, "InternalFailure", "An internal error occurred (injected)")
		return
	}
	if op == "AssumeRole" {
		s.assumeRole(w, r, c)
		return
	}
	s.getCallerIdentity(w, c)
}

func (s *Service) assumeRole(w http.ResponseWriter, r *http.Request, c core.Caller) {
	roleARN := r.Form.Get("RoleArn")
	session := r.Form.Get("RoleSessionName")
	if roleARN == "" || session == "" {
		writeSTSError(w, http.StatusBadRequest, "ValidationError", "RoleArn and RoleSessionName are required")
		return
	}
	// arn:aws:iam::ACCOUNT:role/PATH/NAME
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !core.IsAccountID(parts[4]) || !strings.HasPrefix(parts[5], "role/") {
		writeSTSError(w, http.StatusBadRequest, "ValidationError", roleARN+" is invalid")
		return
	}
	target := parts[4]
	roleName := parts[5][strings.LastIndex(parts[5], "/")+1:]
	principal := s.principalARN(c)
	if !s.org.Active(target) || s.denyAssume[target] {
		s.core.Update(func(st *core.Stats) { st.AssumeRoleDenied++ })
		writeSTSError(w, http.StatusForbidden, "AccessDenied",
			"User: "+principal+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
		return
	}
	expires := s.core.Now().Add(s.core.Config().CredentialTTL).Truncate(time.Second)
	tok := core.SessionToken{Account: target, Role: roleName, Session: session, Expires: expires.Unix()}
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
	out.Result.Credentials.AccessKeyID = core.TemporaryKeyFor(target)
	out.Result.Credentials.SecretAccessKey = base64.StdEncoding.EncodeToString(secret[:30])
	out.Result.Credentials.SessionToken = tok.Encode()
	out.Result.Credentials.Expiration = expires.UTC().Format("2006-01-02T15:04:05Z")
	out.Metadata.RequestID = w.Header().Get("X-Amzn-Requestid")
	core.WriteXML(w, http.StatusOK, out)
}

// principalARN names the caller as IAM would.
func (s *Service) principalARN(c core.Caller) string {
	if st, ok := core.ParseSessionToken(c.Session); ok && st.Account == c.Account {
		return "arn:aws:sts::" + c.Account + ":assumed-role/" + st.Role + "/" + st.Session
	}
	return "arn:aws:iam::" + c.Account + ":user/fakeaws"
}

func (s *Service) getCallerIdentity(w http.ResponseWriter, c core.Caller) {
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
	out.Result.Account = c.Account
	out.Result.Arn = s.principalARN(c)
	sum := sha256.Sum256([]byte(out.Result.Arn))
	out.Result.UserID = "AIDA" + strings.ToUpper(hex.EncodeToString(sum[:8]))
	if st, ok := core.ParseSessionToken(c.Session); ok && st.Account == c.Account {
		out.Result.UserID = "AROA" + strings.ToUpper(hex.EncodeToString(sum[:8])) + ":" + st.Session
	}
	out.Metadata.RequestID = w.Header().Get("X-Amzn-Requestid")
	core.WriteXML(w, http.StatusOK, out)
}
