package collect

import (
	"fmt"
	"strings"

	"github.com/hubreport/hubreport/internal/model"
)

// EmptyImportError refuses an import whose files hold no finding: empty files, [], pages with
// "Findings": [], null. An export job that failed or a filter that matched nothing produces
// exactly that, and stored as the newest snapshot it would read as every finding resolved and
// every account gone. An organization that really has no findings says so with --allow-empty.
type EmptyImportError struct {
	Files   []string // as given; stdin for -
	Skipped []SkippedRecords
}

func (e *EmptyImportError) Error() string {
	skipped := ""
	if len(e.Skipped) > 0 {
		parts := make([]string, len(e.Skipped))
		for i, s := range e.Skipped {
			parts[i] = s.String()
		}
		skipped = "; skipped by rule: " + strings.Join(parts, "; ")
	}
	return fmt.Sprintf("import %s: no findings in any file (empty, [] or pages without findings%s); nothing was stored. "+
		"Check that the export worked; if the organization really has no findings, import again with --allow-empty",
		strings.Join(e.Files, ", "), skipped)
}

// String names the skipped records: how many, what, where.
func (s SkippedRecords) String() string {
	return fmt.Sprintf("%s: %d skipped, %s (the first at byte %d)", s.File, s.Count, s.Kind, s.First)
}

// names are the source's files as an error names them.
func (s *FileSource) names() []string {
	out := make([]string, len(s.Paths))
	for i, p := range s.Paths {
		if p == "-" {
			p = "stdin"
		}
		out[i] = p
	}
	return out
}

// countingSink counts the findings it passes on.
type countingSink struct {
	Sink
	n int64
}

func (c *countingSink) AddFinding(f *model.Finding) error {
	c.n++
	return c.Sink.AddFinding(f)
}

// Unwrap gives AddDisabled the wrapped sink.
func (c *countingSink) Unwrap() Sink { return c.Sink }
