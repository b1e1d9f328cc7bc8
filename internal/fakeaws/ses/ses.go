// Package ses emulates Amazon SES API v2 (rest-json, API version 2019-09-27, signing name
// "ses"): SendEmail, with verified identities and a maximum send rate.
package ses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"sync"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
	"golang.org/x/time/rate"
)

// Errors carry the code in the X-Amzn-ErrorType header and a body {"message": ...}, as SES v2
// sends them. What the emulator checks, and how it answers:
//   - the request body is not JSON, or Content is missing or has not exactly one of Simple, Raw
//     and Template, or a required member is missing, or an address does not parse, or there is
//     no sender (FromEmailAddress, or for Raw the message's From header), or no recipient, or
//     more than 50 recipients (To, Cc and Bcc together): 400 BadRequestException;
//   - a Raw message over 40 MB (decoded), or whose header does not parse: 400 MessageRejected;
//   - a sender that is not a verified identity (New's identities): 400
//     MessageRejected "Email address is not verified. ...";
//   - Template by name or ARN: 404 NotFoundException (the emulator has no stored templates; send
//     the TemplateContent inline);
//   - injected throttling or over the maximum send rate: 429 TooManyRequestsException;
//     injected server errors: 500 InternalFailure.
//
// For Raw, the recipients are Destination's when it names any, else the To, Cc and Bcc headers
// of the message, as SES takes them.
//
// Not emulated: the sandbox (recipients need not be verified), sending quotas per day,
// configuration sets, tenants, stored templates, the 1,000-character line limit.

// SES v2 limits.
const (
	MaxRecipients     = 50       // To, Cc and Bcc together, per message
	MaxRawMessageSize = 40 << 20 // bytes, after base64 decoding, attachments included
	// sesMaxRequestBody bounds the request body read: a 40 MB message base64-encoded plus room
	// for the other members.
	sesMaxRequestBody = MaxRawMessageSize/3*4 + 8<<20
)

// SentEmail is an email SendEmail accepted. The JSON names are those of MessagesPath.
type SentEmail struct {
	From      string   `json:"from"`           // the sender's address (FromEmailAddress, or the Raw message's From)
	To        []string `json:"to"`             // every destination: To, Cc and Bcc, in that order
	Subject   string   `json:"subject"`        // Simple's or Template content's subject, or the Raw message's Subject header (decoded)
	Text      string   `json:"text,omitempty"` // Simple: the text body
	HTML      string   `json:"html,omitempty"` // Simple: the HTML body
	Raw       []byte   `json:"raw,omitempty"`  // Raw: the message as sent, decoded (base64 in JSON); nil for Simple and Template
	MessageID string   `json:"message_id"`
}

// MessagesPath is where the emulator lists the emails SendEmail accepted, for tests that run
// it as a separate process and cannot call SentEmails (moto's /moto-api/ and localstack's
// /_aws/ses do the same): GET answers {"messages": [SentEmail...]} in the order sent. It needs no
// signature. No S3 bucket name starts with "_", so the path never shadows a bucket.
const MessagesPath = "/_fakeaws/ses/messages"

// ServeMessages answers GET MessagesPath.
func (s *Service) ServeMessages(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "fakeaws: "+MessagesPath+" answers GET only", http.StatusMethodNotAllowed)
		return
	}
	core.WriteJSON(w, "application/json", map[string][]SentEmail{"messages": s.SentEmails()})
}

// checkSESIdentities refuses an identity SES could not verify: an email address without a
// display name, or a domain name.
func checkSESIdentities(ids []string) error {
	for _, id := range ids {
		if id = strings.TrimSpace(id); id == "" {
			continue // as sesVerified does
		}
		domain := id
		if _, d, isAddr := strings.Cut(id, "@"); isAddr {
			domain = d
			if a, err := mail.ParseAddress(id); err != nil || a.Name != "" || a.Address != id {
				return &core.OptionsError{Field: "SESVerifiedIdentities", Reason: fmt.Sprintf("%q is not an email address", id)}
			}
		}
		if !validDomain(domain) {
			return &core.OptionsError{Field: "SESVerifiedIdentities", Reason: fmt.Sprintf("%q is neither an email address nor a domain name", id)}
		}
	}
	return nil
}

// validDomain: dot-separated labels of letters, digits and hyphens, at least two labels.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 || len(d) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.Trim(strings.ToLower(l), "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return false
		}
	}
	return true
}

// Service is the emulated SES. It is safe for concurrent use.
type Service struct {
	core        *core.Core
	identities  []string
	maxSendRate float64

	sesOnce  sync.Once
	sesState *sesState // sent emails
}

// New verifies identities, email addresses and domains (a domain covers its addresses and
// subdomains; none: every sender is verified), and limits sending to maxSendRate recipients a
// second (0: unlimited).
func New(c *core.Core, identities []string, maxSendRate float64) (*Service, error) {
	if err := checkSESIdentities(identities); err != nil {
		return nil, err
	}
	return &Service{core: c, identities: identities, maxSendRate: maxSendRate}, nil
}

