package evidence

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

// Verify checks a package: the manifest is readable, every file it lists is present with its
// size and SHA-256, and the package holds no file the manifest does not list. It returns the
// manifest and its own SHA-256 (to compare with the one recorded when the package was filed).
// A mismatch is a *TamperError naming the file.
func Verify(r io.ReaderAt, size int64) (*Manifest, string, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, "", fmt.Errorf("evidence: not a zip file: %w", err)
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
	rc, err := mf.Open()
	if err != nil {
		return nil, "", &TamperError{Path: ManifestName, Reason: err.Error()}
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, "", &TamperError{Path: ManifestName, Reason: err.Error()}
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, "", &TamperError{Path: ManifestName, Reason: "not valid JSON: " + err.Error()}
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
			return &m, "", &TamperError{Path: ref.Path, Reason: "listed in the manifest but missing"}
		}
		got, n, err := hashEntry(f)
		if err != nil {
			return &m, "", &TamperError{Path: ref.Path, Reason: err.Error()}
		}
		if n != ref.Size {
			return &m, "", &TamperError{Path: ref.Path, Reason: fmt.Sprintf("size %d, manifest says %d", n, ref.Size)}
		}
		if got != ref.SHA256 {
			return &m, "", &TamperError{Path: ref.Path, Reason: fmt.Sprintf("SHA-256 %s, manifest says %s", got, ref.SHA256)}
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
		return &m, "", &TamperError{Path: extra[0], Reason: "not listed in the manifest"}
	}
	return &m, hex.EncodeToString(sum[:]), nil
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
