// Package auditmanager emulates AWS Audit Manager (rest-json, API version 2017-07-25):
// GetEvidenceFileUploadUrl and BatchImportEvidenceToAssessmentControl, plus the presigned S3 PUT
// that GetEvidenceFileUploadUrl hands out (ServeUpload).
package auditmanager

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

// The presigned PUT is served by the emulator itself under UploadPathPrefix. The administrator account is the Audit Manager delegated administrator; other accounts get
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

// Options configures the emulated Audit Manager. A nil *Options takes the defaults.
type Options struct {
	// Assessment replaces the default assessment (see Service.Assessment). Its id and control ids
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

// amState is the Audit Manager state, made on first use.
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

// Service is the emulated Audit Manager. It is safe for concurrent use.
type Service struct {
	core  *core.Core
	admin string // the delegated administrator
	home  string // the region of the assessment
	opts  *Options
	seed  int64

	amOnce  sync.Once
	amState *amState // assessments, uploads, imported evidence
}

// New serves the assessment of opts (nil: the default one, derived from seed) to admin in home.
// opts is checked on each request, which answers InternalServerException naming a bad field.
func New(c *core.Core, admin, home string, opts *Options, seed int64) *Service {
	return &Service{core: c, admin: admin, home: home, opts: opts, seed: seed}
}

// RefuseExpired answers a request signed with expired credentials.
func (s *Service) RefuseExpired(w http.ResponseWriter) {
	writeAMError(w, &amError{status: http.StatusForbidden, code: "ExpiredTokenException", message: core.ExpiredMessage})
}

// am returns the Audit Manager state, creating it on first use.
func (s *Service) am() *amState {
	s.amOnce.Do(func() { s.amState = newAMState(s.opts, s.seed) })
	return s.amState
}

func newAMState(o *Options, seed int64) *amState {
	st := &amState{
		dailyLimit:  DefaultDailyUploadsPerControl,
		uploads:     map[string]*amUpload{},
		byToken:     map[string]*amUpload{},
		imported:    map[string][]ImportedEvidence{},
		dailyCounts: map[string]int{},
	}
	if o != nil {
		if o.DailyUploadsPerControl > 0 {
			st.dailyLimit = o.DailyUploadsPerControl
		}
		if o.Assessment != nil {
			st.assessment = cloneAssessment(*o.Assessment)
			return st
		}
	}
	st.assessment = defaultAssessment(seed)
	return st
}

// validateOptions checks Options. New does not (the emulator has always started with whatever
// Audit Manager options it was given), so each Audit Manager request checks them and answers
// InternalServerException naming the bad field.
func validateOptions(o *Options) error {
	if o == nil {
		return nil
	}
	if o.DailyUploadsPerControl < 0 {
		return &core.OptionsError{Field: "AuditManager.DailyUploadsPerControl", Reason: "negative"}
	}
	if a := o.Assessment; a != nil {
		if !uuidRE.MatchString(a.ID) {
			return &core.OptionsError{Field: "AuditManager.Assessment.ID", Reason: fmt.Sprintf("%q is not a lowercase UUID", a.ID)}
		}
		for _, cs := range a.ControlSets {
			if n := utf8.RuneCountInString(cs.Name); n < 1 || n > amMaxControlSetID {
				return &core.OptionsError{Field: "AuditManager.Assessment.ControlSets", Reason: fmt.Sprintf("name %q is not 1-300 characters", cs.Name)}
			}
			for _, id := range cs.ControlIDs {
				if !uuidRE.MatchString(id) {
					return &core.OptionsError{Field: "AuditManager.Assessment.ControlSets", Reason: fmt.Sprintf("control id %q is not a lowercase UUID", id)}
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
	a := Assessment{ID: core.HashUUID(fmt.Sprintf("auditmanager/%d/assessment", seed))}
	for _, cs := range sets {
		set := ControlSet{Name: cs.name}
		for i := range cs.controls {
			set.ControlIDs = append(set.ControlIDs, core.HashUUID(fmt.Sprintf("auditmanager/%d/%s/%d", seed, cs.name, i)))
		}
		a.ControlSets = append(a.ControlSets, set)
	}
	return a
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
func (s *Service) Assessment() Assessment { return cloneAssessment(s.am().assessment) }

// ImportedEvidence lists the manual evidence imported to a control, in import order. The file
// bytes are copies.
func (s *Service) ImportedEvidence(assessmentID, controlSetID, controlID string) []ImportedEvidence {
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

// ServeHTTP answers a request of caller c; authErr says it carried no credentials.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request, c core.Caller, authErr error) {
	op, labels := amOperation(r)
	if op == "" {
		s.core.Count("Unknown")
		writeAMError(w, &amError{status: http.StatusNotFound, code: "UnknownOperationException",
			message: fmt.Sprintf("fakeaws: no Audit Manager operation for %s %s", r.Method, r.URL.Path)})
		return
	}
	s.core.Count(op)
	if authErr != nil {
		writeAMError(w, &amError{status: http.StatusForbidden, code: "MissingAuthenticationTokenException", message: "Missing Authentication Token"})
		return
	}
	if serverErr, throttled := s.core.Fault(true); serverErr {
		writeAMError(w, &amError{status: http.StatusInternalServerError, code: "InternalServerException", message: "Internal service error (injected)"})
		return
	} else if throttled {
		writeAMError(w, &amError{status: http.StatusTooManyRequests, code: "ThrottlingException", message: "Rate exceeded (injected)"})
		return
	}
	if !s.core.Allow(c, "AuditManager") {
		writeAMError(w, &amError{status: http.StatusTooManyRequests, code: "ThrottlingException", message: "Rate exceeded"})
		return
	}
	if err := validateOptions(s.opts); err != nil {
		writeAMError(w, &amError{status: http.StatusInternalServerError, code: "InternalServerException", message: err.Error()})
		return
	}
	if c.Account != s.admin {
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
	core.WriteJSON(w, "application/json", res)
}
