package collect

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// syntaxError places a JSON syntax error at a byte offset of the input (after decompression).
// encoding/json's own offsets are relative to the value being decoded, which is one record here.
type syntaxError struct {
	Offset int64
	Err    error
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %v", e.Offset, e.Err)
}

func (e *syntaxError) Unwrap() error { return e.Err }

var (
	errMissing       = errors.New("missing")
	errValueTooLarge = fmt.Errorf("value larger than %d MiB", maxValueSize>>20)
)

const (
	// readBufferSize is the bufio buffer in front of the file; gzip reads through it too.
	readBufferSize = 256 << 10
	// frameBufferSize is the initial window the framer keeps records in. Records are at most
	// 240 KB (the BatchImportFindings limit), so the window rarely grows.
	frameBufferSize = 1 << 20
	// minRead is the free space the framer wants before a read, so reads stay large.
	minRead = 64 << 10
	// maxValueSize bounds the memory one record (or one skipped value) may take: a corrupt or
	// hostile file must fail, not exhaust memory.
	maxValueSize = 16 << 20
	// ctxCheckEvery is how many records go by between checks of ctx.
	ctxCheckEvery = 4096
)

// Decode streams the findings of one file's content to fn. The content may be a JSON array of
// findings, a {"Findings": [...]} page as written by `aws securityhub get-findings` (or
// {"findings": [...]}), several of those concatenated, JSON Lines of finding objects, or
// EventBridge events of Security Hub findings (ASFF, or OCSF in "Findings Imported V2" events),
// one per line or concatenated without separators (as Firehose writes them), OCSF records in any
// of the shapes findings come in, and any of these gzip-compressed (detected by the magic bytes, not
// the name). How a record is told apart, and which records are skipped, is dispatch's business
// (decodeshapes.go). name is only used in errors. cat maps legacy control ids; nil means
// catalog.Default().
//
// Records are decoded on all cores (pipeline.go), but fn is called from the caller's goroutine, one
// finding at a time and in file order, and the error returned is that of the first bad record.
// Memory does not grow with the file: only the few batches of records being decoded are held.
// The price is that fn may already have seen the findings before a bad record; the caller
// discards them.
func Decode(ctx context.Context, name string, r io.Reader, cat *catalog.Catalog, fn func(*model.Finding) error) error {
	_, err := decodeCounted(ctx, name, r, cat, fn)
	return err
}

// DecodeStats is what a decode met besides findings.
type DecodeStats struct {
	// Events is how many EventBridge events of imported Security Hub findings were opened.
	Events int64
	// Skipped are the records left out by rule (docs/operations.md), one entry per kind, in the
	// order each kind first appeared.
	Skipped []SkippedRecords
}

// SkippedRecords counts the records of one kind that an import left out by rule.
type SkippedRecords struct {
	File  string
	Kind  string // what they are, e.g. `EventBridge event "GuardDuty Finding" from aws.guardduty`
	Count int64
	First int64 // byte offset of the first one (after decompression)
}

// decodeCounted is Decode, also returning what it skipped.
func decodeCounted(ctx context.Context, name string, r io.Reader, cat *catalog.Catalog, fn func(*model.Finding) error) (DecodeStats, error) {
	if err := ctx.Err(); err != nil {
		return DecodeStats{}, fmt.Errorf("import %s: %w", name, err)
	}
	if cat == nil {
		var err error
		if cat, err = catalog.Default(); err != nil {
			return DecodeStats{}, fmt.Errorf("import %s: %w", name, err)
		}
	}
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		readerPool.Put(br)
	}()
	var src io.Reader = br
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return DecodeStats{}, &ImportError{File: name, Record: -1, Err: fmt.Errorf("read: %w", err)}
	}
	gzipped := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
	if gzipped {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return DecodeStats{}, &ImportError{File: name, Record: -1, Err: fmt.Errorf("gzip: %w", err)}
		}
		defer zr.Close()
		src = zr
	}
	d := newDecoder(ctx, name, src, gzipped, cat, fn)
	defer d.release()
	err = d.run()
	// run has waited for the framer, which alone writes the counts.
	return d.shapes.stats(), err
}

// The buffers are pooled because exports often come as many small files (EventBridge to S3 writes
// one object per batch), where allocating and clearing them would cost more than the decoding.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}
	windowPool = sync.Pool{New: func() any { b := make([]byte, frameBufferSize); return &b }}
)

func newDecoder(ctx context.Context, name string, src io.Reader, gzipped bool, cat *catalog.Catalog, fn func(*model.Finding) error) *decoder {
	return &decoder{
		ctx:     ctx,
		name:    name,
		cat:     cat,
		fn:      fn,
		gzipped: gzipped,
		f:       framer{src: src, buf: *windowPool.Get().(*[]byte), keep: -1},
		shapes:  shapeState{name: name},
	}
}

// release returns the framing window to the pool. Nothing decoded refers to it: json copies
// every string it decodes.
func (d *decoder) release() {
	if len(d.f.buf) == frameBufferSize { // a window grown for a huge record is left to the GC
		b := d.f.buf
		windowPool.Put(&b)
	}
	d.f.buf, d.f.src = nil, nil
}

// decoder walks the top-level structure of one file.
type decoder struct {
	ctx     context.Context
	name    string
	cat     *catalog.Catalog
	fn      func(*model.Finding) error
	gzipped bool
	f       framer
	rec     int // index of the next record
	shapes  shapeState
	pipeline
}

