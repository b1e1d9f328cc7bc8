package evidence

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"
)

// TestFindingsWrittenEarlyLeaveNoFile: the findings are gzipped into a temporary file while the
// files before them are written; whether they succeed, fail, or the package fails, the file is
// gone when Write returns, and a failure of the findings is Write's error.
func TestFindingsWrittenEarlyLeaveNoFile(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	broken := errors.New("store went away")
	for _, c := range []struct {
		name string
		fill func(context.Context, io.Writer) error
		want error
	}{
		{"ok", func(_ context.Context, w io.Writer) error { _, err := io.WriteString(w, `{"Findings":[]}`); return err }, nil},
		{"failing", func(_ context.Context, w io.Writer) error { _, _ = io.WriteString(w, `{"Findings":[`); return broken }, broken},
		{"waiting for a cancel", func(ctx context.Context, _ io.Writer) error { <-ctx.Done(); return ctx.Err() }, context.Canceled},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		fill := c.fill
		if c.want == context.Canceled {
			// The package is cancelled while the findings wait: Write must stop them and return.
			fill = func(fctx context.Context, w io.Writer) error { cancel(); return c.fill(fctx, w) }
		}
		var buf bytes.Buffer
		err := Write(ctx, &buf, sampleReport(), Options{ToolVersion: "v1", Findings: fill})
		cancel()
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Write returned %v, want %v", c.name, err, c.want)
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("%s: %d temporary files left, e.g. %s", c.name, len(left), left[0].Name())
		}
	}
}
