// Package configs holds the data the tool ships with: the control catalog (catalog.json: the
// standards, the security controls, the retired controls and the mapping of legacy per-standard
// control ids to security control ids). It is data, not Go literals, so that a new AWS control
// needs a data change and no code change.
package configs

import "embed"

// Files holds the embedded catalog file.
//
//go:embed catalog.json
var Files embed.FS
