package fakeaws

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Audit Manager (rest-json, API version 2017-07-25): GetEvidenceFileUploadUrl and
// BatchImportEvidenceToAssessmentControl, plus the presigned S3 PUT that GetEvidenceFileUploadUrl
// hands out, served by the emulator itself under UploadPathPrefix.
//
// The administrator account is the Audit Manager delegated administrator; other accounts get
// AccessDeniedException. It has one assessment in the home region (Assessment). Errors carry the
// code in the X-Amzn-ErrorType header and a body with a lowercase "message", as Audit Manager
// sends them; ValidationException adds "reason" and "fields", ResourceNotFoundException
// "resourceId" and "resourceType".

// Audit Manager limits, from the API model (service-2.json) and its documentation.
const (
	amMaxEvidencePerCall          = 50   // ManualEvidenceList max
	amMaxTextResponse             = 1000 // ManualEvidenceTextResponse max, in characters
	amMaxFileName                 = 300  // ManualEvidenceLocalFileName max
	amMaxControlSetID             = 300  // ControlSetId max
	amMaxErrorMessage             = 300  // ErrorMessage max
	DefaultDailyUploadsPerControl = 100  // "Number of daily manual evidence uploads per control: 100"
	amMaxFileSize                 = 100 << 20
	amUploadExpiry                = 15 * time.Minute // X-Amz-Expires=900
)

// UploadPathPrefix is the path under which the emulator serves the presigned upload URLs that
// GetEvidenceFileUploadUrl returns.
const UploadPathPrefix = "/_upload/"

// AuditManagerOptions configures the emulated Audit Manager. A nil *AuditManagerOptions in
// Options takes the defaults.
type AuditManagerOptions struct {
	// Assessment replaces the default assessment (see Server.Assessment). Its id and control ids
	// must be UUIDs as Audit Manager writes them; control set names 1-300 characters.
	Assessment *Assessment
	// DailyUploadsPerControl is how many uploaded files one control accepts per (UTC) day;
	// 0: AWS's 100.
	DailyUploadsPerControl int
}

// Assessment is an Audit Manager assessment the emulator hosts.
type Assessment struct {
	ID          string
	ControlSets []ControlSet
}

// ControlSet is a control set of an assessment. Audit Manager's control set id is its name.
type ControlSet struct {
	Name       string
	ControlIDs []string
}

// ImportedEvidence is one manual evidence item imported to an assessment control.
type ImportedEvidence struct {
	EvidenceFileName string // as GetEvidenceFileUploadUrl named it; "" for text and S3 evidence
	File             []byte // the uploaded bytes; nil for text and S3 evidence
	TextResponse     string
	S3ResourcePath   string
}

// amState is the Audit Manager side of a Server, made on first use.
type amState struct {
	assessment  Assessment
	dailyLimit  int
	mu          sync.Mutex
	seq         uint64
	uploads     map[string]*amUpload // by evidenceFileName
	byToken     map[string]*amUpload
	imported    map[string][]ImportedEvidence // assessment, control set, control
	dailyCounts map[string]int                // control key + day -> files imported
}

type amUpload struct {
	evidenceFileName string
	token            string
	signature        string
	account, region  string
	issued           time.Time
	data             []byte
	uploaded         bool
}

// am returns the server's Audit Manager state, creating it on first use.
func (s *Server) am() *amState {
	s.amOnce.Do(func() { s.amState = newAMState(s.opts) })
	return s.amState
}

func newAMState(opts Options) *amState {
	st := &amState{
		dailyLimit:  DefaultDailyUploadsPerControl,
		uploads:     map[string]*amUpload{},
		byToken:     map[string]*amUpload{},
		imported:    map[string][]ImportedEvidence{},
		dailyCounts: map[string]int{},
	}
	if o := opts.AuditManager; o != nil {
		if o.DailyUploadsPerControl > 0 {
			st.dailyLimit = o.DailyUploadsPerControl
		}
		if o.Assessment != nil {
			st.assessment = cloneAssessment(*o.Assessment)
			return st
		}
	}
	st.assessment = defaultAssessment(opts.Seed)
	return st
}

// validateAuditManagerOptions checks Options.AuditManager. New does not (this file keeps the
// Audit Manager emulation out of fakeaws.go), so each Audit Manager request checks it and answers
// InternalServerException naming the bad field.
func validateAuditManagerOptions(o *AuditManagerOptions) error {
	if o == nil {
		return nil
	}
	if o.DailyUploadsPerControl < 0 {
		return &OptionsError{"AuditManager.DailyUploadsPerControl", "negative"}
	}
	if a := o.Assessment; a != nil {
		if !uuidRE.MatchString(a.ID) {
			return &OptionsError{"AuditManager.Assessment.ID", fmt.Sprintf("%q is not a lowercase UUID", a.ID)}
		}
		for _, cs := range a.ControlSets {
			if n := utf8.RuneCountInString(cs.Name); n < 1 || n > amMaxControlSetID {
				return &OptionsError{"AuditManager.Assessment.ControlSets", fmt.Sprintf("name %q is not 1-300 characters", cs.Name)}
			}
			for _, id := range cs.ControlIDs {
				if !uuidRE.MatchString(id) {
					return &OptionsError{"AuditManager.Assessment.ControlSets", fmt.Sprintf("control id %q is not a lowercase UUID", id)}
				}
			}
		}
	}
	return nil
}