// RefuseExpired answers a request signed with expired credentials.
func (s *Service) RefuseExpired(w http.ResponseWriter) {
	writeSESError(w, &sesError{http.StatusForbidden, "ExpiredTokenException", core.ExpiredMessage})
}

// sesState is what SES has sent, made on first use.
type sesState struct {
	mu      sync.Mutex
	seq     uint64
	sent    []SentEmail
	limiter *rate.Limiter // nil: unlimited
}

func (s *Service) ses() *sesState {
	s.sesOnce.Do(func() {
		st := &sesState{}
		if r := s.maxSendRate; r > 0 {
			st.limiter = rate.NewLimiter(rate.Limit(r), max(1, int(math.Ceil(r))))
		}
		s.sesState = st
	})
	return s.sesState
}

// SentEmails lists the emails SendEmail accepted, in order. Raw bytes are copies.
func (s *Service) SentEmails() []SentEmail {
	st := s.ses()
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]SentEmail, len(st.sent))
	for i, e := range st.sent {
		e.To = slices.Clone(e.To)
		e.Raw = slices.Clone(e.Raw)
		out[i] = e
	}
	return out
}

type sesError struct {
	status  int
	code    string
	message string
}

func sesBadRequest(format string, args ...any) *sesError {
	return &sesError{http.StatusBadRequest, "BadRequestException", fmt.Sprintf(format, args...)}
}

func sesRejected(format string, args ...any) *sesError {
	return &sesError{http.StatusBadRequest, "MessageRejected", fmt.Sprintf(format, args...)}
}

