package render

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"text/tabwriter"

	"github.com/hubreport/hubreport/internal/render/xlsx"
	"github.com/hubreport/hubreport/internal/report"
)

// diffFormats are the formats RenderDiff knows, in the order the CLI lists them.
var diffFormats = []string{"text", "json", "xlsx"}

// DiffFormats returns the formats RenderDiff knows, in order.
func DiffFormats() []string { return slices.Clone(diffFormats) }

// RenderDiff writes d to w in the named format (text, json or xlsx). An unknown format is an
// *UnknownFormatError.
func RenderDiff(ctx context.Context, format string, w io.Writer, d *report.Diff) error {
	if d == nil {
		return fmt.Errorf("render diff: nil diff")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("render diff: %w", err)
	}
	switch format {
	case "text":
		return DiffText(w, d)
	case "json":
		return DiffJSON(w, d)
	case "xlsx":
		return xlsx.RenderDiff(ctx, w, d)
	}
	return &UnknownFormatError{Format: format}
}

// DiffJSON writes d as indented JSON (docs/formats.md, "diff.json"), lists as [] never null.
func DiffJSON(w io.Writer, d *report.Diff) error {
	c := copyValueOf(d)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("render diff json: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// copyValueOf is copyReport for any pointer to a struct: nil slices become empty, times UTC.
func copyValueOf[T any](v *T) *T {
	return copyValue(reflect.ValueOf(v), nil).Interface().(*T)
}

// diffSection is one list of a diff in the text renderer.
type diffSection struct {
	title    string
	items    []report.DiffItem
	accounts []report.DiffAccount
	count    int
}

// diffSections are d's lists in reading order: what improved, what got worse, then what is
// neither (suppressed, disabled, accounts, not comparable).
func diffSections(d *report.Diff) []diffSection {
	return []diffSection{
		{title: "FIXED (FAILED -> PASSED)", items: d.Fixed, count: d.Counts.Fixed},
		{title: "NEWLY FAILING", items: d.NewlyFailing, count: d.Counts.NewlyFailing},
		{title: "NEWLY SUPPRESSED (still failing, now an accepted exception: not a fix)", items: d.NewlySuppressed, count: d.Counts.NewlySuppressed},
		{title: "NEWLY DISABLED (failing, then the control was disabled: not a fix)", items: d.NewlyDisabled, count: d.Counts.NewlyDisabled},
		{title: "ACCOUNTS JOINED", accounts: d.AccountsJoined, count: d.Counts.AccountsJoined},
		{title: "ACCOUNTS LEFT (their pairs are in no list)", accounts: d.AccountsLeft, count: d.Counts.AccountsLeft},
		{title: "NOT COMPARABLE (failing in either snapshot, not collected in one)", items: d.NotComparable, count: d.Counts.NotComparable},
	}
}

// DiffText writes d as a readable summary: the counts, then every list, most severe first.
func DiffText(w io.Writer, d *report.Diff) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	c := d.Counts
	fmt.Fprintf(tw, "Changes from snapshot %d (%s) to snapshot %d (%s)\n", d.From.ID, d.From.Date, d.To.ID, d.To.Date)
	fmt.Fprintf(tw, "Fixed: %s | Newly failing: %s | Newly suppressed: %s | Newly disabled: %s\n",
		groupDigits(int64(c.Fixed)), groupDigits(int64(c.NewlyFailing)), groupDigits(int64(c.NewlySuppressed)), groupDigits(int64(c.NewlyDisabled)))
	fmt.Fprintf(tw, "Accounts joined: %s | Accounts left: %s | Not comparable: %s\n",
		groupDigits(int64(c.AccountsJoined)), groupDigits(int64(c.AccountsLeft)), groupDigits(int64(c.NotComparable)))
	fmt.Fprintln(tw, "Counted per control-account pair, as the report's progress counts them.")
	for _, s := range diffSections(d) {
		fmt.Fprintf(tw, "\n%s: %s\n", s.title, groupDigits(int64(s.count)))
		for _, it := range s.items {
			fmt.Fprintf(tw, "  %s\t[%s]\t%s\t%s\t%s\n", oneLine(it.Severity), oneLine(it.ControlID), oneLine(it.AccountID),
				oneLine(orDash(it.OU)), oneLine(it.Title))
		}
		for _, a := range s.accounts {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", oneLine(a.AccountID), oneLine(orDash(a.Name)), oneLine(orDash(a.OU)))
		}
		if n := s.count - len(s.items) - len(s.accounts); n > 0 {
			fmt.Fprintf(tw, "  ... and %s more\n", groupDigits(int64(n)))
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("render diff text: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
