package xlsx

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/klauspost/compress/flate"
)

// orderedZip is the excelize.ZipWriter behind book.write. Each entry is compressed as excelize
// writes it, into memory or, past spillSize, a temporary file; Close then writes the entries to
// the real zip in name order with their precomputed sizes and CRC. excelize creates the
// streamed sheets in map order, so without this two runs give differently ordered archives.
type orderedZip struct {
	zw      *zip.Writer
	entries []*zipEntry
}

func newOrderedZip(w io.Writer) *orderedZip { return &orderedZip{zw: zip.NewWriter(w)} }

// Create starts an entry; excelize writes it fully before creating the next.
func (z *orderedZip) Create(name string) (io.Writer, error) {
	if len(z.entries) > 0 {
		if err := z.entries[len(z.entries)-1].finish(); err != nil {
			return nil, err
		}
	}
	e, err := newZipEntry(name)
	if err != nil {
		return nil, err
	}
	z.entries = append(z.entries, e)
	return e, nil
}

// AddFS is part of excelize.ZipWriter; excelize does not call it when saving.
func (z *orderedZip) AddFS(fs.FS) error {
	return errors.New("orderedZip: AddFS not supported")
}

// Close ends the last entry. excelize calls it also after a failed save, so it writes nothing:
// emit does, once the save succeeded, so that a failure leaves w untouched.
func (z *orderedZip) Close() error {
	if len(z.entries) > 0 {
		return z.entries[len(z.entries)-1].finish()
	}
	return nil
}

// emit writes the entries in name order and the zip's directory.
func (z *orderedZip) emit() error {
	slices.SortFunc(z.entries, func(a, b *zipEntry) int { return strings.Compare(a.name, b.name) })
	for _, e := range z.entries {
		if err := e.copyTo(z.zw); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	return z.zw.Close()
}

// discard releases the entries' temporary files.
func (z *orderedZip) discard() {
	for _, e := range z.entries {
		e.release()
	}
	z.entries = nil
}

// spillSize is how much compressed data an entry keeps in memory before moving to a temporary
// file: the small parts stay in memory, the streamed sheets go to disk.
const spillSize = 8 << 20

// zipEntry is one compressed part of the workbook, waiting to be written in order.
type zipEntry struct {
	name string
	crc  hash.Hash32
	size uint64 // uncompressed
	fw   *flate.Writer
	data spool // compressed
	done bool
}

func newZipEntry(name string) (*zipEntry, error) {
	e := &zipEntry{name: name, crc: crc32.NewIEEE()}
	// Level 5 is what archive/zip uses by default: the file is about the size excelize would
	// write. klauspost's deflate writes the same format as compress/flate in about half the CPU
	// (the evidence package uses it for the same reason); for a given level its output depends
	// on the input only, so the workbook stays reproducible.
	fw, err := flate.NewWriter(&e.data, 5)
	if err != nil {
		return nil, err
	}
	e.fw = fw
	return e, nil
}

func (e *zipEntry) Write(p []byte) (int, error) {
	if e.done {
		return 0, fmt.Errorf("%s: write after the next entry began", e.name)
	}
	e.crc.Write(p)
	e.size += uint64(len(p))
	return e.fw.Write(p)
}

func (e *zipEntry) finish() error {
	if e.done {
		return nil
	}
	e.done = true
	if err := e.fw.Close(); err != nil {
		return fmt.Errorf("%s: %w", e.name, err)
	}
	return e.data.err
}

func (e *zipEntry) copyTo(zw *zip.Writer) error {
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               e.name,
		Method:             zip.Deflate,
		CRC32:              e.crc.Sum32(),
		CompressedSize64:   e.data.n,
		UncompressedSize64: e.size,
	})
	if err != nil {
		return err
	}
	r, err := e.data.reader()
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

func (e *zipEntry) release() { e.data.release() }

// spool holds bytes in memory up to spillSize, then in a temporary file.
type spool struct {
	mem bytes.Buffer
	tmp *os.File
	n   uint64
	err error // sticky: flate.Writer would otherwise hide a failed write until Close
}

func (s *spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.n += uint64(len(p))
	if s.tmp == nil && s.mem.Len()+len(p) <= spillSize {
		return s.mem.Write(p)
	}
	if s.tmp == nil {
		if s.tmp, s.err = os.CreateTemp("", "hubreport-xlsx-*"); s.err != nil {
			return 0, s.err
		}
		if _, s.err = s.mem.WriteTo(s.tmp); s.err != nil {
			return 0, s.err
		}
		s.mem = bytes.Buffer{}
	}
	var n int
	n, s.err = s.tmp.Write(p)
	return n, s.err
}

func (s *spool) reader() (io.Reader, error) {
	if s.tmp == nil {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	return io.NewSectionReader(s.tmp, 0, int64(s.n)), nil
}

func (s *spool) release() {
	if s.tmp != nil {
		name := s.tmp.Name()
		_ = s.tmp.Close()
		_ = os.Remove(name)
		s.tmp = nil
	}
	s.mem = bytes.Buffer{}
}