// defaultAssessment is the seeded assessment: three control sets of three or four controls, with
// ids derived from the seed.
func defaultAssessment(seed int64) Assessment {
	sets := []struct {
		name     string
		controls int
	}{
		{"Logging and monitoring", 4},
		{"Identity and access management", 3},
		{"Data protection and encryption", 3},
	}
	a := Assessment{ID: hashUUID(fmt.Sprintf("auditmanager/%d/assessment", seed))}
	for _, cs := range sets {
		set := ControlSet{Name: cs.name}
		for i := range cs.controls {
			set.ControlIDs = append(set.ControlIDs, hashUUID(fmt.Sprintf("auditmanager/%d/%s/%d", seed, cs.name, i)))
		}
		a.ControlSets = append(a.ControlSets, set)
	}
	return a
}

func hashUUID(s string) string {
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func cloneAssessment(a Assessment) Assessment {
	out := Assessment{ID: a.ID, ControlSets: make([]ControlSet, len(a.ControlSets))}
	for i, cs := range a.ControlSets {
		out.ControlSets[i] = ControlSet{Name: cs.Name, ControlIDs: slices.Clone(cs.ControlIDs)}
	}
	return out
}

// Assessment returns the assessment the emulator hosts in the home region, owned by the
// administrator account.
func (s *Server) Assessment() Assessment { return cloneAssessment(s.am().assessment) }

// ImportedEvidence lists the manual evidence imported to a control, in import order. The file
// bytes are copies.
func (s *Server) ImportedEvidence(assessmentID, controlSetID, controlID string) []ImportedEvidence {
	st := s.am()
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []ImportedEvidence
	for _, e := range st.imported[amControlKey(assessmentID, controlSetID, controlID)] {
		e.File = slices.Clone(e.File)
		out = append(out, e)
	}
	return out
}

func amControlKey(assessmentID, controlSetID, controlID string) string {
	return assessmentID + "\x00" + controlSetID + "\x00" + controlID
}

// ---------------------------------------------------------------------------------------------
// Errors

var (
	uuidRE  = regexp.MustCompile(`^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$`)
	s3URLRE = regexp.MustCompile(`^(S|s)3:\/\/[a-zA-Z0-9\-\.\(\)\'\*\_\!\=\+\@\:\s\,\?\/]+$`)
)

// amError is an Audit Manager error response.
type amError struct {
	status       int
	code         string
	message      string
	field        string // ValidationException: the field that failed
	resourceID   string // ResourceNotFoundException
	resourceType string
}

func amValidation(field, format string, args ...any) *amError {
	return &amError{status: http.StatusBadRequest, code: "ValidationException", message: fmt.Sprintf(format, args...), field: field}
}

func amNotFound(typ, id string) *amError {
	return &amError{status: http.StatusNotFound, code: "ResourceNotFoundException", resourceType: typ, resourceID: id,
		message: fmt.Sprintf("The %s %s doesn't exist", strings.ToLower(strings.ReplaceAll(typ, "_", " ")), id)}
}

func writeAMError(w http.ResponseWriter, e *amError) {
	body := map[string]any{"message": e.message}
	switch e.code {
	case "ValidationException":
		body["reason"] = "fieldValidationFailed"
		if e.field != "" {
			body["fields"] = []map[string]string{{"name": e.field, "message": e.message}}
		} else {
			body["reason"] = "other"
		}
	case "ResourceNotFoundException":
		body["resourceId"] = e.resourceID
		body["resourceType"] = e.resourceType
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// ---------------------------------------------------------------------------------------------
// Routing

// amOperation names the Audit Manager operation of a request and its path labels, unescaped.
func amOperation(r *http.Request) (op string, labels []string) {
	p := r.URL.EscapedPath()
	if r.Method == http.MethodGet && p == "/evidenceFileUploadUrl" {
		return "GetEvidenceFileUploadUrl", nil
	}
	// /assessments/{assessmentId}/controlSets/{controlSetId}/controls/{controlId}/evidence. The
	// labels are not greedy: the SDK percent-escapes every byte but A-Z a-z 0-9 - . _ ~, slashes
	// included, so splitting the escaped path on "/" and unescaping each segment gets them back.
	seg := strings.Split(p, "/")
	if r.Method == http.MethodPost && len(seg) == 8 && seg[0] == "" && seg[1] == "assessments" &&
		seg[3] == "controlSets" && seg[5] == "controls" && seg[7] == "evidence" {
		for _, i := range []int{2, 4, 6} {
			v, err := url.PathUnescape(seg[i])
			if err != nil {
				v = seg[i]
			}
			labels = append(labels, v)
		}
		return "BatchImportEvidenceToAssessmentControl", labels
	}
	return "", nil
}

func (s *Server) serveAuditManager(w http.ResponseWriter, r *http.Request, c caller, authErr error) {
	op, labels := amOperation(r)
	if op == "" {
		s.count("Unknown")
		writeAMError(w, &amError{status: http.StatusNotFound, code: "UnknownOperationException",
			message: fmt.Sprintf("fakeaws: no Audit Manager operation for %s %s", r.Method, r.URL.Path)})
		return
	}
	s.count(op)
	if authErr != nil {
		writeAMError(w, &amError{status: http.StatusForbidden, code: "MissingAuthenticationTokenException", message: "Missing Authentication Token"})
		return
	}
	if serverErr, throttled := s.fault(true); serverErr {
		writeAMError(w, &amError{status: http.StatusInternalServerError, code: "InternalServerException", message: "Internal service error (injected)"})
		return
	} else if throttled {
		writeAMError(w, &amError{status: http.StatusTooManyRequests, code: "ThrottlingException", message: "Rate exceeded (injected)"})
		return
	}
	if !s.allow(c, "AuditManager") {
		writeAMError(w, &amError{status: http.StatusTooManyRequests, code: "ThrottlingException", message: "Rate exceeded"})
		return
	}
	if err := validateAuditManagerOptions(s.opts.AuditManager); err != nil {
		writeAMError(w, &amError{status: http.StatusInternalServerError, code: "InternalServerException", message: err.Error()})
		return
	}
	if c.account != s.admin {
		writeAMError(w, &amError{status: http.StatusForbidden, code: "AccessDeniedException",
			message: "Your account isn't registered with AWS Audit Manager. Check the delegated administrator setup on the Audit Manager settings page, and try again."})
		return
	}
	var res any
	var err *amError
	switch op {
	case "GetEvidenceFileUploadUrl":
		res, err = s.getEvidenceFileUploadURL(r, c)
	case "BatchImportEvidenceToAssessmentControl":
		body, rerr := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if rerr != nil {
			writeAMError(w, amValidation("", "reading request body: %v", rerr))
			return
		}
		res, err = s.batchImportEvidence(c, labels[0], labels[1], labels[2], body)
	}
	if err != nil {
		writeAMError(w, err)
		return
	}
	writeJSON(w, "application/json", res)
}

// ---------------------------------------------------------------------------------------------
// GetEvidenceFileUploadUrl

func (s *Server) getEvidenceFileUploadURL(r *http.Request, c caller) (any, *amError) {
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
	sum := sha256.Sum256([]byte(fmt.Sprintf("upload/%d/%s/%s", st.seq, c.account, name)))
	h := hex.EncodeToString(sum[:])
	// Audit Manager makes the object key unique; keep the name (and its extension) readable and
	// within the 300 characters that BatchImportEvidenceToAssessmentControl accepts.
	prefix := h[:12] + "-"
	stored := name
	if runes := []rune(name); len(runes)+len(prefix) > amMaxFileName {
		stored = string(runes[len(runes)+len(prefix)-amMaxFileName:])
	}
	u := &amUpload{evidenceFileName: prefix + stored, token: h[12:44], signature: h[:64],
		account: c.account, region: c.region, issued: time.Now()}
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
	v.Set("X-Amz-Credential", "ASIAFAKEAUDITMANAGER/"+date[:8]+"/"+c.region+"/s3/aws4_request")
	v.Set("X-Amz-Date", date)
	v.Set("X-Amz-Expires", strconv.Itoa(int(amUploadExpiry/time.Second)))
	v.Set("X-Amz-SignedHeaders", "host")
	v.Set("X-Amz-Signature", u.signature)
	uploadURL := scheme + "://" + r.Host + UploadPathPrefix + u.token + "?" + v.Encode()
	return map[string]string{"evidenceFileName": u.evidenceFileName, "uploadUrl": uploadURL}, nil
}

// serveUpload is the presigned S3 PUT. It answers as S3 does, with XML errors. Only the token
// and signature are checked; the signature is not recomputed.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	s3err := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
	}
	if r.Method != http.MethodPut {
		s3err(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
		return
	}
	if serverErr, _ := s.fault(false); serverErr {
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
	s.mu.Lock()
	s.stats.Uploads++
	s.mu.Unlock()
	sum := md5.Sum(data)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	w.WriteHeader(http.StatusOK)
}

// ---------------------------------------------------------------------------------------------
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

func (s *Server) batchImportEvidence(c caller, assessmentID, controlSetID, controlID string, body []byte) (any, *amError) {
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
	if assessmentID != a.ID || c.region != s.HomeRegion() {
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
			if u == nil || !u.uploaded || u.account != c.account || u.region != c.region {
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
	s.mu.Lock()
	s.stats.EvidenceImported += imported
	s.mu.Unlock()
	return map[string]any{"errors": errs}, nil
}
