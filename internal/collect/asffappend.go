package collect

import (
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// AppendASFF appends f encoded as an ASFF JSON object (AwsSecurityFinding) to dst. It writes the
// bytes encoding/json wrote for this shape before (field order, omitted empty fields, map keys in
// byte order, strings escaped as json.Marshal escapes them, HTML characters included), without
// reflection or an allocation per field: the evidence package encodes a million findings, and
// json.Marshal took 6.8 s of CPU of it. TestAppendASFFMatchesEncodingJSON holds it to that
// encoder, which the test keeps.
func AppendASFF(dst []byte, f *model.Finding) []byte {
	dst = append(dst, `{"SchemaVersion":"2018-10-08","Id":`...)
	dst = appendJSONString(dst, f.ID)
	dst = append(dst, `,"ProductArn":`...)
	dst = appendJSONString(dst, f.ProductARN)
	dst = appendField(dst, "ProductName", f.ProductName)
	dst = appendField(dst, "CompanyName", f.CompanyName)
	dst = appendField(dst, "Region", f.Region)
	dst = append(dst, `,"GeneratorId":`...)
	dst = appendJSONString(dst, f.GeneratorID)
	dst = append(dst, `,"AwsAccountId":`...)
	dst = appendJSONString(dst, f.AccountID)
	dst = append(dst, `,"Types":`...)
	dst = appendTypes(dst, f.Type)
	if !f.FirstObservedAt.IsZero() {
		dst = appendTime(append(dst, `,"FirstObservedAt":`...), f.FirstObservedAt)
	}
	if !f.UpdatedAt.IsZero() {
		dst = appendTime(append(dst, `,"LastObservedAt":`...), f.UpdatedAt)
	}
	dst = append(dst, `,"CreatedAt":`...)
	if created := f.CreatedAt; !created.IsZero() {
		dst = appendTime(dst, created)
	} else if !f.UpdatedAt.IsZero() {
		dst = appendTime(dst, f.UpdatedAt)
	} else {
		dst = append(dst, `""`...)
	}
	dst = append(dst, `,"UpdatedAt":`...)
	if !f.UpdatedAt.IsZero() {
		dst = appendTime(dst, f.UpdatedAt)
	} else {
		dst = append(dst, `""`...)
	}
	dst = append(dst, `,"Severity":`...)
	dst = appendSeverity(dst, f.SeverityLabel, f.SeverityNormalized)
	dst = append(dst, `,"Title":`...)
	dst = appendJSONString(dst, f.Title)
	dst = append(dst, `,"Description":`...)
	dst = appendJSONString(dst, f.Title)
	if f.ControlID != "" {
		dst = append(dst, `,"Remediation":{"Recommendation":{"Text":"For information on how to correct this issue, consult the AWS Security Hub controls documentation."`...)
		dst = appendField(dst, "Url", catalog.Control{ID: f.ControlID}.RemediationURL())
		dst = append(dst, `}}`...)
	}
	// ProductFields' keys in byte order, as encoding/json sorts a map's: "ControlId" sorts
	// before "aws/...".
	dst = append(dst, `,"ProductFields":{`...)
	if f.ControlID != "" {
		dst = append(dst, `"ControlId":`...)
		dst = appendJSONString(dst, f.ControlID)
		dst = append(dst, ',')
	}
	dst = append(dst, `"aws/securityhub/CompanyName":`...)
	dst = appendJSONString(dst, f.CompanyName)
	dst = append(dst, `,"aws/securityhub/FindingId":`...)
	dst = appendJSONString(dst, f.ID)
	dst = append(dst, `,"aws/securityhub/ProductName":`...)
	dst = appendJSONString(dst, f.ProductName)
	dst = append(dst, `},"Resources":[`...)
	if f.ResourceID != "" || f.ResourceType != "" {
		dst = append(dst, `{"Type":`...)
		dst = appendJSONString(dst, f.ResourceType)
		dst = append(dst, `,"Id":`...)
		dst = appendJSONString(dst, f.ResourceID)
		dst = append(dst, `,"Partition":"aws","Region":`...)
		dst = appendJSONString(dst, f.Region)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	if f.ControlID != "" || f.ComplianceStatus != "" {
		dst = append(dst, `,"Compliance":{`...)
		n := len(dst)
		dst = appendField(dst, "Status", f.ComplianceStatus)
		if f.ControlID != "" {
			dst = appendField(dst, "SecurityControlId", f.ControlID)
			if len(f.Standards) > 0 {
				dst = append(dst, `,"AssociatedStandards":[`...)
				for i, s := range f.Standards {
					if i > 0 {
						dst = append(dst, ',')
					}
					dst = append(dst, `{"StandardsId":`...)
					dst = appendJSONString(dst, s)
					dst = append(dst, '}')
				}
				dst = append(dst, ']')
			}
		}
		if len(dst) > n { // appendField led with a comma the object's first field must not have
			dst = append(dst[:n], dst[n+1:]...)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"WorkflowState":`...)
	dst = appendJSONString(dst, LegacyWorkflowState(f.WorkflowStatus))
	dst = append(dst, `,"Workflow":{"Status":`...)
	dst = appendJSONString(dst, f.WorkflowStatus)
	dst = append(dst, `},"RecordState":`...)
	dst = appendJSONString(dst, f.RecordState)
	if f.NoteText != "" || f.NoteUpdatedBy != "" {
		dst = append(dst, `,"Note":{"Text":`...)
		dst = appendJSONString(dst, f.NoteText)
		dst = append(dst, `,"UpdatedBy":`...)
		dst = appendJSONString(dst, f.NoteUpdatedBy)
		dst = append(dst, `,"UpdatedAt":`...)
		if !f.NoteUpdatedAt.IsZero() {
			dst = appendTime(dst, f.NoteUpdatedAt)
		} else {
			dst = append(dst, `""`...)
		}
		dst = append(dst, '}')
	}
	if len(f.UserDefinedFields) > 0 {
		dst = append(dst, `,"UserDefinedFields":{`...)
		for i, k := range slices.Sorted(maps.Keys(f.UserDefinedFields)) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, f.UserDefinedFields[k])
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"FindingProviderFields":{"Severity":`...)
	dst = appendSeverity(dst, f.SeverityLabel, 0)
	dst = append(dst, `,"Types":`...)
	dst = appendTypes(dst, f.Type)
	return append(dst, `}}`...)
}

// appendField appends ,"name":"value", or nothing when value is empty (omitempty).
func appendField(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, value)
}

func appendTypes(dst []byte, typ string) []byte {
	if typ == "" {
		return append(dst, `[]`...)
	}
	return append(appendJSONString(append(dst, '['), typ), ']')
}

func appendSeverity(dst []byte, label string, normalized int) []byte {
	dst = append(dst, `{"Label":`...)
	dst = appendJSONString(dst, label)
	dst = append(dst, `,"Normalized":`...)
	dst = strconv.AppendInt(dst, int64(normalized), 10)
	dst = appendField(dst, "Original", label)
	return append(dst, '}')
}

// appendTime appends t as a quoted ASFF timestamp; the layout writes only digits and -:.TZ,
// which JSON needs no escape for.
func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, asffTime)
	return append(dst, '"')
}

// jsonSafe marks the ASCII bytes encoding/json writes as they are (with HTML escaping on, as
// json.Marshal has it): not a control character, ", \, <, > or &.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// appendJSONString appends s quoted and escaped exactly as json.Marshal does (encoding/json's
// appendString with escapeHTML): \b \f \n \r \t \" \\ short, other control characters and <>&
// as \u00XX in lower-case hex, U+2028 and U+2029 as \u2028 and \u2029, and each byte of invalid
// UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
