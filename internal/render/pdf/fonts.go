package pdf

import (
	"bytes"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
)

// The Go fonts are embedded in the binary and in every PDF (subset to the glyphs used), so the
// report looks the same on every reader and needs no font files on the machine that renders it.
// They are TrueType fonts added through fpdf's UTF-8 API: fpdf's core fonts (Helvetica, ...) are
// not embedded and only encode cp1252, which garbles account names such as "Zürich-données", the
// en dash and anything beyond. The Go fonts cover WGL4 (Latin, Greek, Cyrillic, arrows, €); a
// character outside it (CJK in an account name) prints as the font's missing-glyph box.
const (
	sans = "gosans" // regular "" and bold "B"
	mono = "gomono" // control ids and account ids, where aligned digits help
)

// addFonts registers the fonts with f, each a copy of its bytes. fpdf (v0.12.0, getMetrics)
// writes into the font it subsets: for a glyph past the font's last long horizontal metric it
// appends to a slice of the font's bytes, overwriting a side bearing. Handed the gofont
// package's own slice, every render would change the font of the next one in the process: the
// evidence package's copy of the PDF would differ from report.pdf, and a long-running schedule
// would not give the same bytes twice (and two renders at once would race).
func addFonts(f *fpdf.Fpdf) {
	f.AddUTF8FontFromBytes(sans, "", bytes.Clone(goregular.TTF))
	f.AddUTF8FontFromBytes(sans, "B", bytes.Clone(gobold.TTF))
	f.AddUTF8FontFromBytes(mono, "", bytes.Clone(gomono.TTF))
}
