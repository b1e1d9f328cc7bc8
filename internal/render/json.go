package render

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/hubreport/hubreport/internal/report"
)

// JSON writes report.json (docs/formats.md, "report.json"): the Report with its json tags, indented, ending
// in a newline. Lists are [] when empty, never null; times are UTC; scores are unrounded. HTML
// characters are not escaped: the file is data, and titles keep their "&" and "<".
// Nothing is written unless the whole report encoded.
func JSON(ctx context.Context, w io.Writer, r *report.Report) error {
	if err := check(ctx, r); err != nil {
		return fmt.Errorf("render json: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(copyReport(r, nil)); err != nil {
		return fmt.Errorf("render json: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("render json: %w", err)
	}
	return nil
}
