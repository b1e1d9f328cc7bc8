// Package evidence writes the audit evidence package: one zip holding the control status per
// standard, the account scores, the failed and suppressed findings, the method, the reports and
// the raw findings, with a manifest of every file's size and SHA-256. The same report gives the
// same bytes, so a package can be rebuilt and compared, and verify checks one for tampering.
package evidence

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/pgzip"

	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/templates"
)

// FormatVersion is the manifest's format_version; it changes when the package layout does.
const FormatVersion = 1

// ManifestName is the manifest's path in the zip.
const ManifestName = "manifest.json"

// Attachment is a file carried as it is, such as the PDF report.
type Attachment struct {
	Name string // path in the zip, e.g. "reports/report.pdf"
	Data []byte
}

// Options are what the package holds besides the report.
type Options struct {
	ToolVersion string
	Attachments []Attachment
	// Findings writes the snapshot's findings as ASFF JSON to w; nil leaves them out.
	Findings func(ctx context.Context, w io.Writer) error
}

// Manifest is manifest.json.
type Manifest struct {
	FormatVersion        int             `json:"format_version"`
	Tool                 string          `json:"tool"`
	ToolVersion          string          `json:"tool_version"`
	Organization         string          `json:"organization"`
	AdministratorAccount string          `json:"administrator_account"`
	ReportDate           string          `json:"report_date"`
	Snapshot             SnapshotRef     `json:"snapshot"`
	SummaryScore         *float64        `json:"summary_score"`
	Standards            []StandardRef   `json:"standards"`
	Coverage             report.Coverage `json:"coverage"`
	Files                []FileRef       `json:"files"`

	// SummaryScoreMeanOfStandards is the mean of the standard scores, beside the summary score
	// (which counts each control once): see methodology.md. Last, so the fields above keep their
	// layout.
	SummaryScoreMeanOfStandards *float64 `json:"summary_score_mean_of_standards"`
}

// SnapshotRef identifies the snapshot the evidence is from.
type SnapshotRef struct {
	ID       int64     `json:"id"`
	TakenAt  time.Time `json:"taken_at"`
	Source   string    `json:"source"`
	Status   string    `json:"status"`
	Findings int64     `json:"findings"`
}

// StandardRef is a standard's score at the snapshot.
type StandardRef struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Score *float64 `json:"score"`
}

