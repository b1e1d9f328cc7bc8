// Package auditmanager imports evidence into an AWS Audit Manager assessment: files uploaded with
// GetEvidenceFileUploadUrl and a presigned PUT, and text responses, attached to assessment controls
// with BatchImportEvidenceToAssessmentControl.
//
// Limits are Audit Manager's (API model 2017-07-25 and its quotas page): at most 50 manual
// evidence items per import call, text responses of at most 1,000 characters, file names of at
// most 300 characters without '/', files of at most 100 MB, and 100 file uploads per control per
// day. Validate checks what can be checked before anything is sent; the daily quota also counts
// what was imported earlier the same day, which only the service knows, so it can still fail per
// item.
package auditmanager

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/auditmanager"
	"github.com/aws/aws-sdk-go-v2/service/auditmanager/types"
)

// Audit Manager's limits.
const (
	MaxItemsPerCall          = 50        // manual evidence items per BatchImportEvidenceToAssessmentControl call
	MaxTextResponse          = 1000      // characters (Unicode code points, the model's unit) in a text response
	MaxFileName              = 300       // characters in a file name
	MaxFileSize              = 100 << 20 // bytes in one evidence file
	MaxUploadsPerControl     = 100       // file uploads per control per day
	MaxControlSetID          = 300       // characters in a control set id (its name)
	defaultHTTPTimeout       = 5 * time.Minute
	putAttempts              = 3
	putBackoff               = 200 * time.Millisecond
	textResponseEvidenceName = "text response"
)

// Operations lists the IAM actions Push calls (for the deployment's least-privilege policy). The
// presigned PUT needs no permission of the caller's.
var Operations = []string{"auditmanager:GetEvidenceFileUploadUrl", "auditmanager:BatchImportEvidenceToAssessmentControl"}

// Item is one piece of evidence for one assessment control: a file to upload, or a text response,
// or both (then two manual evidence items are imported).
type Item struct {
	ControlSetID string // the control set's name as Audit Manager shows it
	ControlID    string // UUID
	FileName     string // "" when no file
	File         []byte
	TextResponse string // "" when none; at most 1,000 characters
}

// ItemError is a manual evidence item that Audit Manager did not import: an entry of a
// BatchImportEvidenceToAssessmentControl response's errors.
type ItemError struct {
	ControlSetID, ControlID string
	Evidence                string // the file name (as given in Item.FileName) or "text response"
	Code, Message           string // Audit Manager's errorCode (three digits) and errorMessage
}

func (e ItemError) Error() string {
	return fmt.Sprintf("audit manager: control set %q control %s: %s not imported: %s %s",
		e.ControlSetID, e.ControlID, e.Evidence, e.Code, e.Message)
}

// Result is what a Push did.
type Result struct {
	Uploaded int         // files uploaded
	Imported int         // manual evidence items imported
	Errors   []ItemError // items Audit Manager did not import
}

// API is the part of the Audit Manager client Push calls.
type API interface {
	GetEvidenceFileUploadUrl(ctx context.Context, in *sdk.GetEvidenceFileUploadUrlInput, optFns ...func(*sdk.Options)) (*sdk.GetEvidenceFileUploadUrlOutput, error)
	BatchImportEvidenceToAssessmentControl(ctx context.Context, in *sdk.BatchImportEvidenceToAssessmentControlInput, optFns ...func(*sdk.Options)) (*sdk.BatchImportEvidenceToAssessmentControlOutput, error)
}

var _ API = (*sdk.Client)(nil)

// Options tune Push.
type Options struct {
	HTTPClient *http.Client // for the presigned PUT; nil: a default with a 5-minute timeout
	DryRun     io.Writer    // non-nil: print what would be imported and call nothing
}

// ValidationError is an assessment id or item that Audit Manager would reject. Index is the
// item's position in the slice given to Validate or Push, -1 for the assessment id.
type ValidationError struct {
	Index        int
	ControlSetID string
	ControlID    string
	Field        string // "assessmentID", "ControlSetID", "ControlID", "FileName", "File", "TextResponse"
	Reason       string
}

