package auditmanager

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

// GetEvidenceFileUploadUrl and the presigned PUT it hands out.

func (s *Service) getEvidenceFileUploadURL(r *http.Request, c core.Caller) (any, *amError) {
	q := r.URL.Query()
	name := q.Get("fileName")
	switch n := utf8.RuneCountInString(name); {
	case !q.Has("fileName") || n == 0:
		return nil, amValidation("fileName", "fileName is required and must be 1-%d characters", amMaxFileName)
	case n > amMaxFileName:
		return nil, amValidation("fileName", "fileName is %d characters, more than %d", n, amMaxFileName)
	case strings.Contains(name, "/"):
		return nil, amValidation("fileName", "fileName must not contain '/'")
	}
	st := s.am()
	st.mu.Lock()
	st.seq++
	sum := sha256.Sum256([]byte(fmt.Sprintf("upload/%d/%s/%s", st.seq, c.Account, name)))
	h := hex.EncodeToString(sum[:])
	// Audit Manager makes the object key unique; keep the name (and its extension) readable and
	// within the 300 characters that BatchImportEvidenceToAssessmentControl accepts.
	prefix := h[:12] + "-"
	stored := name
	if runes := []rune(name); len(runes)+len(prefix) > amMaxFileName {
		stored = string(runes[len(runes)+len(prefix)-amMaxFileName:])
	}
	u := &amUpload{evidenceFileName: prefix + stored, token: h[12:44], signature: h[:64],
		account: c.Account, region: c.Region, issued: time.Now()}
	st.uploads[u.evidenceFileName] = u
	st.byToken[u.token] = u
	st.mu.Unlock()

	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	date := u.issued.UTC().Format("20060102T150405Z")
	v := url.Values{}
	v.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
	// The credential is the service's, not the caller's, as in a real presigned URL.
	v.Set("X-Amz-Credential", "ASIAFAKEAUDITMANAGER/"+date[:8]+"/"+c.Region+"/s3/aws4_request")
	v.Set("X-Amz-Date", date)
	v.Set("X-Amz-Expires", strconv.Itoa(int(amUploadExpiry/time.Second)))
	v.Set("X-Amz-SignedHeaders", "host")
	v.Set("X-Amz-Signature", u.signature)
	uploadURL := scheme + "://" + r.Host + UploadPathPrefix + u.token + "?" + v.Encode()
	return map[string]string{"evidenceFileName": u.evidenceFileName, "uploadUrl": uploadURL}, nil
}

