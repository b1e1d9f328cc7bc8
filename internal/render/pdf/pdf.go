// Package pdf renders the executive report: the PDF a CISO opens on a phone and reads in two
// minutes. It presents the content of the text report (templates/report.txt.tmpl) for that
// reader: big numbers, one column, charts drawn as vectors, the detail left to the workbook.
//
// It is a subpackage of render because it carries a heavy dependency (fpdf and the embedded
// fonts), which the other renderers should not pull in.
package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hubreport/hubreport/internal/report"
)

// Options are the choices of the caller.
type Options struct {
	// PageSize is "A4" (the default when empty) or "Letter", in any case.
	PageSize string
}

// PageSizeError is returned for a page size Render does not know; the CLI reports it as a usage
// error.
type PageSizeError struct {
	PageSize string
}

func (e *PageSizeError) Error() string {
	return fmt.Sprintf("unknown page size %q (known: A4, Letter)", e.PageSize)
}

// How many rows the tables show. The PDF is a summary; the workbook lists everything.
const (
	maxControls = 15
	maxAccounts = 15
)

// Render writes the PDF report of r to w. Nothing is written unless the whole document rendered.
// The output depends on r and opt only: the same report gives the same bytes.
func Render(ctx context.Context, w io.Writer, r *report.Report, opt Options) error {
	if r == nil {
		return errors.New("render pdf: nil report")
	}
	size, err := pageSize(opt.PageSize)
	if err != nil {
		return fmt.Errorf("render pdf: %w", err)
	}
	d := newDoc(r, size)
	for _, section := range []func(){
		d.cover, d.summary, d.trends, d.sinceLastWeek, d.severities, d.controls, d.accounts, d.gaps, d.warnings, d.ous, d.exceptions, d.plan,
		d.methodology,
	} {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("render pdf: %w", err)
		}
		section()
		if err := d.f.Error(); err != nil {
			return fmt.Errorf("render pdf: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := d.f.Output(&buf); err != nil {
		return fmt.Errorf("render pdf: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("render pdf: %w", err)
	}
	return nil
}

func pageSize(s string) (string, error) {
	switch {
	case s == "" || strings.EqualFold(s, "A4"):
		return "A4", nil
	case strings.EqualFold(s, "Letter"):
		return "Letter", nil
	}
	return "", &PageSizeError{PageSize: s}
}
