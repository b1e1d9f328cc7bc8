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
	"os"
	"reflect"
	"strings"
	"sync"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/store"
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
// findings, a {"Findings": [...]} page as written by `aws securityhub get-findings`, several of
// those concatenated, or JSON Lines of finding objects, and any of these gzip-compressed (detected
// by the magic bytes, not the name). name is only used in errors. cat maps legacy control ids; nil
// means catalog.Default().
//
// Records are decoded on all cores (pipeline.go), but fn is called from the caller's goroutine, one
// finding at a time and in file order, and the error returned is that of the first bad record.
// Memory does not grow with the file: only the few batches of records being decoded are held.
// The price is that fn may already have seen the findings before a bad record; the caller
// discards them.
func Decode(ctx context.Context, name string, r io.Reader, cat *catalog.Catalog, fn func(*store.Finding) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import %s: %w", name, err)
	}
	if cat == nil {
		var err error
		if cat, err = catalog.Default(); err != nil {
			return fmt.Errorf("import %s: %w", name, err)
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
		return &ImportError{File: name, Record: -1, Err: fmt.Errorf("read: %w", err)}
	}
	gzipped := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
	if gzipped {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return &ImportError{File: name, Record: -1, Err: fmt.Errorf("gzip: %w", err)}
		}
		defer zr.Close()
		src = zr
	}
	d := newDecoder(ctx, name, src, gzipped, cat, fn)
	defer d.release()
	return d.run()
}

// The buffers are pooled because exports often come as many small files (EventBridge to S3 writes
// one object per batch), where allocating and clearing them would cost more than the decoding.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}
	windowPool = sync.Pool{New: func() any { b := make([]byte, frameBufferSize); return &b }}
)