// FileRef is one file of the package.
type FileRef struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Write writes the package for r to w. Entries carry the snapshot's time, not the clock's, and
// come in a fixed order; the manifest comes last, after every file it lists.
func Write(ctx context.Context, w io.Writer, r *report.Report, opt Options) error {
	z := newZipper(w, r.Snapshot.TakenAt.UTC())
	steps := []entry{{"methodology.md", func(w io.Writer) error { return methodology(w, r, opt.ToolVersion) }, false}}
	for _, s := range r.Standards {
		steps = append(steps, entry{"controls/" + Slug(s.ID) + ".csv", func(w io.Writer) error { return controlsCSV(w, r, s.ID) }, false})
	}
	steps = append(steps,
		entry{"account-scores.csv", func(w io.Writer) error { return accountScoresCSV(w, r) }, false},
		entry{"findings/failed.csv", func(w io.Writer) error { return failedCSV(w, r) }, false},
		entry{"findings/suppressed.csv", func(w io.Writer) error { return suppressedCSV(w, r) }, false},
		entry{"remediation-plan.csv", func(w io.Writer) error { return planCSV(w, r) }, false},
	)
	if opt.Findings != nil {
		// Started now, written in its turn: see startFindings. Already compressed, it is stored
		// as it is rather than deflated a second time.
		early := startFindings(ctx, opt.Findings)
		defer early.discard()
		steps = append(steps, entry{"findings/findings.asff.json.gz", early.copyTo, true})
	}
	for _, a := range opt.Attachments {
		steps = append(steps, entry{a.Name, func(w io.Writer) error { _, err := w.Write(a.Data); return err }, false})
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := z.add(s.name, s.stored, s.fill); err != nil {
			return fmt.Errorf("evidence %s: %w", s.name, err)
		}
	}
	m := Manifest{
		FormatVersion: FormatVersion, Tool: "hubreport", ToolVersion: opt.ToolVersion,
		Organization: r.Organization, AdministratorAccount: r.AdministratorAccount, ReportDate: r.ReportDate,
		Snapshot: SnapshotRef{ID: r.Snapshot.ID, TakenAt: r.Snapshot.TakenAt.UTC(), Source: r.Snapshot.Source,
			Status: r.Snapshot.Status, Findings: r.Snapshot.Findings},
		SummaryScore: r.SummaryScore, SummaryScoreMeanOfStandards: r.SummaryScoreMeanOfStandards,
		Coverage: r.Coverage, Files: z.files,
	}
	if m.Coverage.Gaps == nil {
		m.Coverage.Gaps = []report.CoverageGap{}
	}
	for _, s := range r.Standards {
		m.Standards = append(m.Standards, StandardRef{ID: s.ID, Name: s.Name, Score: s.Score})
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := z.addRaw(ManifestName, append(b, '\n')); err != nil {
		return err
	}
	return z.zw.Close()
}

// ManifestSHA256 returns the SHA-256 of the manifest in a package written by Write, to be
// recorded outside the package.
func ManifestSHA256(zipData io.ReaderAt, size int64) (string, error) {
	zr, err := zip.NewReader(zipData, size)
	if err != nil {
		return "", err
	}
	for _, f := range zr.File {
		if f.Name == ManifestName {
			sum, _, err := hashEntry(f)
			return sum, err
		}
	}
	return "", fmt.Errorf("no %s in the package", ManifestName)
}

// entry is a file of the package and how to write it.
type entry struct {
	name string
	fill func(io.Writer) error
	// stored: the content is compressed already, so the zip stores it rather than deflating it.
	stored bool
}

// zipper writes entries with fixed metadata and records each one's size and hash.
type zipper struct {
	zw       *zip.Writer
	modified time.Time
	files    []FileRef
}

// zipDeflateLevel is the zip entries' deflate level: 5 is what archive/zip uses by default.
const zipDeflateLevel = 5

func newZipper(w io.Writer, modified time.Time) *zipper {
	zw := zip.NewWriter(w)
	// klauspost's deflate writes the same format as compress/flate, about twice as fast; for a
	// given level its output depends on the input only, so the package stays reproducible.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, zipDeflateLevel) })
	return &zipper{zw: zw, modified: modified}
}

func (z *zipper) header(name string, stored bool) *zip.FileHeader {
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: z.modified}
	if stored {
		h.Method = zip.Store
	}
	h.SetMode(0o640)
	return h
}

