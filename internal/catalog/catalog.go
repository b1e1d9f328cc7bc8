// Package catalog reads the embedded control catalog (configs/*.csv): the standards we know, the
// security controls with their titles, severities and standard membership, and the mapping of
// legacy per-standard control ids (PCI.CloudTrail.1, CIS 1.2 rule 2.7) to security control ids.
package catalog

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/hubreport/hubreport/configs"
	"github.com/hubreport/hubreport/internal/store"
)

// Standard is a Security Hub standard.
type Standard struct {
	Key       string // short key used in controls.csv, e.g. "fsbp"
	ID        string // resource id, e.g. "standards/pci-dss/v/3.2.1"
	Name      string
	ShortName string
}

// Control is a security control.
type Control struct {
	ID           string // security control id, e.g. "S3.1"
	Title        string
	Severity     string
	ResourceType string // ASFF resource type the control evaluates
	Global       bool   // evaluated once per account (in the home region), not per region
	Standards    []string
}

// RemediationURL is the control's page in the Security Hub user guide.
func (c Control) RemediationURL() string {
	service, _, _ := strings.Cut(c.ID, ".")
	s := strings.ToLower(service)
	return "https://docs.aws.amazon.com/securityhub/latest/userguide/" + s + "-controls.html#" +
		s + "-" + strings.ToLower(strings.TrimPrefix(c.ID, service+"."))
}

// Catalog is the parsed catalog. It is read-only after Load.
type Catalog struct {
	Standards []Standard
	Controls  []Control

	standardByKey map[string]Standard
	standardByID  map[string]Standard
	controlByID   map[string]Control
	legacy        map[string]string // standardID + "\x00" + legacyID -> control id
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default returns the catalog embedded from configs/. It is parsed once.
func Default() (*Catalog, error) {
	defaultOnce.Do(func() { defaultCat, defaultErr = Load(configs.Files) })
	return defaultCat, defaultErr
}

// Load parses standards.csv, controls.csv and legacy_controls.csv from fsys.
func Load(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{
		standardByKey: map[string]Standard{},
		standardByID:  map[string]Standard{},
		controlByID:   map[string]Control{},
		legacy:        map[string]string{},
	}
	err := readCSV(fsys, "standards.csv", []string{"key", "id", "name", "short_name"}, func(r []string) error {
		s := Standard{Key: r[0], ID: r[1], Name: r[2], ShortName: r[3]}
		if _, dup := c.standardByKey[s.Key]; dup {
			return fmt.Errorf("duplicate standard key %q", s.Key)
		}
		c.Standards = append(c.Standards, s)
		c.standardByKey[s.Key] = s
		c.standardByID[s.ID] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readCSV(fsys, "controls.csv", []string{"control_id", "title", "severity", "resource_type", "scope", "standards"}, func(r []string) error {
		ctl := Control{ID: r[0], Title: r[1], Severity: r[2], ResourceType: r[3]}
		switch r[4] {
		case "global":
			ctl.Global = true
		case "regional":
		default:
			return fmt.Errorf("control %s: scope %q is neither global nor regional", ctl.ID, r[4])
		}
		switch ctl.Severity {
		case "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL":
		default:
			return fmt.Errorf("control %s: severity %q", ctl.ID, ctl.Severity)
		}
		for _, key := range strings.Fields(r[5]) {
			s, ok := c.standardByKey[key]
			if !ok {
				return fmt.Errorf("control %s: unknown standard key %q", ctl.ID, key)
			}
			ctl.Standards = append(ctl.Standards, s.ID)
		}
		if _, dup := c.controlByID[ctl.ID]; dup {
			return fmt.Errorf("duplicate control %s", ctl.ID)
		}
		c.Controls = append(c.Controls, ctl)
		c.controlByID[ctl.ID] = ctl
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readCSV(fsys, "legacy_controls.csv", []string{"standard_key", "legacy_id", "control_id"}, func(r []string) error {
		s, ok := c.standardByKey[r[0]]
		if !ok {
			return fmt.Errorf("legacy id %s: unknown standard key %q", r[1], r[0])
		}
		if _, ok := c.controlByID[r[2]]; !ok {
			return fmt.Errorf("legacy id %s: control %s is not in controls.csv", r[1], r[2])
		}
		c.legacy[s.ID+"\x00"+r[1]] = r[2]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func readCSV(fsys fs.FS, name string, header []string, row func([]string) error) error {
	f, err := fsys.Open(name)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(header)
	got, err := r.Read()
	if err != nil {
		return fmt.Errorf("catalog %s: header: %w", name, err)
	}
	if strings.Join(got, ",") != strings.Join(header, ",") {
		return fmt.Errorf("catalog %s: header is %q, want %q", name, got, header)
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("catalog %s: %w", name, err)
		}
		if err := row(rec); err != nil {
			line, _ := r.FieldPos(0)
			return fmt.Errorf("catalog %s line %d: %w", name, line, err)
		}
	}
}

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
func (c *Catalog) ForSnapshot(enabled []string) ([]store.Standard, []store.Control) {
	if len(enabled) == 0 {
		enabled = []string{"cis5", "fsbp", "pci321", "nist53r5"}
	}
	var stds []store.Standard
	want := map[string]bool{}
	for _, e := range enabled {
		s, ok := c.Standard(e)
		if !ok || want[s.ID] {
			continue
		}
		want[s.ID] = true
		stds = append(stds, store.Standard{ID: s.ID, Name: s.Name, ShortName: s.ShortName})
	}
	var ctls []store.Control
	for _, ctl := range c.Controls {
		for _, sid := range ctl.Standards {
			if want[sid] {
				ctls = append(ctls, store.Control{StandardID: sid, ControlID: ctl.ID, Title: ctl.Title,
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
