package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// TamperError names a file of a package that does not match its manifest.
type TamperError struct {
	Path   string
	Reason string
}

func (e *TamperError) Error() string { return fmt.Sprintf("evidence: %s: %s", e.Path, e.Reason) }

// Limits of what Verify reads. A package holds a few dozen files and a manifest of a few hundred
// kilobytes even for a large organization (its coverage gaps are the biggest part); the limits
// are far above that and far below what would exhaust a host's memory, so a hostile or corrupt
// package is refused before it is read rather than after.
const (
	// MaxManifestBytes is the largest manifest.json Verify reads.
	MaxManifestBytes = 64 << 20
	// MaxFiles is the most files a package (its zip and its manifest's list) may hold.
	MaxFiles = 1_000_000
)

// LimitError is a package past one of Verify's limits.
type LimitError struct {
	What  string // "manifest.json", "zip entries", "manifest files"
	Got   uint64 // as far as it was read: at least this
	Limit uint64
}

func (e *LimitError) Error() string {
	unit := "files"
	if e.What == ManifestName {
		unit = "bytes"
	}
	return fmt.Sprintf("evidence: %s: %d %s, over this reporter's limit of %d %s: not read. A package hubreport writes is far "+
		"smaller; this one was not made by it or was altered", e.What, e.Got, unit, e.Limit, unit)
}

// Verify checks a package: the manifest is readable, every file it lists is present with its
// size and SHA-256, and the package holds no file the manifest does not list. It returns the
// manifest and its own SHA-256 (to compare with the one recorded when the package was filed).
// A mismatch is a *TamperError naming the file; a package past MaxManifestBytes or MaxFiles is
// a *LimitError. Entries are hashed as they are read, never held in memory.
func Verify(r io.ReaderAt, size int64) (*Manifest, string, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, "", fmt.Errorf("evidence: not a zip file: %w", err)
	}
	// zip.NewReader refuses a directory claiming more entries than the file could hold, so this
	// list is already bounded by the file's size; the limit bounds the map built from it.
	if n := len(zr.File); n > MaxFiles+1 {
		return nil, "", &LimitError{What: "zip entries", Got: uint64(n), Limit: MaxFiles + 1}
	}
	entries := map[string]*zip.File{}
	for _, f := range zr.File {
		if _, dup := entries[f.Name]; dup {
			return nil, "", &TamperError{Path: f.Name, Reason: "appears twice in the zip"}
		}
		entries[f.Name] = f
	}
	mf, ok := entries[ManifestName]
	if !ok {
		return nil, "", &TamperError{Path: ManifestName, Reason: "missing"}
	}
	data, err := readManifest(mf)
	if err != nil {
		return nil, "", err
	}
	m, err := decodeManifest(data)
	if err != nil {
		return nil, "", err
	}
	if m.FormatVersion != FormatVersion {
		return nil, "", &TamperError{Path: ManifestName, Reason: fmt.Sprintf("format_version %d, this reporter reads %d", m.FormatVersion, FormatVersion)}
	}
	sum := sha256.Sum256(data)
	listed := map[string]bool{ManifestName: true}
	for _, ref := range m.Files {
		listed[ref.Path] = true
		f, ok := entries[ref.Path]
		if !ok {
			return m, "", &TamperError{Path: ref.Path, Reason: "listed in the manifest but missing"}
		}
		// The zip reader holds an entry to its declared size, so a differing one fails here
		// without being read.
		if f.UncompressedSize64 != uint64(ref.Size) {
			return m, "", &TamperError{Path: ref.Path, Reason: fmt.Sprintf("size %d, manifest says %d", f.UncompressedSize64, ref.Size)}
		}
		got, n, err := hashEntry(f)
		if err != nil {
			return m, "", &TamperError{Path: ref.Path, Reason: err.Error()}
		}
		if n != ref.Size {
			return m, "", &TamperError{Path: ref.Path, Reason: fmt.Sprintf("size %d, manifest says %d", n, ref.Size)}
		}
		if got != ref.SHA256 {
			return m, "", &TamperError{Path: ref.Path, Reason: fmt.Sprintf("SHA-256 %s, manifest says %s", got, ref.SHA256)}
		}
	}
	var extra []string
	for name := range entries {
		if !listed[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return m, "", &TamperError{Path: extra[0], Reason: "not listed in the manifest"}
	}
	return m, hex.EncodeToString(sum[:]), nil
}

// readManifest reads the manifest, refusing one past MaxManifestBytes by its declared size
// before reading, and by what it yields while reading (the declared size is the packer's word).
func readManifest(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > MaxManifestBytes {
		return nil, &LimitError{What: ManifestName, Got: f.UncompressedSize64, Limit: MaxManifestBytes}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, &TamperError{Path: ManifestName, Reason: err.Error()}
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxManifestBytes+1))
	if err != nil {
		return nil, &TamperError{Path: ManifestName, Reason: err.Error()}
	}
	if len(data) > MaxManifestBytes {
		return nil, &LimitError{What: ManifestName, Got: uint64(len(data)), Limit: MaxManifestBytes}
	}
	return data, nil
}

// decodeManifest parses the manifest, counting its files as they are decoded so that a list
// past MaxFiles is refused before it is built.
func decodeManifest(data []byte) (*Manifest, error) {
	var shadow struct {
		Manifest
		Files boundedFiles `json:"files"` // shallower than Manifest.Files, so decoded here
	}
	if err := json.Unmarshal(data, &shadow); err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return nil, le
		}
		return nil, &TamperError{Path: ManifestName, Reason: "not valid JSON: " + err.Error()}
	}
	m := shadow.Manifest
	m.Files = shadow.Files
	return &m, nil
}

type boundedFiles []FileRef

func (b *boundedFiles) UnmarshalJSON(raw []byte) error {
	if string(raw) == "null" {
		*b = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return fmt.Errorf("files: not a list")
	}
	var out []FileRef
	for dec.More() {
		if len(out) == MaxFiles {
			return &LimitError{What: "manifest files", Got: MaxFiles + 1, Limit: MaxFiles}
		}
		var f FileRef
		if err := dec.Decode(&f); err != nil {
			return fmt.Errorf("files[%d]: %w", len(out), err)
		}
		out = append(out, f)
	}
	*b = out
	return nil
}

// hashEntry returns the SHA-256 and size of a zip entry's content.
func hashEntry(f *zip.File) (string, int64, error) {
	rc, err := f.Open()
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