func (z *zipper) add(name string, stored bool, fill func(io.Writer) error) error {
	w, err := z.zw.CreateHeader(z.header(name, stored))
	if err != nil {
		return err
	}
	h := sha256.New()
	n := &countingWriter{}
	if err := fill(io.MultiWriter(w, h, n)); err != nil {
		return err
	}
	z.files = append(z.files, FileRef{Path: name, Size: n.n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// addRaw adds a file the manifest does not list (the manifest itself).
func (z *zipper) addRaw(name string, data []byte) error {
	w, err := z.zw.CreateHeader(z.header(name, false))
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// Slug turns a standard id into a file name: standards/pci-dss/v/3.2.1 -> pci-dss-v3.2.1.
func Slug(id string) string {
	id = strings.TrimPrefix(strings.TrimPrefix(id, "standards/"), "ruleset/")
	id = strings.ReplaceAll(id, "/v/", "-v")
	var b strings.Builder
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

func methodology(w io.Writer, r *report.Report, version string) error {
	t, err := template.New("methodology.md.tmpl").Funcs(template.FuncMap{
		"score": func(s *float64) string {
			if s == nil {
				return "n/a"
			}
			return strconv.Itoa(report.RoundPercent(*s)) + "%"
		},
	}).ParseFS(templates.FS, "methodology.md.tmpl")
	if err != nil {
		return err
	}
	return t.Execute(w, struct {
		*report.Report
		ToolVersion string
	}{r, version})
}

// csvWriter writes rows with every cell made safe by Cell (see methodology.md).
type csvWriter struct{ w *csv.Writer }

func newCSV(w io.Writer, header ...string) *csvWriter {
	c := &csvWriter{w: csv.NewWriter(w)}
	c.row(header...)
	return c
}

func (c *csvWriter) row(cells ...string) {
	for i, s := range cells {
		cells[i] = Cell(s)
	}
	_ = c.w.Write(cells) // the error is kept by the csv.Writer and returned by done
}

// plainNumber is a cell a spreadsheet reads as a number and never as a formula: a negative
// count or score stays a number instead of becoming the text '-3.
var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// Cell makes a string safe for a CSV cell that people open in a spreadsheet. Finding titles,
// notes and resource ids come from anyone who can write to Security Hub, so:
//   - tab, CR and LF become a space and every other control character (C0, DEL, C1) is dropped,
//     so a value can neither break a row nor hide text;
//   - Unicode bidi overrides, isolates and marks (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
//     U+061C) are dropped, so text cannot be shown in another order than it is stored;
//   - a cell whose first non-space character is =, +, - or @ is prefixed with ' (OWASP's CSV
//     injection advice), and so is one that started with a tab or CR, so a spreadsheet shows it as
//     text instead of running it as a formula; a plain number such as -3 or -0.5 is left as it is.
func Cell(s string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			return ' '
		case r < 0x20 || r >= 0x7f && r <= 0x9f:
			return -1
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return -1
		}
		return r
	}, s)
	first := strings.TrimLeftFunc(clean, unicode.IsSpace)
	leadingControl := s != "" && (s[0] == '\t' || s[0] == '\r')
	if leadingControl || first != "" && strings.ContainsRune("=+-@", rune(first[0])) && !plainNumber.MatchString(clean) {
		return "'" + clean
	}
	return clean
}

func (c *csvWriter) done() error {
	c.w.Flush()
	return c.w.Error()
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func scoreCell(s *float64) string {
	if s == nil {
		return ""
	}
	return strconv.FormatFloat(*s, 'f', 2, 64)
}

func controlsCSV(w io.Writer, r *report.Report, standardID string) error {
	c := newCSV(w, "control_id", "title", "severity", "organization_status", "accounts_passed", "accounts_failed", "accounts_unknown", "last_evaluated")
	for _, x := range r.Controls {
		if x.StandardID != standardID {
			continue
		}
		c.row(x.ControlID, x.Title, x.Severity, x.Status, strconv.Itoa(x.AccountsPassed), strconv.Itoa(x.AccountsFailed),
			strconv.Itoa(x.AccountsUnknown), timeCell(x.LastEvaluated))
	}
	return c.done()
}

func accountScoresCSV(w io.Writer, r *report.Report) error {
	names := map[string]string{}
	for _, s := range r.Standards {
		names[s.ID] = s.Name
	}
	c := newCSV(w, "account_id", "account_name", "ou", "standard_id", "standard", "score", "controls_passed", "controls_failed", "controls_unknown")
	for _, a := range r.Accounts {
		for _, s := range a.Standards {
			c.row(a.AccountID, a.Name, a.OU, s.ID, names[s.ID], scoreCell(s.Score), strconv.Itoa(s.Passed), strconv.Itoa(s.Failed), strconv.Itoa(s.Unknown))
		}
	}
	return c.done()
}

func failedCSV(w io.Writer, r *report.Report) error {
	c := newCSV(w, "account_id", "account_name", "region", "control_id", "title", "severity", "resource_type", "resource_id", "first_observed", "days_open", "workflow_status")
	for _, f := range r.FailedFindings {
		c.row(f.AccountID, f.AccountName, f.Region, f.ControlID, f.Title, f.Severity, f.ResourceType, f.ResourceID,
			timeCell(f.FirstObserved), strconv.Itoa(f.DaysOpen), f.WorkflowStatus)
	}
	return c.done()
}

func suppressedCSV(w io.Writer, r *report.Report) error {
	// The exception's governance columns come last, after those earlier packages had, so that a
	// reader of the older columns by position still reads them.
	c := newCSV(w, "account_id", "account_name", "region", "product", "control_id", "title", "severity", "resource_id", "compliance_status",
		"justification", "suppressed_by", "noted_at", "since", "expiry", "exception_status", "expiry_value")
	for _, f := range r.Suppressed {
		c.row(f.AccountID, f.AccountName, f.Region, f.ProductName, f.ControlID, f.Title, f.Severity, f.ResourceID, f.Compliance,
			f.Note, f.NoteBy, timeCell(f.NoteAt), timeCell(f.Since), timeCell(f.Expiry), f.ExceptionStatus, f.ExpiryValue)
	}
	return c.done()
}

// planCSV writes the remediation plan one row per failing control and account, in plan order,
// so that a spreadsheet filters it by account or OU.
func planCSV(w io.Writer, r *report.Report) error {
	c := newCSV(w, "rank", "control_id", "title", "severity", "failed_accounts", "failed_resources", "account_id", "account_name", "ou", "remediation_url")
	for i, p := range r.RemediationPlan {
		for _, a := range p.Accounts {
			c.row(strconv.Itoa(i+1), p.ControlID, p.Title, p.Severity, strconv.Itoa(p.FailedAccounts), strconv.Itoa(p.FailedResources),
				a.AccountID, a.Name, a.OU, p.RemediationURL)
		}
	}
	return c.done()
}

// Parallel gzip of the full findings file. pgzip cuts the input into blocks of gzipBlockSize and
// deflates them side by side, each primed with the 32 KB before it, into one standard gzip
// member. Where a block ends depends on gzipBlockSize only, never on how fill's writes fall or
// how many blocks run at once, and each block's deflate is a function of its input and its
// primer, so the same findings give the same bytes on any number of cores. A million findings
// (about 2 GB of ASFF JSON) took 37 s with compress/gzip on one core.
const (
	gzipBlockSize = 1 << 20
	// On the ASFF of a million demo findings (1.97 GB), in 1 MB blocks: level 5 wrote 107.5 MB
	// (5.45%), level 3 119.5 MB (6.07%), level 2 121.1 MB, level 1 128.8 MB. On one core over
	// 256 MB of it, level 3 took 0.40-0.44 s of CPU against 0.54-0.65 s for level 5 (under
	// load): about 1.2 s less CPU for the million findings, for a package 12 MB larger. Level 1 was
	// hardly faster than 3 and wrote 9 MB more.
	gzipLevel = 3
)

// gzipBlocks is how many blocks are compressed, or wait for their turn to be written, at once:
// memory holds about three buffers of gzipBlockSize per block.
func gzipBlocks() int { return max(2, 2*runtime.GOMAXPROCS(0)) }

// gzipped writes fill's output gzip-compressed, with no name or time in the header, so the same
// input gives the same bytes.
func gzipped(w io.Writer, fill func(io.Writer) error) error {
	gz, err := pgzip.NewWriterLevel(w, gzipLevel)
	if err != nil {
		return err
	}
	if err := gz.SetConcurrency(gzipBlockSize, gzipBlocks()); err != nil {
		return err
	}
	// 0, "no time", as compress/gzip writes for a zero ModTime; pgzip would write the zero time's
	// Unix seconds cut to 32 bits, which reads as a date in 2042.
	gz.ModTime = time.Unix(0, 0)
	if err := fill(gz); err != nil {
		return errors.Join(err, gz.Close())
	}
	return gz.Close()
}