func (e *ValidationError) Error() string {
	if e.Index < 0 {
		return "audit manager: " + e.Field + ": " + e.Reason
	}
	return fmt.Sprintf("audit manager: item %d (control set %q, control %s): %s: %s",
		e.Index, e.ControlSetID, e.ControlID, e.Field, e.Reason)
}

var uuidRE = regexp.MustCompile(`^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$`)

// Validate checks ids and limits before anything is sent: assessmentID and control ids are
// 36-character lowercase UUIDs, control set ids 1-300 characters, every item has a file or a text
// response, file names 1-300 characters without '/', files at most 100 MB, text responses at most
// 1,000 characters, and at most 100 file uploads per control in one push. The error is a
// *ValidationError naming the first bad item.
func Validate(assessmentID string, items []Item) error {
	if !uuidRE.MatchString(assessmentID) {
		return &ValidationError{Index: -1, Field: "assessmentID", Reason: fmt.Sprintf("%q is not a lowercase UUID", assessmentID)}
	}
	uploads := map[controlKey]int{}
	for i, it := range items {
		bad := func(field, format string, args ...any) error {
			return &ValidationError{Index: i, ControlSetID: it.ControlSetID, ControlID: it.ControlID, Field: field,
				Reason: fmt.Sprintf(format, args...)}
		}
		if n := utf8.RuneCountInString(it.ControlSetID); n < 1 || n > MaxControlSetID {
			return bad("ControlSetID", "%d characters, not 1-%d", n, MaxControlSetID)
		}
		if !uuidRE.MatchString(it.ControlID) {
			return bad("ControlID", "%q is not a lowercase UUID", it.ControlID)
		}
		if it.FileName == "" && it.TextResponse == "" {
			return bad("FileName", "the item has neither a file nor a text response")
		}
		if it.FileName == "" && it.File != nil {
			return bad("FileName", "a file needs a name")
		}
		if it.FileName != "" {
			if n := utf8.RuneCountInString(it.FileName); n > MaxFileName {
				return bad("FileName", "%d characters, more than %d", n, MaxFileName)
			}
			if strings.Contains(it.FileName, "/") {
				return bad("FileName", "%q contains '/'", it.FileName)
			}
			if len(it.File) > MaxFileSize {
				return bad("File", "%d bytes, more than 100 MB", len(it.File))
			}
			k := controlKey{it.ControlSetID, it.ControlID}
			if uploads[k]++; uploads[k] > MaxUploadsPerControl {
				return bad("FileName", "file %q is upload %d for this control; Audit Manager takes %d a day",
					it.FileName, uploads[k], MaxUploadsPerControl)
			}
		}
		if n := utf8.RuneCountInString(it.TextResponse); n > MaxTextResponse {
			return bad("TextResponse", "%d characters, more than %d", n, MaxTextResponse)
		}
	}
	return nil
}

type controlKey struct{ controlSetID, controlID string }

// group collects items per control, controls in order of first appearance, items in order.
func group(items []Item) ([]controlKey, map[controlKey][]Item) {
	var order []controlKey
	by := map[controlKey][]Item{}
	for _, it := range items {
		k := controlKey{it.ControlSetID, it.ControlID}
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], it)
	}
	return order, by
}

// evidence is one manual evidence item to import: a file (uploaded just before its batch is
// imported) or a text response.
type evidence struct {
	fileName string // "" for text
	file     []byte
	text     string
}

func expand(items []Item) []evidence {
	var out []evidence
	for _, it := range items {
		if it.FileName != "" {
			out = append(out, evidence{fileName: it.FileName, file: it.File})
		}
		if it.TextResponse != "" {
			out = append(out, evidence{text: it.TextResponse})
		}
	}
	return out
}

