package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// File is the catalog as data: what configs/catalog.json holds, what `reporter catalog refresh`
// writes from a live account, and what catalog.path names. One format for all three, so a
// refreshed catalog replaces the embedded one without conversion.
type File struct {
	// Source says where the data was read: the Security Hub CSPM user guide pages, or the
	// account and region a refresh read (never credentials).
	Source string `json:"source"`
	// Retrieved is the date (YYYY-MM-DD) the source was read.
	Retrieved string         `json:"retrieved"`
	Standards []FileStandard `json:"standards"`
	Controls  []FileControl  `json:"controls"`
	// Retired controls: AWS no longer evaluates them; findings that still carry one are dropped
	// and counted in the methodology's reconciliation.
	Retired []FileRetired `json:"retired"`
	// Legacy maps per-standard control ids (PCI.CloudTrail.1, CIS 1.2 rule 2.7) to security
	// control ids.
	Legacy []FileLegacy `json:"legacy"`
}

// FileStandard is a standard of the catalog file.
type FileStandard struct {
	Key       string `json:"key"`  // short key the controls use, e.g. "fsbp"
	ID        string `json:"id"`   // resource id, e.g. "standards/pci-dss/v/4.0.1"
	Name      string `json:"name"` // e.g. "PCI DSS v4.0.1"
	ShortName string `json:"short_name"`
	// Slug names the standard's files, e.g. "pci-dss-v4.0.1" (controls/pci-dss-v4.0.1.csv).
	Slug string `json:"slug"`
	// ServiceManaged marks a standard another service manages (AWS Control Tower's).
	ServiceManaged bool `json:"service_managed,omitempty"`
}

// FileControl is a security control of the catalog file.
type FileControl struct {
	ID       string `json:"id"` // security control id, e.g. "S3.1"
	Title    string `json:"title"`
	Severity string `json:"severity"` // CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL
	Category string `json:"category,omitempty"`
	// ResourceType is the ASFF resource type the control evaluates, e.g. AwsS3Bucket.
	ResourceType string `json:"resource_type,omitempty"`
	Scope        string `json:"scope"` // "global" (once per account) or "regional"
	// Standards are the keys of the standards the control belongs to.
	Standards []string `json:"standards"`
	// Requirements are the related requirements AWS lists (e.g. "PCI DSS v4.0.1/3.5.1").
	Requirements   []string `json:"requirements,omitempty"`
	RemediationURL string   `json:"remediation_url,omitempty"`
}

// FileRetired is a control AWS retired.
type FileRetired struct {
	ID      string `json:"id"`
	Retired string `json:"retired"` // when, as the change log gives it (YYYY-MM-DD or YYYY-MM)
	Note    string `json:"note,omitempty"`
}

// FileLegacy maps one legacy per-standard control id to a security control id.
type FileLegacy struct {
	Standard  string `json:"standard"` // standard key
	LegacyID  string `json:"legacy_id"`
	ControlID string `json:"control_id"`
}

// ParseFile reads a catalog file. Unknown fields are errors: a misspelt key would otherwise
// silently drop data. name is used in errors only.
func ParseFile(r io.Reader, name string) (*File, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("catalog %s: %w", name, err)
	}
	return &f, nil
}

// WriteFile writes f as indented JSON, one control a few lines: diffs of a refreshed catalog
// read as the controls that changed.
func WriteFile(w io.Writer, f *File) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
