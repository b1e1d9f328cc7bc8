package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// FileSource reads exported ASFF files; "-" means Stdin.
type FileSource struct {
	Paths   []string
	Stdin   io.Reader // os.Stdin when nil
	Catalog *catalog.Catalog
	// AllowEmpty lets files that hold no finding at all through, as an empty snapshot; without
	// it Collect refuses them with an *EmptyImportError (see there why).
	AllowEmpty bool

	retired retiredCounts
	read    int64 // findings read, before any is dropped
	events  int64
	skipped []SkippedRecords
}

// RetiredFindings is how many findings the last Collect dropped because their control is retired
// (Catalog.Retired). A file of such findings only is not empty: it was read, and they were dropped.
func (s *FileSource) RetiredFindings() int64 { return s.retired.Total() }

// FindingsRead is how many findings the last Collect read, repeated copies and retired controls'
// included: the store keeps one copy of each finding (the latest UpdatedAt), so FindingsRead
// minus RetiredFindings minus the findings stored is how many older copies it superseded.
func (s *FileSource) FindingsRead() int64 { return s.read }

// Events is how many EventBridge events of imported Security Hub findings the last Collect opened.
func (s *FileSource) Events() int64 { return s.events }

// Skipped lists the records the last Collect left out by rule, per file and kind (see dispatch).
// The import says so: a record left out is counted and named, never silently dropped.
func (s *FileSource) Skipped() []SkippedRecords { return s.skipped }

// Collect decodes every file in order and hands each finding to sink.AddFinding. It stops at the
// first error: a half-imported file must not become a snapshot, and the caller rolls it back.
// Files that together hold no finding are an *EmptyImportError unless AllowEmpty is set.
func (s *FileSource) Collect(ctx context.Context, sink Sink) error {
	if len(s.Paths) == 0 {
		return errors.New("import: no files given")
	}
	cat := s.Catalog
	if cat == nil {
		var err error
		if cat, err = catalog.Default(); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	// Counted before the retired controls' findings are dropped: those were read.
	s.retired.reset()
	s.read, s.events, s.skipped = 0, 0, nil
	counted := &countingSink{Sink: retiredFilter{Sink: sink, cat: cat, dropped: &s.retired}}
	for _, p := range s.Paths {
		st, err := s.collectFile(ctx, p, cat, counted)
		if err != nil {
			return err
		}
		s.events += st.Events
		s.skipped = append(s.skipped, st.Skipped...)
	}
	s.read = counted.n
	if err := s.retired.flush(sink); err != nil {
		return err
	}
	// Stored with the snapshot as well as printed, so that the report says records were left out.
	for _, sk := range s.skipped {
		if err := AddWarning(sink, model.Warning{Kind: "records_skipped", Message: sk.String()}); err != nil {
			return err
		}
	}
	if counted.n == 0 && !s.AllowEmpty {
		return &EmptyImportError{Files: s.names(), Skipped: s.skipped}
	}
	return nil
}

func (s *FileSource) collectFile(ctx context.Context, path string, cat *catalog.Catalog, sink Sink) (DecodeStats, error) {
	if path == "-" {
		in := s.Stdin
		if in == nil {
			in = os.Stdin
		}
		return decodeCounted(ctx, "stdin", in, cat, sink.AddFinding)
	}
	f, err := os.Open(path)
	if err != nil {
		return DecodeStats{}, fmt.Errorf("import: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only: a close error cannot lose data
	return decodeCounted(ctx, path, f, cat, sink.AddFinding)
}

// ImportError names what was wrong with an input file. Import refuses the whole file on the first
// one, so the message has to be enough to find and fix the record.
type ImportError struct {
	File   string
	Record int    // 0-based index of the finding within the file, -1 when not at a record
	Field  string // ASFF path such as "Id" or "Severity.Normalized"; "" for syntax errors
	Err    error
}

func (e *ImportError) Error() string {
	var b strings.Builder
	b.WriteString("import ")
	b.WriteString(e.File)
	if e.Record >= 0 {
		fmt.Fprintf(&b, ": record %d", e.Record)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %q", e.Field)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *ImportError) Unwrap() error { return e.Err }