// frame walks the input and queues its records for decoding (pipeline.go). It returns at the end
// of the input, on the first error it finds itself, or with errStopped when run no longer wants
// records.
func (d *decoder) frame() error {
	if err := d.skipBOM(); err != nil {
		return err
	}
	for {
		c, ok := d.f.skipSpace()
		if !ok {
			if d.f.err == io.EOF {
				return nil
			}
			return d.fail(-1, d.f.err)
		}
		var err error
		switch c {
		case '[':
			err = d.array()
		case '{':
			err = d.object()
		default:
			err = d.topLevelValue()
		}
		if err != nil {
			return err
		}
	}
}

// skipBOM drops a UTF-8 byte order mark, which Windows tools write, and names UTF-16, which
// PowerShell 5's `>` writes, instead of failing on its first byte.
func (d *decoder) skipBOM() error {
	for d.f.n < 3 {
		if !d.f.more() {
			break
		}
	}
	b := d.f.buf[:d.f.n]
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		d.f.off = 3
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}), bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		return &ImportError{File: d.name, Record: -1, Err: errors.New("file is UTF-16 encoded; convert it to UTF-8")}
	}
	return nil
}

// fail turns a framing or read error into an ImportError.
func (d *decoder) fail(record int, err error) error {
	var se *syntaxError
	switch {
	case errors.As(err, &se):
	case errors.Is(err, errValueTooLarge):
	case d.gzipped:
		err = fmt.Errorf("read gzip: %w", err)
	default:
		err = fmt.Errorf("read: %w", err)
	}
	return &ImportError{File: d.name, Record: record, Err: err}
}

// cut reports the input ending (or failing) where more JSON was required.
func (d *decoder) cut(record int) error {
	return d.fail(record, d.f.endErr(false))
}

func (d *decoder) syntax(record int, offset int64, format string, args ...any) error {
	return &ImportError{File: d.name, Record: record, Err: &syntaxError{Offset: offset, Err: fmt.Errorf(format, args...)}}
}

// topLevelValue handles a top-level value that is neither an array nor an object. null is what
// jq prints for a missing .Findings, so it counts as no findings; anything else is refused.
func (d *decoder) topLevelValue() error {
	b, start, err := d.f.take()
	if err != nil {
		return d.fail(-1, err)
	}
	if err := d.validate(-1, b, start); err != nil {
		return err
	}
	if string(b) == "null" {
		return nil
	}
	return &ImportError{File: d.name, Record: -1, Err: fmt.Errorf(
		"got %s at byte %d, want an array of findings, a {\"Findings\": [...]} page or finding objects", kindOf(b[0]), start)}
}

// validate reports b, just framed, as a syntax error if it is not valid JSON.
func (d *decoder) validate(record int, b []byte, start int64) error {
	if json.Valid(b) {
		return nil
	}
	// Let json see the byte after the value too: a literal cut short ("tru]") is wrong at that
	// byte, and json would otherwise blame the end of its input.
	if d.f.off < d.f.n {
		b = d.f.buf[start-d.f.base : d.f.off+1]
	}
	var v struct{}
	err := json.Unmarshal(b, &v) // only for json's message and offset
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &ImportError{File: d.name, Record: record, Err: &syntaxError{Offset: start + max(se.Offset-1, 0), Err: se}}
	}
	return d.syntax(record, start, "invalid value")
}

// record checks one framed finding (at input offset start) and queues it for decoding.
func (d *decoder) record(b []byte, start int64) error {
	k := d.rec
	d.rec++
	if k%ctxCheckEvery == ctxCheckEvery-1 {
		if err := d.ctx.Err(); err != nil {
			return fmt.Errorf("import %s: %w", d.name, err)
		}
	}
	if len(b) > maxValueSize {
		return &ImportError{File: d.name, Record: k, Err: errValueTooLarge}
	}
	if b[0] != '{' {
		if err := d.validate(k, b, start); err != nil {
			return err
		}
		return &ImportError{File: d.name, Record: k, Err: fmt.Errorf("got %s, want a finding object", kindOf(b[0]))}
	}
	return d.queue(k, b, start)
}

// decodeRecord decodes record k, the finding object b framed at input offset start, into a
// finding. raw is the caller's scratch space. It is safe for concurrent use.
func (d *decoder) decodeRecord(raw *rawFinding, k int, b []byte, start int64) (*model.Finding, error) {
	*raw = rawFinding{}
	if !raw.decodeFast(b) {
		// OCSF's keys (severity, status, resources) fold onto ASFF names, so an OCSF record never
		// takes the fast path; asking here costs ASFF files nothing.
		if f, ok, err := d.decodeOCSF(k, b); ok {
			return f, err
		}
		// Not the common shape, or not valid: encoding/json decides, and names what is wrong.
		*raw = rawFinding{}
		if err := json.Unmarshal(b, raw); err != nil {
			return nil, d.unmarshalError(k, start, err)
		}
	}
	f, field, err := raw.finding(d.cat)
	if err != nil {
		if raw.ID == "" { // an OCSF record with no key that folds onto ASFF?
			if f, ok, err := d.decodeOCSF(k, b); ok {
				return f, err
			}
		}
		return nil, &ImportError{File: d.name, Record: k, Field: field, Err: err}
	}
	return f, nil
}

func (d *decoder) unmarshalError(record int, start int64, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &ImportError{File: d.name, Record: record, Err: &syntaxError{Offset: start + max(se.Offset-1, 0), Err: se}}
	case errors.As(err, &te):
		return &ImportError{File: d.name, Record: record, Field: te.Field, Err: fmt.Errorf("got %s, want %s", te.Value, kindOfType(te.Type))}
	}
	return &ImportError{File: d.name, Record: record, Err: err}
}

// kindOf names the JSON kind of a value from its first byte.
func kindOf(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func kindOfType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	}
	return t.String()
}
