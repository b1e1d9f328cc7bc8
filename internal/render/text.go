package render

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"text/template"
	"time"
	"unicode"

	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/templates"
)

const textTemplateName = "report.txt.tmpl"

// textTemplate is parsed once, on first use, so that a broken template is an error of Text
// rather than a panic at start-up.
var textTemplate = sync.OnceValues(func() (*template.Template, error) {
	return template.New(textTemplateName).Funcs(textFuncs).ParseFS(templates.FS, textTemplateName)
})

// textFuncs are the functions templates/report.txt.tmpl may call; its header documents them.
// They format numbers; the wording stays in the template.
var textFuncs = template.FuncMap{
	"pct":     pct,
	"num":     num,
	"signed":  signed,
	"delta":   delta,
	"dec":     dec,
	"deref":   deref,
	"head":    head,
	"more":    more,
	"last":    last,
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"tab":     func() string { return "\t" },
}

// Text writes the plain-text report (templates/report.txt.tmpl). Nothing is written unless the
// whole report rendered.
func Text(ctx context.Context, w io.Writer, r *report.Report) error {
	if err := check(ctx, r); err != nil {
		return fmt.Errorf("render text: %w", err)
	}
	t, err := textTemplate()
	if err != nil {
		return fmt.Errorf("render text: %w", err)
	}
	var buf bytes.Buffer
	// The template aligns columns with tabs; data cannot add any (oneLine removes them).
	tw := tabwriter.NewWriter(&buf, 0, 0, 1, ' ', 0)
	if err := t.Execute(tw, copyReport(r, oneLine)); err != nil {
		return fmt.Errorf("render text: %w", err)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("render text: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("render text: %w", err)
	}
	return nil
}

// oneLine replaces control characters (newlines, tabs) with spaces, so that a title or an error
// message from AWS can neither break a line nor the column alignment.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// pct formats a score: float64 or *float64, "n/a" for nil.
func pct(v any) (string, error) {
	var x float64
	switch v := v.(type) {
	case float64:
		x = v
	case *float64:
		if v == nil {
			return "n/a", nil
		}
		x = *v
	default:
		return "", fmt.Errorf("pct: unexpected %T", v)
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "", fmt.Errorf("pct: %v is not a percentage", x)
	}
	return strconv.Itoa(report.RoundPercent(x)) + "%", nil
}

// delta is the change from score a to score b in whole points, computed from the two scores as
// printed so that the line adds up: 64.5 -> 65.4 prints "65% -> 65%" and "0", where rounding
// the raw +0.9 would print "+1". "" when either score is nil.
func delta(a, b *float64) string {
	if a == nil || b == nil {
		return ""
	}
	return signedInt(int64(report.RoundPercent(*b) - report.RoundPercent(*a)))
}

// integer accepts the integer types of the Report.
func integer(name string, v any) (int64, error) {
	switch v := v.(type) {
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	case *int:
		if v != nil {
			return int64(*v), nil
		}
	case *int64:
		if v != nil {
			return *v, nil
		}
	}
	return 0, fmt.Errorf("%s: unexpected %T", name, v)
}

// num formats a count with thousands separators: 1247 -> "1,247".
func num(v any) (string, error) {
	n, err := integer("num", v)
	if err != nil {
		return "", err
	}
	return groupDigits(n), nil
}

func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// signed formats a count with its sign: "+2", "-3", "0".
func signed(v any) (string, error) {
	n, err := integer("signed", v)
	if err != nil {
		return "", err
	}
	return signedInt(n), nil
}

func signedInt(n int64) string {
	if n > 0 {
		return "+" + groupDigits(n)
	}
	return groupDigits(n)
}

// dec formats a number that is not a score (days, the configured target) to one decimal,
// dropping ".0": 12.5, 12, 85.5. float64 or *float64; "n/a" for nil.
func dec(v any) (string, error) {
	var x float64
	switch v := v.(type) {
	case float64:
		x = v
	case *float64:
		if v == nil {
			return "n/a", nil
		}
		x = *v
	default:
		return "", fmt.Errorf("dec: unexpected %T", v)
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a", nil
	}
	x = math.Round(x*10) / 10
	if x == 0 {
		x = 0 // no "-0"
	}
	return strconv.FormatFloat(x, 'f', -1, 64), nil
}

// deref returns what a pointer points to (nil for a nil pointer); other values unchanged.
func deref(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer {
		return v
	}
	if rv.IsNil() {
		return nil
	}
	return rv.Elem().Interface()
}

func sliceValue(name string, list any) (reflect.Value, error) {
	rv := reflect.ValueOf(list)
	if rv.Kind() != reflect.Slice {
		return rv, fmt.Errorf("%s: %T is not a list", name, list)
	}
	return rv, nil
}

// head returns the first n elements of a list (all of them when there are fewer).
func head(n int, list any) (any, error) {
	rv, err := sliceValue("head", list)
	if err != nil {
		return nil, err
	}
	return rv.Slice(0, min(max(n, 0), rv.Len())).Interface(), nil
}

// more returns how many elements head n leaves out.
func more(n int, list any) (int, error) {
	rv, err := sliceValue("more", list)
	if err != nil {
		return 0, err
	}
	return max(rv.Len()-max(n, 0), 0), nil
}

// last returns the last element of a non-empty list.
func last(list any) (any, error) {
	rv, err := sliceValue("last", list)
	if err != nil {
		return nil, err
	}
	if rv.Len() == 0 {
		return nil, fmt.Errorf("last: empty list")
	}
	return rv.Index(rv.Len() - 1).Interface(), nil
}
