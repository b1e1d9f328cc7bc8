// Package catalog reads the control catalog: the standards we know, the security controls with
// their titles, severities and standard membership, the controls AWS retired, and the mapping of
// legacy per-standard control ids (PCI.CloudTrail.1, CIS 1.2 rule 2.7) to security control ids.
// The catalog is data (configs/catalog.json, a catalog.File), so that a new AWS control needs a
// data change and no code change, and a refreshed catalog replaces the embedded one as it is.
package catalog

import (
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/hubreport/hubreport/configs"
	"github.com/hubreport/hubreport/internal/model"
)

// FileName is the catalog file's name in the fs.FS Load reads (configs/ for the embedded one).
const FileName = "catalog.json"

// Standard is a Security Hub standard.
type Standard struct {
	Key       string // short key the catalog's controls use, e.g. "fsbp"
	ID        string // resource id, e.g. "standards/pci-dss/v/3.2.1"
	Name      string
	ShortName string
	Slug      string // names the standard's files, e.g. "pci-dss-v4.0.1"
	// ServiceManaged marks a standard another service manages (AWS Control Tower's).
	ServiceManaged bool
}

// Control is a security control.
type Control struct {
	ID           string // security control id, e.g. "S3.1"
	Title        string
	Severity     string
	Category     string // e.g. "Protect > Data protection > Encryption of data-at-rest"
	ResourceType string // ASFF resource type the control evaluates
	Global       bool   // evaluated once per account (in the home region), not per region
	Standards    []string
	Requirements []string // related requirements as AWS lists them

	remediationURL string // from the catalog file; empty: derived from the id
}

// RemediationURL is the control's page in the Security Hub user guide.
func (c Control) RemediationURL() string {
	if c.remediationURL != "" {
		return c.remediationURL
	}
	service, _, _ := strings.Cut(c.ID, ".")
	s := strings.ToLower(service)
	return "https://docs.aws.amazon.com/securityhub/latest/userguide/" + s + "-controls.html#" +
		s + "-" + strings.ToLower(strings.TrimPrefix(c.ID, service+"."))
}

// Catalog is the parsed catalog. It is read-only after Load.
type Catalog struct {
	Standards []Standard
	Controls  []Control
	// Source and Retrieved say where and when the catalog's data was read.
	Source, Retrieved string

	standardByKey map[string]Standard
	standardByID  map[string]Standard
	controlByID   map[string]Control
	retired       map[string]bool
	legacy        map[string]string // standardID + "\x00" + legacyID -> control id
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default returns the catalog embedded from configs/catalog.json. It is parsed once.
func Default() (*Catalog, error) {
	defaultOnce.Do(func() { defaultCat, defaultErr = Load(configs.Files) })
	return defaultCat, defaultErr
}

// Load parses catalog.json from fsys.
func Load(fsys fs.FS) (*Catalog, error) {
	data, err := fs.ReadFile(fsys, FileName)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	f, err := ParseFile(bytes.NewReader(data), FileName)
	if err != nil {
		return nil, err
	}
	c, err := FromFile(f)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", FileName, err)
	}
	return c, nil
}

// ValidationError is a catalog file entry that cannot be used: Entry names it ("control S3.1",
// "standard pci", "legacy id PCI.S3.1"), Field the JSON field at fault.
type ValidationError struct {
	Entry, Field, Problem string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%s: field %s: %s", e.Entry, e.Field, e.Problem)
}

var (
	controlIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*\.[0-9]+$`)
	datePattern      = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$`)
)