func writeSESError(w http.ResponseWriter, e *sesError) {
	b, _ := json.Marshal(map[string]string{"message": e.message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// ServeHTTP answers a request of caller c; authErr says it carried no credentials.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request, c core.Caller, authErr error) {
	if r.Method != http.MethodPost || r.URL.EscapedPath() != "/v2/email/outbound-emails" {
		s.core.Count("Unknown")
		writeSESError(w, &sesError{http.StatusNotFound, "UnknownOperationException",
			fmt.Sprintf("fakeaws: no SES v2 operation for %s %s", r.Method, r.URL.Path)})
		return
	}
	s.core.Count("SendEmail")
	if authErr != nil {
		writeSESError(w, &sesError{http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token"})
		return
	}
	if serverErr, throttled := s.core.Fault(true); serverErr {
		writeSESError(w, &sesError{http.StatusInternalServerError, "InternalFailure", "An internal error occurred (injected)"})
		return
	} else if throttled {
		writeSESError(w, &sesError{http.StatusTooManyRequests, "TooManyRequestsException", "Maximum sending rate exceeded. (injected)"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, sesMaxRequestBody+1))
	if err != nil {
		writeSESError(w, sesBadRequest("reading request body: %v", err))
		return
	}
	if len(body) > sesMaxRequestBody {
		writeSESError(w, sesRejected("Message length is more than %d bytes long.", MaxRawMessageSize))
		return
	}
	e, serr := s.sendEmail(c, body)
	if serr != nil {
		writeSESError(w, serr)
		return
	}
	core.WriteJSON(w, "application/json", map[string]string{"MessageId": e.MessageID})
}

type sesContent struct {
	Data    *string `json:"Data"`
	Charset *string `json:"Charset"`
}

type sesSendEmailRequest struct {
	FromEmailAddress *string
	Destination      *struct {
		ToAddresses, CcAddresses, BccAddresses []string
	}
	ReplyToAddresses []string
	Content          *struct {
		Simple *struct {
			Subject *sesContent
			Body    *struct{ Text, Html *sesContent }
		}
		Raw *struct {
			Data []byte // base64 in JSON
		}
		Template *struct {
			TemplateName    *string
			TemplateArn     *string
			TemplateContent *struct{ Subject, Text, Html *string }
			TemplateData    *string
		}
	}
}

func (s *Service) sendEmail(c core.Caller, body []byte) (*SentEmail, *sesError) {
	var in sesSendEmailRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, sesBadRequest("Invalid request body: %v", err)
	}
	if in.Content == nil {
		return nil, sesBadRequest("Content is required.")
	}
	kinds := 0
	for _, set := range []bool{in.Content.Simple != nil, in.Content.Raw != nil, in.Content.Template != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return nil, sesBadRequest("Content must contain exactly one of Simple, Raw or Template; it has %d.", kinds)
	}
	var e SentEmail
	var header mail.Header // Raw only
	switch ct := in.Content; {
	case ct.Simple != nil:
		m := ct.Simple
		if m.Subject == nil || m.Subject.Data == nil {
			return nil, sesBadRequest("Subject is required.")
		}
		if m.Body == nil {
			return nil, sesBadRequest("Body is required.")
		}
		e.Subject = *m.Subject.Data
		if m.Body.Text != nil {
			if m.Body.Text.Data == nil {
				return nil, sesBadRequest("Body.Text.Data is required.")
			}
			e.Text = *m.Body.Text.Data
		}
		if m.Body.Html != nil {
			if m.Body.Html.Data == nil {
				return nil, sesBadRequest("Body.Html.Data is required.")
			}
			e.HTML = *m.Body.Html.Data
		}
	case ct.Raw != nil:
		data := ct.Raw.Data
		if len(data) == 0 {
			return nil, sesBadRequest("Raw.Data is required.")
		}
		if len(data) > MaxRawMessageSize {
			return nil, sesRejected("Message length is more than %d bytes long: '%d'.", MaxRawMessageSize, len(data))
		}
		msg, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			return nil, sesRejected("Could not parse the message header: %v", err)
		}
		header = msg.Header
		e.Raw = data
		e.Subject = decodeHeader(header.Get("Subject"))
	default:
		t := ct.Template
		if t.TemplateContent == nil {
			name := t.TemplateName
			if name == nil {
				name = t.TemplateArn
			}
			if name == nil {
				return nil, sesBadRequest("Template must have TemplateName, TemplateArn or TemplateContent.")
			}
			return nil, &sesError{http.StatusNotFound, "NotFoundException", fmt.Sprintf("Template %s does not exist.", *name)}
		}
		if t.TemplateContent.Subject != nil {
			e.Subject = *t.TemplateContent.Subject
		}
		if t.TemplateData != nil && !json.Valid([]byte(*t.TemplateData)) {
			return nil, sesBadRequest("TemplateData is not valid JSON.")
		}
	}

	// The sender.
	from := ""
	if in.FromEmailAddress != nil && *in.FromEmailAddress != "" {
		from = *in.FromEmailAddress
	} else if header != nil {
		from = header.Get("From")
		if from == "" {
			return nil, sesBadRequest("Missing required header 'From'.")
		}
	} else {
		return nil, sesBadRequest("FromEmailAddress is required.")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, sesBadRequest("Illegal address: %q", from)
	}
	e.From = addr.Address

	// The recipients.
	if d := in.Destination; d != nil {
		for _, list := range [][]string{d.ToAddresses, d.CcAddresses, d.BccAddresses} {
			for _, a := range list {
				p, err := mail.ParseAddress(a)
				if err != nil {
					return nil, sesBadRequest("Illegal address: %q", a)
				}
				e.To = append(e.To, p.Address)
			}
		}
	}
	if len(e.To) == 0 && header != nil {
		for _, h := range []string{"To", "Cc", "Bcc"} {
			if header.Get(h) == "" {
				continue
			}
			list, err := header.AddressList(h)
			if err != nil {
				return nil, sesRejected("Illegal address in the %s header: %v", h, err)
			}
			for _, a := range list {
				e.To = append(e.To, a.Address)
			}
		}
	}
	for _, a := range in.ReplyToAddresses {
		if _, err := mail.ParseAddress(a); err != nil {
			return nil, sesBadRequest("Illegal address: %q", a)
		}
	}
	switch n := len(e.To); {
	case n == 0:
		return nil, sesBadRequest("Recipient count is 0: the message needs at least one To, Cc or Bcc address.")
	case n > MaxRecipients:
		return nil, sesBadRequest("Recipient count exceeds %d.", MaxRecipients)
	}

	if !s.sesVerified(e.From) {
		return nil, sesRejected("Email address is not verified. The following identities failed the check in region %s: %s",
			strings.ToUpper(c.Region), e.From)
	}

	st := s.ses()
	if st.limiter != nil && !st.limiter.Allow() {
		s.core.Update(func(st *core.Stats) { st.Throttled++ })
		return nil, &sesError{http.StatusTooManyRequests, "TooManyRequestsException", "Maximum sending rate exceeded."}
	}
	st.mu.Lock()
	st.seq++
	id := core.HashUUID(fmt.Sprintf("ses/%d/%s/%s", st.seq, c.Account, e.From))
	e.MessageID = fmt.Sprintf("0100%012x-%s-000000", st.seq, id)
	e.Raw = slices.Clone(e.Raw)
	st.sent = append(st.sent, e)
	st.mu.Unlock()
	s.core.Update(func(st *core.Stats) { st.EmailsSent++ })
	return &e, nil
}

// sesVerified reports whether addr may send: it or its domain (or a parent domain) is listed in
// the identities New was given, or the list is empty.
func (s *Service) sesVerified(addr string) bool {
	ids := s.identities
	if len(ids) == 0 {
		return true
	}
	addr = strings.ToLower(addr)
	_, domain, _ := strings.Cut(addr, "@")
	for _, id := range ids {
		id = strings.ToLower(strings.TrimSpace(id))
		if id == "" {
			continue
		}
		if strings.Contains(id, "@") {
			if id == addr {
				return true
			}
			continue
		}
		if domain == id || strings.HasSuffix(domain, "."+id) {
			return true
		}
	}
	return false
}

var wordDecoder = &mime.WordDecoder{}

// decodeHeader decodes RFC 2047 encoded words; undecodable text is returned as is.
func decodeHeader(v string) string {
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}
