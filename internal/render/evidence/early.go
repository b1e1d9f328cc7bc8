package evidence

import (
	"bufio"
	"context"
	"io"
	"os"
)

// earlyFindings is the gzipped findings file, written to a temporary file on another goroutine
// from the start of Write, while the files before it in the package (the CSVs of the failed
// findings and the remediation plan, tens of MB at a million findings) are written and deflated.
// Reading the findings starts with the store ordering them, which runs on one DuckDB thread
// (store.ForEachFinding): the CSVs take the other core meanwhile instead of waiting for their
// turn. The package is the same bytes either way, since copyTo writes the entry where it was.
type earlyFindings struct {
	cancel context.CancelFunc
	done   chan struct{}
	file   *os.File // gzipped findings; nil when it could not be created
	err    error    // set before done closes
}

func startFindings(ctx context.Context, fill func(context.Context, io.Writer) error) *earlyFindings {
	ctx, cancel := context.WithCancel(ctx)
	e := &earlyFindings{cancel: cancel, done: make(chan struct{})}
	// The findings of the whole organization: CreateTemp makes the file readable by its owner
	// only, and discard removes it.
	e.file, e.err = os.CreateTemp("", "hubreport-findings-*.json.gz")
	if e.err != nil {
		close(e.done)
		return e
	}
	go func() {
		defer close(e.done)
		bw := bufio.NewWriterSize(e.file, 1<<20)
		if err := gzipped(bw, func(w io.Writer) error { return fill(ctx, w) }); err != nil {
			e.err = err
			return
		}
		e.err = bw.Flush()
	}()
	return e
}

// copyTo waits for the findings and copies them to w.
func (e *earlyFindings) copyTo(w io.Writer) error {
	<-e.done
	if e.err != nil {
		return e.err
	}
	if _, err := e.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, e.file)
	return err
}

// discard stops the writing if it still runs and removes the temporary file.
func (e *earlyFindings) discard() {
	e.cancel()
	<-e.done
	if e.file != nil {
		_ = e.file.Close() // read-only from here: nothing to lose
		_ = os.Remove(e.file.Name())
	}
}
