package evidence

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// bigFindings is a findings document of several gzip blocks (gzipBlockSize), written by fill in
// pieces of irregular sizes given by step, so that block boundaries and write boundaries differ.
func bigFindings(step func(i int) int) (doc []byte, fill func(context.Context, io.Writer) error) {
	var b bytes.Buffer
	b.WriteString(`{"Findings":[`)
	for i := 0; b.Len() < 3*gzipBlockSize+12345; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Id":"arn:aws:securityhub:eu-west-1:%012d:finding/%08x","Title":"control %d","Severity":{"Label":"%s"}}`,
			i%977, uint32(i)*2654435761, i%131, []string{"LOW", "MEDIUM", "HIGH", "CRITICAL"}[i%4])
	}
	b.WriteString("]}\n")
	doc = b.Bytes()
	return doc, func(_ context.Context, w io.Writer) error {
		for i, rest := 0, doc; len(rest) > 0; i++ {
			n := min(len(rest), step(i))
			if _, err := w.Write(rest[:n]); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	}
}

// TestPackageSameBytesOnAnyCores: the findings are gzipped on several cores, and the package is
// still the same bytes whatever GOMAXPROCS is and however the findings' writes fall.
func TestPackageSameBytesOnAnyCores(t *testing.T) {
	doc, small := bigFindings(func(i int) int { return 1 + i*7919%4093 })
	_, large := bigFindings(func(int) int { return 5 << 20 })
	write := func(procs int, fill func(context.Context, io.Writer) error) []byte {
		t.Helper()
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var buf bytes.Buffer
		if err := Write(context.Background(), &buf, sampleReport(), Options{ToolVersion: "v1", Findings: fill,
			Attachments: []Attachment{{Name: "reports/report.pdf", Data: []byte("%PDF-1.7")}}}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	want := write(1, small)
	for _, c := range []struct {
		procs int
		fill  func(context.Context, io.Writer) error
		what  string
	}{{2, small, "small writes"}, {8, small, "small writes"}, {1, large, "one large write"}, {4, large, "one large write"}} {
		if got := write(c.procs, c.fill); !bytes.Equal(got, want) {
			t.Errorf("GOMAXPROCS %d, %s: %d bytes, differ from GOMAXPROCS 1's %d", c.procs, c.what, len(got), len(want))
		}
	}

	// The findings are one standard gzip stream, stored in the zip as they are, and give back the
	// document; the package verifies.
	zr, err := zip.NewReader(bytes.NewReader(want), int64(len(want)))
	if err != nil {
		t.Fatal(err)
	}
	var gz *zip.File
	for _, f := range zr.File {
		if f.Name == "findings/findings.asff.json.gz" {
			gz = f
		}
	}
	if gz == nil {
		t.Fatal("no findings/findings.asff.json.gz in the package")
	}
	if gz.Method != zip.Store {
		t.Errorf("findings.asff.json.gz: zip method %d, want %d (stored: it is gzipped already)", gz.Method, zip.Store)
	}
	rc, err := gz.Open()
	if err != nil {
		t.Fatal(err)
	}
	gzData, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	gr, err := gzip.NewReader(bytes.NewReader(gzData))
	if err != nil {
		t.Fatal(err)
	}
	gr.Multistream(false) // one member: a reader that stops after the first gets everything
	got, err := io.ReadAll(gr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, doc) {
		t.Errorf("gunzipped findings: %d bytes, want the %d written", len(got), len(doc))
	}
	if gr.Header.Name != "" || !gr.Header.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q, time %v: want neither", gr.Header.Name, gr.Header.ModTime)
	}
	if _, _, err := Verify(bytes.NewReader(want), int64(len(want))); err != nil {
		t.Errorf("Verify: %v", err)
	}

	// The standard tools read it too, where the machine has them (Go's readers above always run).
	dir := t.TempDir()
	pkg, gzFile := filepath.Join(dir, "evidence.zip"), filepath.Join(dir, "findings.asff.json.gz")
	if err := os.WriteFile(pkg, want, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gzFile, gzData, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tool := range [][]string{{"unzip", "-t", pkg}, {"gunzip", "-t", gzFile}} {
		if _, err := exec.LookPath(tool[0]); err != nil {
			t.Logf("%s not installed: checked with Go's reader only", tool[0])
			continue
		}
		if out, err := exec.Command(tool[0], tool[1:]...).CombinedOutput(); err != nil {
			t.Errorf("%v: %v\n%s", tool, err, out)
		}
	}
}