// Push validates items, then per control uploads the files (GetEvidenceFileUploadUrl and an HTTP
// PUT to the presigned URL) and imports them with the text responses in calls of at most 50
// manual evidence items (BatchImportEvidenceToAssessmentControl). Files are uploaded batch by
// batch, just before their import, so a failure leaves few uploaded files unimported.
//
// Items Audit Manager rejects in a call's errors are collected in Result.Errors and the push goes
// on. A call that fails entirely (or a PUT that fails after retries) stops the push: the error
// names the control and wraps the SDK error, and the Result counts what was done until then.
//
// With opt.DryRun set, Push validates, writes the plan and calls nothing; the Result is empty.
func Push(ctx context.Context, api API, assessmentID string, items []Item, opt Options) (Result, error) {
	var res Result
	if err := Validate(assessmentID, items); err != nil {
		return res, err
	}
	order, by := group(items)
	if opt.DryRun != nil {
		return res, writePlan(opt.DryRun, assessmentID, order, by)
	}
	hc := opt.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultHTTPTimeout}
	}
	for _, k := range order {
		ev := expand(by[k])
		for start := 0; start < len(ev); start += MaxItemsPerCall {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			batch := ev[start:min(start+MaxItemsPerCall, len(ev))]
			if err := importBatch(ctx, api, hc, assessmentID, k, batch, &res); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// importBatch uploads the batch's files and imports the batch.
func importBatch(ctx context.Context, api API, hc *http.Client, assessmentID string, k controlKey, batch []evidence, res *Result) error {
	manual := make([]types.ManualEvidence, 0, len(batch))
	fileNames := map[string]string{} // evidenceFileName -> the item's FileName
	for _, e := range batch {
		if e.fileName == "" {
			manual = append(manual, types.ManualEvidence{TextResponse: aws.String(e.text)})
			continue
		}
		name, err := upload(ctx, api, hc, e.fileName, e.file)
		if err != nil {
			return fmt.Errorf("audit manager: control set %q control %s: upload %s: %w", k.controlSetID, k.controlID, e.fileName, err)
		}
		res.Uploaded++
		fileNames[name] = e.fileName
		manual = append(manual, types.ManualEvidence{EvidenceFileName: aws.String(name)})
	}
	out, err := api.BatchImportEvidenceToAssessmentControl(ctx, &sdk.BatchImportEvidenceToAssessmentControlInput{
		AssessmentId: aws.String(assessmentID), ControlSetId: aws.String(k.controlSetID), ControlId: aws.String(k.controlID),
		ManualEvidence: manual,
	})
	if err != nil {
		return fmt.Errorf("audit manager: import %d items to control set %q control %s: %w", len(manual), k.controlSetID, k.controlID, err)
	}
	res.Imported += len(manual) - len(out.Errors)
	for _, e := range out.Errors {
		ie := ItemError{ControlSetID: k.controlSetID, ControlID: k.controlID,
			Code: aws.ToString(e.ErrorCode), Message: aws.ToString(e.ErrorMessage)}
		switch m := e.ManualEvidence; {
		case m == nil:
			ie.Evidence = "unknown item"
		case m.EvidenceFileName != nil:
			ie.Evidence = fileNames[*m.EvidenceFileName]
			if ie.Evidence == "" {
				ie.Evidence = *m.EvidenceFileName
			}
		case m.TextResponse != nil:
			ie.Evidence = textResponseEvidenceName
		case m.S3ResourcePath != nil:
			ie.Evidence = *m.S3ResourcePath
		default:
			ie.Evidence = "unknown item"
		}
		res.Errors = append(res.Errors, ie)
	}
	return nil
}

// upload gets a presigned URL for name and PUTs data to it, returning the evidence file name
// Audit Manager gave. The PUT carries no Content-Type: the URL is signed for the host header only,
// and the evidence is identified by its name. 5xx answers and transport errors are retried.
func upload(ctx context.Context, api API, hc *http.Client, name string, data []byte) (string, error) {
	out, err := api.GetEvidenceFileUploadUrl(ctx, &sdk.GetEvidenceFileUploadUrlInput{FileName: aws.String(name)})
	if err != nil {
		return "", err
	}
	evidenceName, uploadURL := aws.ToString(out.EvidenceFileName), aws.ToString(out.UploadUrl)
	if evidenceName == "" || uploadURL == "" {
		return "", errors.New("GetEvidenceFileUploadUrl returned no evidence file name or URL")
	}
	var lastErr error
	for attempt := range putAttempts {
		if attempt > 0 {
			t := time.NewTimer(putBackoff << (attempt - 1))
			select {
			case <-ctx.Done():
				t.Stop()
				return "", ctx.Err()
			case <-t.C:
			}
		}
		retry, err := put(ctx, hc, uploadURL, data)
		if err == nil {
			return evidenceName, nil
		}
		lastErr = err
		if !retry {
			break
		}
	}
	return "", lastErr
}

// put sends one PUT. Errors never include the URL's query, which holds the signature and the
// service's temporary credential.
func put(ctx context.Context, hc *http.Client, uploadURL string, data []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, bytes.NewReader(data))
	if err != nil {
		return false, fmt.Errorf("presigned upload URL: %w", redact(err))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return ctx.Err() == nil, fmt.Errorf("PUT presigned upload URL: %w", redact(err))
	}
	defer resp.Body.Close()
	// The body is read only for S3's error code: the rest of an S3 error (SignatureDoesNotMatch
	// above all) echoes the string to sign and the credential, presigned material that must not
	// reach logs or mail, so it is never put into the error.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	return resp.StatusCode/100 == 5, &UploadError{StatusCode: resp.StatusCode, Code: s3ErrorCode(body)}
}

// UploadError is a PUT to a presigned upload URL that the storage service refused. It carries
// the status and S3's error code, never the response body.
type UploadError struct {
	StatusCode int
	Code       string // S3's <Code>, e.g. AccessDenied; "" when the answer had none
}

func (e *UploadError) Error() string {
	code := ""
	if e.Code != "" {
		code = " (" + e.Code + ")"
	}
	var hint string
	switch {
	case e.StatusCode == http.StatusForbidden:
		hint = "the upload URL was refused (expired, or the signature or permissions do not match); run the upload again for a fresh URL"
	case e.StatusCode/100 == 5:
		hint = "the storage service failed; retried, so run the upload again later"
	default:
		hint = "the storage service refused the file; the response body is not shown because it can carry the presigned URL's signature"
	}
	return fmt.Sprintf("PUT presigned upload URL: status %d%s: %s", e.StatusCode, code, hint)
}

// s3ErrorCode returns the <Code> of an S3 XML error when it is a plain identifier (letters and
// digits, as every S3 code is), so nothing else of the body can pass through it.
func s3ErrorCode(body []byte) string {
	var x struct {
		Code string `xml:"Code"`
	}
	if xml.Unmarshal(body, &x) != nil || len(x.Code) == 0 || len(x.Code) > 64 {
		return ""
	}
	for _, c := range x.Code {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return x.Code
}

// redact drops the query string of a *url.Error's URL.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			c := *ue
			c.URL = u.String()
			return &c
		}
		c := *ue
		c.URL = "(presigned URL)"
		return &c
	}
	return err
}

// writePlan prints what Push would import, per control.
func writePlan(w io.Writer, assessmentID string, order []controlKey, by map[controlKey][]Item) error {
	files, texts := 0, 0
	for _, k := range order {
		for _, e := range expand(by[k]) {
			if e.fileName != "" {
				files++
			} else {
				texts++
			}
		}
	}
	if _, err := fmt.Fprintf(w, "dry run: would import to assessment %s: %d controls, %d files, %d text responses\n",
		assessmentID, len(order), files, texts); err != nil {
		return err
	}
	for _, k := range order {
		ev := expand(by[k])
		calls := (len(ev) + MaxItemsPerCall - 1) / MaxItemsPerCall
		if _, err := fmt.Fprintf(w, "control set %q control %s: %d items in %d calls\n", k.controlSetID, k.controlID, len(ev), calls); err != nil {
			return err
		}
		for _, e := range ev {
			var err error
			if e.fileName != "" {
				_, err = fmt.Fprintf(w, "  file %q %d bytes sha256:%x\n", e.fileName, len(e.file), sha256.Sum256(e.file))
			} else {
				_, err = fmt.Fprintf(w, "  text %q\n", e.text)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
