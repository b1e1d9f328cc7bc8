package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hubreport/hubreport/internal/catalog"
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
}

// RetiredFindings is how many findings the last Collect dropped because their control is retired
// (Catalog.Retired). A file of such findings only is not empty: it was read, and they were dropped.
func (s *FileSource) RetiredFindings() int64 { return s.retired.Total() }

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
	counted := &countingSink{Sink: retiredFilter{Sink: sink, cat: cat, dropped: &s.retired}}
	for _, p := range s.Paths {
		if err := s.collectFile(ctx, p, cat, counted); err != nil {
			return err
		}
	}
	if err := s.retired.flush(sink); err != nil {
		return err
	}
	if counted.n == 0 && !s.AllowEmpty {
		return &EmptyImportError{Files: s.names()}
	}
	return nil
}

func (s *FileSource) collectFile(ctx context.Context, path string, cat *catalog.Catalog, sink Sink) error {
	if path == "-" {
		in := s.Stdin
		if in == nil {
			in = os.Stdin
		}
		return Decode(ctx, "stdin", in, cat, sink.AddFinding)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only: a close error cannot lose data
	return Decode(ctx, path, f, cat, sink.AddFinding)
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
