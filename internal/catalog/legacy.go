package catalog

import (
	"sort"
	"strings"
)

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
