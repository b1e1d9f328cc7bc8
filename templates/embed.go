// Package templates holds the report templates, embedded so the binary is self-contained. Wording
// and layout of a report change here, without a Go edit.
package templates

import "embed"

// FS holds every *.tmpl file of this directory.
//
//go:embed *.tmpl
var FS embed.FS
