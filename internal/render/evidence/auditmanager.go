package evidence

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hubreport/hubreport/internal/report"
)

// Mapping ties one Audit Manager assessment control to the Security Hub controls it covers:
// security control ids, whole standards, or both.
type Mapping struct {
	ControlSetID     string
	ControlID        string
	SecurityControls []string
	Standards        []string // standard ids, e.g. standards/pci-dss/v/3.2.1
}

// ControlEvidence is what goes to one assessment control: a CSV of the covered controls' status
// and a short text summary.
type ControlEvidence struct {
	ControlSetID, ControlID string
	FileName                string
	File                    []byte
	TextResponse            string
}

// MaxTextResponse is Audit Manager's limit on a manual evidence text response, in characters.
const MaxTextResponse = 1000

// ForAuditManager builds the evidence of every mapping from the report. File names carry the
// snapshot date and id, so each upload says which point in time it proves.
func ForAuditManager(r *report.Report, mappings []Mapping) ([]ControlEvidence, error) {
	var out []ControlEvidence
	for i, m := range mappings {
		var rows []report.ControlStatus
		for _, c := range r.Controls {
			if slices.Contains(m.SecurityControls, c.ControlID) || slices.Contains(m.Standards, c.StandardID) {
				rows = append(rows, c)
			}
		}
		if len(rows) == 0 {
			return nil, fmt.Errorf("audit manager mapping %d (%s / %s): none of its controls or standards is in snapshot %d",
				i+1, m.ControlSetID, m.ControlID, r.Snapshot.ID)
		}
		var buf bytes.Buffer
		c := newCSV(&buf, "standard_id", "control_id", "title", "severity", "organization_status", "accounts_passed", "accounts_failed", "accounts_unknown", "last_evaluated")
		for _, x := range rows {
			c.row(x.StandardID, x.ControlID, x.Title, x.Severity, x.Status, strconv.Itoa(x.AccountsPassed),
				strconv.Itoa(x.AccountsFailed), strconv.Itoa(x.AccountsUnknown), timeCell(x.LastEvaluated))
		}
		if err := c.done(); err != nil {
			return nil, err
		}
		out = append(out, ControlEvidence{
			ControlSetID: m.ControlSetID, ControlID: m.ControlID,
			FileName:     fmt.Sprintf("hubreport-%s-snapshot-%d-%s.csv", r.ReportDate, r.Snapshot.ID, shortID(m.ControlID)),
			File:         buf.Bytes(),
			TextResponse: summary(r, rows),
		})
	}
	return out, nil
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// summary is the text response: overall status, the failing controls with their account counts,
// and the snapshot, cut to Audit Manager's 1,000 characters.
func summary(r *report.Report, rows []report.ControlStatus) string {
	worst := "PASSED"
	var failing []string
	for _, x := range rows {
		switch {
		case x.Status == "FAILED":
			worst = "FAILED"
			failing = append(failing, fmt.Sprintf("%s failed in %d of %d accounts", x.ControlID, x.AccountsFailed,
				x.AccountsPassed+x.AccountsFailed+x.AccountsUnknown))
		case x.Status == "UNKNOWN" && worst != "FAILED":
			worst = "UNKNOWN"
		}
	}
	head := fmt.Sprintf("Status %s across %d Security Hub control evaluations (AWS Organization %s). ", worst, len(rows), r.Organization)
	tail := fmt.Sprintf(" Snapshot %d taken %s (%s, %d of %d account/region pairs collected); computed by hubreport with AWS's control status rules.",
		r.Snapshot.ID, r.Snapshot.TakenAt.UTC().Format("2006-01-02T15:04Z"), r.Snapshot.Status, r.Coverage.Collected, r.Coverage.Expected)
	body := "No control failing."
	if len(failing) > 0 {
		slices.Sort(failing)
		failing = slices.Compact(failing)
		body = "Failing: " + strings.Join(failing, "; ") + "."
	}
	room := MaxTextResponse - utf8.RuneCountInString(head) - utf8.RuneCountInString(tail)
	if utf8.RuneCountInString(body) > room {
		// Keep whole entries and say how many were left out.
		kept := "Failing: "
		for i, f := range failing {
			more := fmt.Sprintf("; and %d more (see the attached file).", len(failing)-i)
			if utf8.RuneCountInString(kept+f+more) > room {
				body = strings.TrimSuffix(kept, "; ") + more
				if i == 0 {
					body = fmt.Sprintf("%d controls failing (see the attached file).", len(failing))
				}
				break
			}
			kept += f + "; "
		}
	}
	return head + body + tail
}
