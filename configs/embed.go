// Package configs holds the data the tool ships with: the control catalog, the standards and the
// mapping of legacy per-standard control ids to security control ids. They are data, not Go
// literals, so that a new AWS control needs a CSV line and no code change.
package configs

import "embed"

// Files holds the embedded catalog files.
//
//go:embed standards.csv controls.csv legacy_controls.csv
var Files embed.FS
