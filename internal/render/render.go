// Package render turns a report.Report into report files. Each format has its own file and the
// same signature, and Render chooses among them in one switch. Renderers print the Report and
// nothing else: they never query the store.
package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/render/evidence"
	"github.com/hubreport/hubreport/internal/render/pdf"
	"github.com/hubreport/hubreport/internal/render/xlsx"
	"github.com/hubreport/hubreport/internal/report"
)

// knownFormats are the formats Render knows, in the order the CLI lists them. Keep them in step
// with the switches in Render and FileName (TestFormats checks it).
var knownFormats = []string{"text", "json", "pdf", "xlsx", "evidence"}

// Formats returns the formats Render knows, in order.
func Formats() []string { return slices.Clone(knownFormats) }

// FileName returns the conventional file name of a format's report ("report.txt"), or "" for a
// format Render does not know.
func FileName(format string) string {
	switch format {
	case "text":
		return "report.txt"
	case "json":
		return "report.json"
	case "pdf":
		return "report.pdf"
	case "xlsx":
		return "report.xlsx"
	case "evidence":
		return "evidence.zip"
	}
	return ""
}

// Options tune the renderers that have choices.
type Options struct {
	// PageSize of the PDF: "A4" (default) or "Letter".
	PageSize string
	// ToolVersion is recorded in the evidence package's manifest.
	ToolVersion string
	// EvidenceReports are the formats ("pdf", "xlsx") whose reports the evidence package carries.
	EvidenceReports []string
	// Findings writes the snapshot's findings as ASFF JSON for the evidence package; nil leaves
	// them out. The caller reads them from the store: renderers never do.
	Findings func(ctx context.Context, w io.Writer) error
}

// Renderer renders reports with fixed options.
type Renderer struct {
	opt      Options
	rendered map[string]rendered // by format: see WithRendered
}

// rendered is a report's file in one format, as Render wrote it.
type rendered struct {
	r    *report.Report
	data []byte
}

// WithRendered returns rn remembering data as r rendered in format (by rn.Render). The evidence
// package of the same r then carries data instead of rendering that format again, when r is
// the report the package would render: not stale, and dated by its snapshot (as analyze.Build
// dates it). The bytes are the same either way, since the renderers are reproducible.
func (rn Renderer) WithRendered(format string, r *report.Report, data []byte) Renderer {
	m := make(map[string]rendered, len(rn.rendered)+1)
	for k, v := range rn.rendered {
		m[k] = v
	}
	m[format] = rendered{r: r, data: data}
	rn.rendered = m
	return rn
}

// New returns a Renderer with the given options.
func New(opt Options) Renderer { return Renderer{opt: opt} }

// Render writes r to w in the named format with the default options.
func Render(ctx context.Context, format string, w io.Writer, r *report.Report) error {
	return New(Options{}).Render(ctx, format, w, r)
}

// Render writes r to w in the named format. An unknown format is an *UnknownFormatError.
func (rn Renderer) Render(ctx context.Context, format string, w io.Writer, r *report.Report) error {
	switch format {
	case "text":
		return Text(ctx, w, r)
	case "json":
		return JSON(ctx, w, r)
	case "pdf":
		return pdf.Render(ctx, w, r, pdf.Options{PageSize: rn.opt.PageSize})
	case "xlsx":
		return xlsx.Render(ctx, w, r)
	case "evidence":
		return rn.evidence(ctx, w, r)
	}
	return &UnknownFormatError{Format: format}
}

// evidence writes the evidence package. Everything in it is dated by the snapshot, not by the
// clock, so the same snapshot always gives the same bytes. It is evidence of the snapshot, not
// of the day it was filed, so it never carries the stale warning (Report.Stale) either: its
// PDF and workbook are those of a report that is not stale.
func (rn Renderer) evidence(ctx context.Context, w io.Writer, r *report.Report) error {
	if r == nil {
		return errors.New("render evidence: nil report")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	pinned := *r
	pinned.GeneratedAt = r.Snapshot.TakenAt.UTC().Truncate(time.Second)
	pinned.Stale = nil
	opt := evidence.Options{ToolVersion: rn.opt.ToolVersion, Findings: rn.opt.Findings}
	for _, f := range rn.opt.EvidenceReports {
		if f != "pdf" && f != "xlsx" {
			continue
		}
		name := "reports/" + FileName(f)
		if done, ok := rn.rendered[f]; ok && done.r == r && r.Stale == nil && r.GeneratedAt.Equal(pinned.GeneratedAt) {
			opt.Attachments = append(opt.Attachments, evidence.Attachment{Name: name, Data: done.data})
			continue
		}
		var buf bytes.Buffer
		if err := rn.Render(ctx, f, &buf, &pinned); err != nil {
			return fmt.Errorf("evidence: %s report: %w", f, err)
		}
		opt.Attachments = append(opt.Attachments, evidence.Attachment{Name: name, Data: buf.Bytes()})
	}
	return evidence.Write(ctx, w, &pinned, opt)
}

// UnknownFormatError is returned by Render for a format it does not know; the CLI reports it as
// a usage error.
type UnknownFormatError struct {
	Format string
}

func (e *UnknownFormatError) Error() string {
	return fmt.Sprintf("unknown report format %q (known: %s)", e.Format, strings.Join(knownFormats, ", "))
}

// check is what every renderer verifies before writing.
func check(ctx context.Context, r *report.Report) error {
	if r == nil {
		return fmt.Errorf("nil report")
	}
	return ctx.Err()
}

var timeType = reflect.TypeFor[time.Time]()

// copyReport returns a deep copy of r prepared for output, leaving r untouched: nil slices become
// empty ones (report.json promises [] rather than null), times are in UTC, and when clean is not
// nil every string goes through it. It walks the type by reflection so that a field added to
// the Report is covered without an edit here.
//
// The Report's fields that report.json leaves out (json:"-": the failed and suppressed findings
// and the control statuses, up to a million rows) are left empty in the copy: neither the text
// report nor report.json prints them, and copying them took seconds at a million findings.
func copyReport(r *report.Report, clean func(string) string) *report.Report {
	if r == nil {
		return nil
	}
	trimmed := *r
	v := reflect.ValueOf(&trimmed).Elem()
	for i := range v.NumField() {
		if v.Type().Field(i).Tag.Get("json") == "-" {
			v.Field(i).SetZero()
		}
	}
	return copyValue(reflect.ValueOf(&trimmed), clean).Interface().(*report.Report)
}

func copyValue(v reflect.Value, clean func(string) string) reflect.Value {
	t := v.Type()
	switch {
	case t == timeType:
		return reflect.ValueOf(v.Interface().(time.Time).UTC())
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(copyValue(v.Elem(), clean))
		return p
	case t.Kind() == reflect.Slice:
		s := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			s.Index(i).Set(copyValue(v.Index(i), clean))
		}
		return s
	case t.Kind() == reflect.Map:
		if v.IsNil() {
			return reflect.MakeMap(t)
		}
		m := reflect.MakeMapWithSize(t, v.Len())
		for it := v.MapRange(); it.Next(); {
			m.SetMapIndex(it.Key(), copyValue(it.Value(), clean))
		}
		return m
	case t.Kind() == reflect.Struct:
		s := reflect.New(t).Elem()
		s.Set(v)
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				s.Field(i).Set(copyValue(v.Field(i), clean))
			}
		}
		return s
	case t.Kind() == reflect.String && clean != nil:
		s := reflect.New(t).Elem()
		s.SetString(clean(v.String()))
		return s
	}
	return v
}