// ServeUpload is the presigned S3 PUT. It answers as S3 does, with XML errors. Only the token
// and signature are checked; the signature is not recomputed.
func (s *Service) ServeUpload(w http.ResponseWriter, r *http.Request) {
	s3err := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
	}
	if r.Method != http.MethodPut {
		s3err(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
		return
	}
	if serverErr, _ := s.core.Fault(false); serverErr {
		s3err(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again. (injected)")
		return
	}
	st := s.am()
	token := strings.TrimPrefix(r.URL.Path, UploadPathPrefix)
	st.mu.Lock()
	u := st.byToken[token]
	st.mu.Unlock()
	if u == nil || r.URL.Query().Get("X-Amz-Signature") != u.signature {
		s3err(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return
	}
	if time.Since(u.issued) > amUploadExpiry {
		s3err(http.StatusForbidden, "AccessDenied", "Request has expired")
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, amMaxFileSize+1))
	if err != nil {
		s3err(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
		return
	}
	if len(data) > amMaxFileSize {
		s3err(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		return
	}
	st.mu.Lock()
	u.data = data
	u.uploaded = true
	st.mu.Unlock()
	s.core.Update(func(st *core.Stats) { st.Uploads++ })
	sum := md5.Sum(data)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	w.WriteHeader(http.StatusOK)
}

// BatchImportEvidenceToAssessmentControl

type manualEvidence struct {
	EvidenceFileName *string `json:"evidenceFileName,omitempty"`
	S3ResourcePath   *string `json:"s3ResourcePath,omitempty"`
	TextResponse     *string `json:"textResponse,omitempty"`
}

type importError struct {
	ManualEvidence manualEvidence `json:"manualEvidence"`
	ErrorCode      string         `json:"errorCode"`
	ErrorMessage   string         `json:"errorMessage"`
}

func (s *Service) batchImportEvidence(c core.Caller, assessmentID, controlSetID, controlID string, body []byte) (any, *amError) {
	switch {
	case !uuidRE.MatchString(assessmentID):
		return nil, amValidation("assessmentId", "assessmentId %q is not a UUID", assessmentID)
	case !uuidRE.MatchString(controlID):
		return nil, amValidation("controlId", "controlId %q is not a UUID", controlID)
	}
	if n := utf8.RuneCountInString(controlSetID); n < 1 || n > amMaxControlSetID {
		return nil, amValidation("controlSetId", "controlSetId is %d characters, not 1-%d", n, amMaxControlSetID)
	}
	var in struct {
		ManualEvidence []manualEvidence `json:"manualEvidence"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, amValidation("", "malformed request body: %v", err)
	}
	if n := len(in.ManualEvidence); n < 1 || n > amMaxEvidencePerCall {
		return nil, amValidation("manualEvidence", "manualEvidence has %d items; it must have 1-%d", n, amMaxEvidencePerCall)
	}
	st := s.am()
	a := st.assessment
	if assessmentID != a.ID || c.Region != s.home {
		return nil, amNotFound("ASSESSMENT", assessmentID)
	}
	i := slices.IndexFunc(a.ControlSets, func(cs ControlSet) bool { return cs.Name == controlSetID })
	if i < 0 {
		return nil, amNotFound("CONTROL_SET", controlSetID)
	}
	if !slices.Contains(a.ControlSets[i].ControlIDs, controlID) {
		return nil, amNotFound("CONTROL", controlID)
	}

	key := amControlKey(assessmentID, controlSetID, controlID)
	dayKey := key + "\x00" + time.Now().UTC().Format(time.DateOnly)
	errs := []importError{}
	imported := 0
	st.mu.Lock()
	for _, m := range in.ManualEvidence {
		fail := func(format string, args ...any) {
			msg := fmt.Sprintf(format, args...)
			if r := []rune(msg); len(r) > amMaxErrorMessage {
				msg = string(r[:amMaxErrorMessage-3]) + "..."
			}
			errs = append(errs, importError{ManualEvidence: m, ErrorCode: "400", ErrorMessage: msg})
		}
		set := 0
		for _, p := range []*string{m.EvidenceFileName, m.S3ResourcePath, m.TextResponse} {
			if p != nil {
				set++
			}
		}
		if set != 1 {
			fail("manualEvidence must have exactly one of evidenceFileName, s3ResourcePath or textResponse; it has %d", set)
			continue
		}
		switch {
		case m.TextResponse != nil:
			if n := utf8.RuneCountInString(*m.TextResponse); n < 1 || n > amMaxTextResponse {
				fail("textResponse is %d characters; it must be 1-%d", n, amMaxTextResponse)
				continue
			}
			st.imported[key] = append(st.imported[key], ImportedEvidence{TextResponse: *m.TextResponse})
		case m.S3ResourcePath != nil:
			if n := len(*m.S3ResourcePath); n > 1024 || !s3URLRE.MatchString(*m.S3ResourcePath) {
				fail("s3ResourcePath is not an S3 URI of at most 1024 characters")
				continue
			}
			st.imported[key] = append(st.imported[key], ImportedEvidence{S3ResourcePath: *m.S3ResourcePath})
		default:
			name := *m.EvidenceFileName
			u := st.uploads[name]
			if u == nil || !u.uploaded || u.account != c.Account || u.region != c.Region {
				fail("The evidence file %s wasn't found. Upload it to the URL from GetEvidenceFileUploadUrl, then import it.", name)
				continue
			}
			if st.dailyCounts[dayKey] >= st.dailyLimit {
				fail("You reached the quota of %d manual evidence uploads per control per day for control %s.", st.dailyLimit, controlID)
				continue
			}
			st.dailyCounts[dayKey]++
			st.imported[key] = append(st.imported[key], ImportedEvidence{EvidenceFileName: name, File: u.data})
		}
		imported++
	}
	st.mu.Unlock()
	s.core.Update(func(st *core.Stats) { st.EvidenceImported += imported })
	return map[string]any{"errors": errs}, nil
}