func newDecoder(ctx context.Context, name string, src io.Reader, gzipped bool, cat *catalog.Catalog, fn func(*store.Finding) error) *decoder {
	return &decoder{
		ctx:     ctx,
		name:    name,
		cat:     cat,
		fn:      fn,
		gzipped: gzipped,
		f:       framer{src: src, buf: *windowPool.Get().(*[]byte), keep: -1},
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

// framer is a read window over the input that cuts it into JSON values without decoding them.
// It checks only structure (brackets, strings); every byte it hands out is validated afterwards
// by json.Unmarshal or json.Valid. json.Decoder would do the framing too, but it cannot hand back
// the raw bytes of a top-level object, which is what JSON Lines needs (a finding and a
// {"Findings": ...} page look alike until their keys are read, and a page must not be buffered),
// and its syntax error offsets are relative to the value, not the file.
type framer struct {
	src  io.Reader
	buf  []byte
	off  int   // next unread byte
	n    int   // buf[:n] holds data
	base int64 // input offset of buf[0]
	keep int   // buf[keep:] must survive refills; -1 when nothing before off is needed
	err  error // why the input ended: io.EOF, a read error, or errValueTooLarge
}

func (f *framer) pos() int64 { return f.base + int64(f.off) }

// more reads at least one more byte into buf. It returns false when the input has ended or
// failed; f.err says which.
func (f *framer) more() bool {
	if f.err != nil {
		return false
	}
	if f.keep >= 0 && f.n-f.keep > maxValueSize {
		f.err = errValueTooLarge
		return false
	}
	if len(f.buf)-f.n < minRead {
		from := f.off
		if f.keep >= 0 && f.keep < from {
			from = f.keep
		}
		if from > 0 {
			copy(f.buf, f.buf[from:f.n])
			f.n -= from
			f.off -= from
			if f.keep >= 0 {
				f.keep -= from
			}
			f.base += int64(from)
		}
		if len(f.buf)-f.n < minRead {
			nb := make([]byte, min(2*len(f.buf), maxValueSize+minRead))
			copy(nb, f.buf[:f.n])
			f.buf = nb
		}
	}
	// Like bufio, give up on a reader that keeps returning nothing.
	for range 100 {
		m, err := f.src.Read(f.buf[f.n:])
		f.n += m
		if err != nil {
			f.err = err
			return m > 0
		}
		if m > 0 {
			return true
		}
	}
	f.err = io.ErrNoProgress
	return false
}

// skipSpace moves past whitespace and returns the next byte without consuming it. ok is false
// when the input ended first.
func (f *framer) skipSpace() (c byte, ok bool) {
	for {
		for f.off < f.n {
			switch c := f.buf[f.off]; c {
			case ' ', '\t', '\n', '\r':
				f.off++
			default:
				return c, true
			}
		}
		if !f.more() {
			return 0, false
		}
	}
}

// take frames the value at f.off and returns its bytes (valid until the next read) and its
// input offset. The caller has checked, with skipSpace, that a byte is there.
func (f *framer) take() ([]byte, int64, error) {
	start := f.pos()
	release := f.keep < 0
	if release {
		f.keep = f.off
	}
	err := f.scanValue()
	var b []byte
	if err == nil {
		b = f.buf[start-f.base : f.off]
	}
	if release {
		f.keep = -1
	}
	return b, start, err
}

// scanValue moves past the value at f.off.
func (f *framer) scanValue() error {
	c := f.buf[f.off]
	switch {
	case c == '{' || c == '[' || c == '"':
		return f.scanNested(0)
	case !isValueStart(c):
		return &syntaxError{Offset: f.pos(), Err: fmt.Errorf("invalid character %s looking for beginning of value", quoteByte(c))}
	}
	// A number or literal runs to the next byte that cannot be part of one, or to the end.
	for {
		for f.off < f.n {
			if !isLiteralByte(f.buf[f.off]) {
				return nil
			}
			f.off++
		}
		if !f.more() {
			return f.endErr(true)
		}
	}
}

// scanNested moves past the rest of a string, array or object: the value at f.off when depth is
// 0, or the rest of the enclosing containers when the caller has already entered depth of them.
func (f *framer) scanNested(depth int) error {
	inStr := false
	for {
		buf := f.buf[f.off:f.n]
		i := 0
		for i < len(buf) {
			if inStr {
				// Strings are most of an ASFF record: find the next quote with IndexByte. It
				// ends the string unless an odd run of backslashes stands before it, and that
				// run is in the window: take and object keep the value from its start.
				q := bytes.IndexByte(buf[i:], '"')
				if q < 0 {
					i = len(buf)
					continue
				}
				i += q + 1
				if escapedQuote(f.buf, f.off+i-1) {
					continue
				}
				inStr = false
				if depth == 0 {
					f.off += i
					return nil
				}
				continue
			}
			switch buf[i] {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth <= 0 {
					f.off += i + 1
					return nil
				}
			}
			i++
		}
		f.off = f.n
		if !f.more() {
			return f.endErr(false)
		}
	}
}

// escapedQuote reports whether the quote at b[p], inside a string, is escaped: preceded by an odd
// number of backslashes. The string's opening quote ends the run.
func escapedQuote(b []byte, p int) bool {
	n := 0
	for b[p-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}

// endErr explains why the input stopped inside a value. A number or literal may legitimately end
// with the input (canEnd).
func (f *framer) endErr(canEnd bool) error {
	switch {
	case f.err == io.EOF && canEnd:
		return nil
	case f.err == io.EOF:
		return &syntaxError{Offset: f.pos(), Err: io.ErrUnexpectedEOF}
	default:
		return f.err
	}
}

func isValueStart(c byte) bool {
	switch c {
	case '{', '[', '"', '-', 't', 'f', 'n':
		return true
	}
	return c >= '0' && c <= '9'
}

func isLiteralByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.'
}

func quoteByte(c byte) string {
	if c < 0x80 {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// decoder walks the top-level structure of one file.
type decoder struct {
	ctx     context.Context
	name    string
	cat     *catalog.Catalog
	fn      func(*store.Finding) error
	gzipped bool
	f       framer
	rec     int // index of the next record
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

// array decodes the elements of a findings array; f.off is at its '['.
func (d *decoder) array() error {
	f := &d.f
	f.off++
	c, ok := f.skipSpace()
	if !ok {
		return d.cut(-1)
	}
	if c == ']' {
		f.off++
		return nil
	}
	for {
		if _, ok := f.skipSpace(); !ok {
			return d.cut(d.rec)
		}
		b, start, err := f.take()
		if err != nil {
			return d.fail(d.rec, err)
		}
		if err := d.record(b, start); err != nil {
			return err
		}
		c, ok := f.skipSpace()
		if !ok {
			return d.cut(-1)
		}
		switch c {
		case ',':
			f.off++
		case ']':
			f.off++
			return nil
		default:
			return d.syntax(-1, f.pos(), "invalid character %s after array element", quoteByte(c))
		}
	}
}

// object handles a top-level object, which is either a page ({"Findings": [...], "NextToken":
// ...}) or one finding (JSON Lines). Its keys decide: "Findings" makes a page, whose array is
// streamed and never held; any ASFF attribute makes a finding, which is then framed whole. Keys
// that are neither are held until one of those turns up. f.off is at the '{'.
func (d *decoder) object() error {
	f := &d.f
	start := f.pos()
	f.keep = f.off
	f.off++
	page := false
	c, ok := f.skipSpace()
	if !ok {
		return d.cut(-1)
	}
	if c == '}' {
		f.off++
		return d.heldRecord(start)
	}
	for {
		if c != '"' {
			return d.syntax(-1, f.pos(), "invalid character %s looking for beginning of object key string", quoteByte(c))
		}
		kb, kstart, err := f.take()
		if err != nil {
			return d.fail(-1, err)
		}
		if err := d.validate(-1, kb, kstart); err != nil {
			return err
		}
		key, err := objectKey(kb)
		if err != nil {
			return d.fail(-1, err) // not reached: kb is a valid JSON string
		}
		if c, ok = f.skipSpace(); !ok {
			return d.cut(-1)
		}
		if c != ':' {
			return d.syntax(-1, f.pos(), "invalid character %s after object key", quoteByte(c))
		}
		f.off++
		if c, ok = f.skipSpace(); !ok {
			return d.cut(-1)
		}
		switch {
		case key == "Findings":
			page = true
			f.keep = -1 // what came before is ignored page metadata
			if err := d.pageFindings(c); err != nil {
				return err
			}
		case !page && asffKeys[key]:
			// This object is a finding: frame the rest of it, one level deep.
			if err := f.scanNested(1); err != nil {
				return d.fail(d.rec, err)
			}
			return d.heldRecord(start)
		default:
			b, vstart, err := f.take()
			if err != nil {
				return d.fail(-1, err)
			}
			if err := d.validate(-1, b, vstart); err != nil {
				return err
			}
		}
		if c, ok = f.skipSpace(); !ok {
			return d.cut(-1)
		}
		switch c {
		case ',':
			f.off++
			if c, ok = f.skipSpace(); !ok {
				return d.cut(-1)
			}
		case '}':
			f.off++
			if page {
				return nil
			}
			// Neither a page nor any ASFF attribute: decode it as a finding so that the error
			// names the attribute that is missing.
			return d.heldRecord(start)
		default:
			return d.syntax(-1, f.pos(), "invalid character %s after object key:value pair", quoteByte(c))
		}
	}
}

// pageFindings decodes the value of a page's "Findings" key; c is its first byte.
func (d *decoder) pageFindings(c byte) error {
	if c == '[' {
		return d.array()
	}
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
	return &ImportError{File: d.name, Record: -1, Field: "Findings", Err: fmt.Errorf("got %s, want an array", kindOf(c))}
}

// heldRecord decodes the top-level object framed from f.keep (at input offset start) to f.off.
func (d *decoder) heldRecord(start int64) error {
	b := d.f.buf[d.f.keep:d.f.off]
	d.f.keep = -1
	return d.record(b, start)
}

// objectKey returns the text of a framed object key.
func objectKey(b []byte) (string, error) {
	if len(b) >= 2 && bytes.IndexByte(b, '\\') < 0 {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
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
func (d *decoder) decodeRecord(raw *rawFinding, k int, b []byte, start int64) (*store.Finding, error) {
	*raw = rawFinding{}
	if !raw.decodeFast(b) {
		// Not the common shape, or not valid: encoding/json decides, and names what is wrong.
		*raw = rawFinding{}
		if err := json.Unmarshal(b, raw); err != nil {
			return nil, d.unmarshalError(k, start, err)
		}
	}
	f, field, err := raw.finding(d.cat)
	if err != nil {
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