// FromFile checks f and builds the catalog from it. The first problem found is returned as a
// *ValidationError naming the entry and the field; fix that entry of the file.
func FromFile(f *File) (*Catalog, error) {
	bad := func(entry, field, format string, args ...any) error {
		return &ValidationError{Entry: entry, Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if f.Retrieved != "" && !datePattern.MatchString(f.Retrieved) {
		return nil, bad("catalog", "retrieved", "%q is not a date (YYYY-MM-DD)", f.Retrieved)
	}
	c := &Catalog{
		Source:        f.Source,
		Retrieved:     f.Retrieved,
		standardByKey: map[string]Standard{},
		standardByID:  map[string]Standard{},
		controlByID:   map[string]Control{},
		retired:       map[string]bool{},
		legacy:        map[string]string{},
	}
	if len(f.Standards) == 0 {
		return nil, bad("catalog", "standards", "no standards")
	}
	for i, fs := range f.Standards {
		entry := fmt.Sprintf("standard %d (%s)", i+1, fs.Key)
		switch {
		case fs.Key == "":
			return nil, bad(entry, "key", "empty")
		case fs.ID == "":
			return nil, bad(entry, "id", "empty")
		case fs.Name == "":
			return nil, bad(entry, "name", "empty")
		case fs.Slug == "" || strings.ContainsAny(fs.Slug, "/\\ "):
			return nil, bad(entry, "slug", "%q is not a file name", fs.Slug)
		}
		if _, dup := c.standardByKey[fs.Key]; dup {
			return nil, bad(entry, "key", "duplicate standard key %q", fs.Key)
		}
		id := NormalizeStandardID(fs.ID)
		if _, dup := c.standardByID[id]; dup {
			return nil, bad(entry, "id", "duplicate standard id %q", fs.ID)
		}
		s := Standard{Key: fs.Key, ID: id, Name: fs.Name, ShortName: fs.ShortName, Slug: fs.Slug, ServiceManaged: fs.ServiceManaged}
		if s.ShortName == "" {
			s.ShortName = s.Name
		}
		c.Standards = append(c.Standards, s)
		c.standardByKey[s.Key] = s
		c.standardByID[s.ID] = s
	}
	for _, r := range f.Retired {
		entry := "retired control " + r.ID
		if !controlIDPattern.MatchString(r.ID) {
			return nil, bad(entry, "id", "%q is not a security control id (Service.N)", r.ID)
		}
		if r.Retired != "" && !datePattern.MatchString(r.Retired) {
			return nil, bad(entry, "retired", "%q is not a date (YYYY-MM or YYYY-MM-DD)", r.Retired)
		}
		c.retired[r.ID] = true
	}
	for _, fc := range f.Controls {
		ctl, err := c.control(fc)
		if err != nil {
			return nil, err
		}
		c.Controls = append(c.Controls, ctl)
		c.controlByID[ctl.ID] = ctl
	}
	for _, l := range f.Legacy {
		entry := "legacy id " + l.LegacyID
		s, ok := c.standardByKey[l.Standard]
		switch {
		case l.LegacyID == "":
			return nil, bad("legacy id of "+l.ControlID, "legacy_id", "empty")
		case !ok:
			return nil, bad(entry, "standard", "unknown standard key %q", l.Standard)
		}
		if _, ok := c.controlByID[l.ControlID]; !ok {
			return nil, bad(entry, "control_id", "control %s is not among the catalog's controls", l.ControlID)
		}
		c.legacy[s.ID+"\x00"+l.LegacyID] = l.ControlID
	}
	return c, nil
}

// control checks one control of the file.
func (c *Catalog) control(fc FileControl) (Control, error) {
	entry := "control " + fc.ID
	bad := func(field, format string, args ...any) error {
		return &ValidationError{Entry: entry, Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if !controlIDPattern.MatchString(fc.ID) {
		return Control{}, bad("id", "%q is not a security control id (Service.N)", fc.ID)
	}
	if _, dup := c.controlByID[fc.ID]; dup {
		return Control{}, bad("id", "duplicate control")
	}
	if c.retired[fc.ID] {
		return Control{}, bad("id", "the control is also listed as retired; keep it in one of the two lists")
	}
	if strings.TrimSpace(fc.Title) == "" {
		return Control{}, bad("title", "empty")
	}
	switch fc.Severity {
	case "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL":
	default:
		return Control{}, bad("severity", "%q is not CRITICAL, HIGH, MEDIUM, LOW or INFORMATIONAL", fc.Severity)
	}
	ctl := Control{ID: fc.ID, Title: fc.Title, Severity: fc.Severity, Category: fc.Category,
		ResourceType: fc.ResourceType, Requirements: fc.Requirements, remediationURL: fc.RemediationURL}
	switch fc.Scope {
	case "global":
		ctl.Global = true
	case "regional":
	default:
		return Control{}, bad("scope", "%q is neither global nor regional", fc.Scope)
	}
	if len(fc.Standards) == 0 {
		return Control{}, bad("standards", "the control belongs to no standard")
	}
	for _, key := range fc.Standards {
		s, ok := c.standardByKey[key]
		if !ok {
			return Control{}, bad("standards", "unknown standard key %q", key)
		}
		ctl.Standards = append(ctl.Standards, s.ID)
	}
	if u := fc.RemediationURL; u != "" && !strings.HasPrefix(u, "https://") {
		return Control{}, bad("remediation_url", "%q is not an https URL", u)
	}
	return ctl, nil
}

// Retired reports whether AWS retired the control: findings that still carry it are dropped.
func (c *Catalog) Retired(id string) bool { return c.retired[id] }

// Standard finds a standard by key or resource id.
func (c *Catalog) Standard(keyOrID string) (Standard, bool) {
	if s, ok := c.standardByKey[keyOrID]; ok {
		return s, true
	}
	s, ok := c.standardByID[NormalizeStandardID(keyOrID)]
	return s, ok
}

// Control finds a control by security control id.
func (c *Catalog) Control(id string) (Control, bool) {
	ctl, ok := c.controlByID[id]
	return ctl, ok
}

// SecurityControlID maps a legacy per-standard control id to the security control id. Ids that are
// already security control ids (FSBP and NIST legacy findings use them) map to themselves.
func (c *Catalog) SecurityControlID(standardID, legacyID string) (string, bool) {
	if id, ok := c.legacy[NormalizeStandardID(standardID)+"\x00"+legacyID]; ok {
		return id, true
	}
	if _, ok := c.controlByID[legacyID]; ok {
		return legacyID, true
	}
	return "", false
}

// NormalizeStandardID reduces any form a finding uses to name a standard to its resource id:
//
//	arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0      -> ruleset/cis-aws-foundations-benchmark/v/1.2.0
//	arn:aws:securityhub:us-east-1::standards/pci-dss/v/3.2.1                 -> standards/pci-dss/v/3.2.1
//	arn:aws:securityhub:us-east-1:111122223333:subscription/pci-dss/v/3.2.1  -> standards/pci-dss/v/3.2.1
//
// Anything else is returned trimmed of a trailing slash.
func NormalizeStandardID(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "arn:") {
		// arn:partition:service:region:account:resource; the resource may contain ':' in theory.
		parts := strings.SplitN(s, ":", 6)
		if len(parts) == 6 {
			s = parts[5]
		}
	}
	if rest, ok := strings.CutPrefix(s, "subscription/"); ok {
		// Enabled-standard subscriptions of the CIS 1.2.0 ruleset keep the ruleset prefix.
		if strings.HasPrefix(rest, "cis-aws-foundations-benchmark/v/1.2.0") {
			s = "ruleset/" + rest
		} else {
			s = "standards/" + rest
		}
	}
	return strings.TrimSuffix(s, "/")
}

// ForSnapshot converts the catalog into the store's per-snapshot catalog rows for the given
// enabled standards (resource ids or keys); unknown standards are skipped. With no standards given,
// the primary four are used: FSBP, CIS v5.0, PCI DSS v3.2.1 and NIST 800-53 r5.
func (c *Catalog) ForSnapshot(enabled []string) ([]model.Standard, []model.Control) {
	if len(enabled) == 0 {
		enabled = []string{"cis5", "fsbp", "pci321", "nist53r5"}
	}
	var stds []model.Standard
	want := map[string]bool{}
	for _, e := range enabled {
		s, ok := c.Standard(e)
		if !ok || want[s.ID] {
			continue
		}
		want[s.ID] = true
		stds = append(stds, model.Standard{ID: s.ID, Name: s.Name, ShortName: s.ShortName})
	}
	var ctls []model.Control
	for _, ctl := range c.Controls {
		for _, sid := range ctl.Standards {
			if want[sid] {
				ctls = append(ctls, model.Control{StandardID: sid, ControlID: ctl.ID, Title: ctl.Title,
					Severity: ctl.Severity, RemediationURL: ctl.RemediationURL()})
			}
		}
	}
	sort.Slice(ctls, func(i, j int) bool {
		if ctls[i].StandardID != ctls[j].StandardID {
			return ctls[i].StandardID < ctls[j].StandardID
		}
		return ctls[i].ControlID < ctls[j].ControlID
	})
	return stds, ctls
}
