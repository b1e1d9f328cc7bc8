package pdf_test

import (
	"bytes"
	"testing"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/hubreport/hubreport/internal/render/pdf"
)

// The fonts as linked into the binary, copied before any test renders anything (package
// variables are initialized before the tests run).
var pristine = map[string][2][]byte{
	"goregular": {goregular.TTF, bytes.Clone(goregular.TTF)},
	"gobold":    {gobold.TTF, bytes.Clone(gobold.TTF)},
	"gomono":    {gomono.TTF, bytes.Clone(gomono.TTF)},
}

// TestRenderLeavesFontsAlone checks that rendering does not write into the fonts it embeds
// (fpdf does, into the bytes it is given): otherwise each render changes the next one's bytes.
func TestRenderLeavesFontsAlone(t *testing.T) {
	r := sampleReport(variant{gaps: true})
	_, first := renderFile(t, "fonts1", r, pdf.Options{})
	renderFile(t, "fonts2", sampleReport(variant{firstRun: true, nils: true}), pdf.Options{PageSize: "Letter"})
	_, again := renderFile(t, "fonts3", r, pdf.Options{})
	for name, f := range pristine {
		if !bytes.Equal(f[0], f[1]) {
			t.Errorf("%s: rendering changed the font's bytes", name)
		}
	}
	if !bytes.Equal(first, again) {
		t.Errorf("a report rendered again after another differs (%d and %d bytes)", len(first), len(again))
	}
}
