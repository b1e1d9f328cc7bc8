package catalog

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// FromFile builds a Catalog from a catalog file (the embedded one, a refreshed one, or the one
// catalog.path names), with the same checks Load makes of the CSV catalog: every key, severity,
// scope and reference is valid, so a hand-edited file fails here, naming the record, and not as a
// report with empty titles.
func FromFile(f *File) (*Catalog, error) {
	c := &Catalog{
		standardByKey: map[string]Standard{},
		standardByID:  map[string]Standard{},
		controlByID:   map[string]Control{},
		legacy:        map[string]string{},
	}
	for i, fs := range f.Standards {
		s := Standard{Key: fs.Key, ID: NormalizeStandardID(fs.ID), Name: fs.Name, ShortName: fs.ShortName}
		switch {
		case s.Key == "" || s.ID == "" || s.Name == "":
			return nil, fmt.Errorf("catalog standards[%d]: key, id and name are required (key %q, id %q, name %q)", i, s.Key, s.ID, s.Name)
		case c.standardByKey[s.Key].Key != "":
			return nil, fmt.Errorf("catalog standards[%d]: duplicate standard key %q", i, s.Key)
		case c.standardByID[s.ID].ID != "":
			return nil, fmt.Errorf("catalog standards[%d]: duplicate standard id %q", i, s.ID)
		}
		if s.ShortName == "" {
			s.ShortName = s.Name
		}
		c.Standards = append(c.Standards, s)
		c.standardByKey[s.Key] = s
		c.standardByID[s.ID] = s
	}
	for i, fc := range f.Controls {
		ctl := Control{ID: fc.ID, Title: fc.Title, Severity: fc.Severity, ResourceType: fc.ResourceType}
		if ctl.ID == "" || ctl.Title == "" {
			return nil, fmt.Errorf("catalog controls[%d]: id and title are required (id %q, title %q)", i, ctl.ID, ctl.Title)
		}
		switch fc.Scope {
		case "global":
			ctl.Global = true
		case "regional":
		default:
			return nil, fmt.Errorf("catalog control %s: scope %q is neither global nor regional", ctl.ID, fc.Scope)
		}
		switch ctl.Severity {
		case "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL":
		default:
			return nil, fmt.Errorf("catalog control %s: severity %q is not CRITICAL, HIGH, MEDIUM, LOW or INFORMATIONAL", ctl.ID, ctl.Severity)
		}
		for _, key := range fc.Standards {
			s, ok := c.standardByKey[key]
			if !ok {
				return nil, fmt.Errorf("catalog control %s: unknown standard key %q", ctl.ID, key)
			}
			if !slices.Contains(ctl.Standards, s.ID) {
				ctl.Standards = append(ctl.Standards, s.ID)
			}
		}
		if _, dup := c.controlByID[ctl.ID]; dup {
			return nil, fmt.Errorf("catalog: duplicate control %s", ctl.ID)
		}
		c.Controls = append(c.Controls, ctl)
		c.controlByID[ctl.ID] = ctl
	}
	for i, l := range f.Legacy {
		s, ok := c.standardByKey[l.Standard]
		if !ok {
			return nil, fmt.Errorf("catalog legacy[%d] %s: unknown standard key %q", i, l.LegacyID, l.Standard)
		}
		if _, ok := c.controlByID[l.ControlID]; !ok {
			return nil, fmt.Errorf("catalog legacy[%d] %s: control %s is not in the catalog's controls", i, l.LegacyID, l.ControlID)
		}
		c.legacy[s.ID+"\x00"+l.LegacyID] = l.ControlID
	}
	return c, nil
}

// Legacy lists the catalog's legacy per-standard control ids, sorted by standard key and legacy
// id, as a catalog file holds them: a refreshed catalog keeps the mapping AWS's APIs do not give.
func (c *Catalog) Legacy() []FileLegacy {
	out := []FileLegacy{}
	for k, ctl := range c.legacy {
		sid, lid, _ := strings.Cut(k, "\x00")
		s, ok := c.standardByID[sid]
		if !ok {
			continue
		}
		out = append(out, FileLegacy{Standard: s.Key, LegacyID: lid, ControlID: ctl})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Standard != out[j].Standard {
			return out[i].Standard < out[j].Standard
		}
		return out[i].LegacyID < out[j].LegacyID
	})
	return out
}
