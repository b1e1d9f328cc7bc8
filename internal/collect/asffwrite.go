package collect

import (
	"bufio"
	"errors"
	"io"

	"github.com/hubreport/hubreport/internal/model"
)

// ASFFWriter writes findings in the shape `aws securityhub get-findings` prints:
// {"Findings": [ ... ]}. It streams: each finding is encoded and written as it comes. What it writes
// decodes back (Decode) to the same model.Finding, and carries the ASFF fields AWS always sets
// (SchemaVersion, Types, FindingProviderFields, Remediation, ProductFields), so files it writes
// look like real exports: the emulator, the evidence package and the benchmarks use it.
type ASFFWriter struct {
	w   *bufio.Writer
	buf []byte // the finding being written, reused
	n   int
	err error
}

// NewASFFWriter starts a findings document on w.
func NewASFFWriter(w io.Writer) *ASFFWriter {
	a := &ASFFWriter{w: bufio.NewWriterSize(w, 256<<10)}
	_, a.err = a.w.WriteString(`{"Findings":[`)
	return a
}

const asffTime = "2006-01-02T15:04:05.000Z"

// LegacyWorkflowState is the deprecated ASFF WorkflowState that goes with a Workflow.Status:
// exports and the emulator still carry it.
func LegacyWorkflowState(status string) string {
	switch status {
	case "NOTIFIED":
		return "ASSIGNED"
	case "SUPPRESSED":
		return "DEFERRED"
	case "RESOLVED":
		return "RESOLVED"
	}
	return "NEW"
}

// Write appends one finding.
func (a *ASFFWriter) Write(f *model.Finding) error {
	if a.err != nil {
		return a.err
	}
	b := a.buf[:0]
	if a.n > 0 {
		b = append(b, ',')
	}
	a.buf = AppendASFF(b, f)
	a.n++
	_, a.err = a.w.Write(a.buf)
	return a.err
}

// MarshalASFF encodes one finding as an ASFF JSON object (AwsSecurityFinding), the same bytes
// ASFFWriter writes for it. The AWS emulator serves findings encoded this way.
func MarshalASFF(f *model.Finding) ([]byte, error) {
	return AppendASFF(nil, f), nil
}

// Close ends the document and flushes it. It does not close the underlying writer.
func (a *ASFFWriter) Close() error {
	if a.err != nil {
		return a.err
	}
	if _, err := a.w.WriteString("]}\n"); err != nil {
		return err
	}
	a.err = errors.New("asff writer: closed")
	return a.w.Flush()
}
