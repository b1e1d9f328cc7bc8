package collect

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/hubreport/hubreport/internal/model"
)

// findingJSON returns a compact consolidated finding with the given Id.
func findingJSON(t testing.TB, id string) string {
	t.Helper()
	m := baseFinding()
	m["Id"] = id
	return string(marshal(t, m))
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ids(fs []*model.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func TestDecodeFormats(t *testing.T) {
	f1, f2, f3 := findingJSON(t, "f1"), findingJSON(t, "f2"), findingJSON(t, "f3")
	m := baseFinding()
	delete(m, "Id")
	noID := string(marshal(t, m))
	pretty, err := json.MarshalIndent([]any{baseFinding(), baseFinding()}, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"array", "[" + f1 + "," + f2 + "]", []string{"f1", "f2"}},
		{"array, indented", string(pretty), []string{testID, testID}},
		{"empty array", "[]", []string{}},
		{"empty array with space", " [ \n ]\n", []string{}},
		{"empty file", "", []string{}},
		{"only whitespace", " \n\t\r\n", []string{}},
		{"null", "null\n", []string{}},
		{"CLI page", `{"Findings": [` + f1 + `, ` + f2 + `], "NextToken": "eyJOZXh0VG9rZW4iOiBudWxsfQ=="}`, []string{"f1", "f2"}},
		{"CLI page, NextToken first", `{"NextToken": "abc", "Findings": [` + f1 + `]}`, []string{"f1"}},
		{"CLI page with other keys", `{"ResponseMetadata": {"RequestId": "d1f6", "HTTPStatusCode": 200, "RetryAttempts": 0}, "Findings": [` + f1 + `], "NextToken": null}`, []string{"f1"}},
		{"empty CLI page", `{"Findings": []}`, []string{}},
		{"CLI page with null findings", `{"Findings": null}`, []string{}},
		{"CLI pages appended", `{"Findings": [` + f1 + `], "NextToken": "a"}{"Findings": [` + f2 + `, ` + f3 + `]}`, []string{"f1", "f2", "f3"}},
		{"CLI pages appended by line", `{"Findings": [` + f1 + "]}\n" + `{"Findings": [` + f2 + "]}\n", []string{"f1", "f2"}},
		{"arrays appended by line", "[" + f1 + "]\n[" + f2 + "," + f3 + "]\n", []string{"f1", "f2", "f3"}},
		{"arrays appended", "[" + f1 + "][" + f2 + "]", []string{"f1", "f2"}},
		{"JSON Lines", f1 + "\n" + f2 + "\n" + f3 + "\n", []string{"f1", "f2", "f3"}},
		{"JSON Lines, CRLF, no final newline", f1 + "\r\n" + f2, []string{"f1", "f2"}},
		{"JSON Lines, finding with unknown keys first", `{"x-exported-by": {"Findings": 1, "tool": [1, "]"]}, ` + f1[1:], []string{"f1"}},
		{"JSON Lines, escaped key", `{"\u0049d": "escaped", ` + noID[1:], []string{"escaped"}},
		{"mixed", "[" + f1 + "]\n" + `{"Findings": [` + f2 + "]}\n" + f3, []string{"f1", "f2", "f3"}},
		{"UTF-8 byte order mark", "\xef\xbb\xbf[" + f1 + "]", []string{"f1"}},
		{"strings with escapes and brackets", `[{"Title": "a \"quoted\" [bracket] {brace} \\", ` + f1[1:] + "]", []string{"f1"}},
		// Quotes after one and three backslashes are escaped, after four not; a framer that
		// read them otherwise would end the record at the brace or bracket.
		{"escaped quotes before brackets", `[{"Title": "x\"}\\\"]\\\\", ` + f1[1:] + "]", []string{"f1"}},
	}
	for _, tt := range tests {
		for _, gz := range []bool{false, true} {
			name := tt.name
			input := []byte(tt.input)
			if gz {
				name += ", gzip"
				input = gzipBytes(t, input)
			}
			t.Run(name, func(t *testing.T) {
				got, err := decodeAll(t, "findings.json", input)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(ids(got), tt.want) {
					t.Errorf("got %q, want %q", ids(got), tt.want)
				}
			})
		}
	}
}

func TestDecodeGzipDetection(t *testing.T) {
	f1, f2 := findingJSON(t, "f1"), findingJSON(t, "f2")
	tests := []struct {
		name  string
		file  string
		input []byte
		want  []string
	}{
		{"gzip named .json", "findings.json", gzipBytes(t, []byte("["+f1+"]")), []string{"f1"}},
		{"plain named .json.gz", "findings.json.gz", []byte("[" + f1 + "]"), []string{"f1"}},
		{"gzip members appended", "findings.json.gz", append(gzipBytes(t, []byte("["+f1+"]\n")), gzipBytes(t, []byte("["+f2+"]\n"))...), []string{"f1", "f2"}},
		{"gzip of nothing", "findings.json.gz", gzipBytes(t, nil), []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAll(t, tt.file, tt.input)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ids(got), tt.want) {
				t.Errorf("got %q, want %q", ids(got), tt.want)
			}
		})
	}
}

func TestDecodeSyntaxErrors(t *testing.T) {
	f1 := findingJSON(t, "f1")
	big := baseFinding()
	big["Description"] = strings.Repeat("x", maxValueSize+1)
	bigJSON := "[" + string(marshal(t, big)) + "]"
	truncatedGzip := gzipBytes(t, []byte("["+f1+"]"))
	truncatedGzip = truncatedGzip[:len(truncatedGzip)-6]

	tests := []struct {
		name       string
		input      string
		wantRecord int
		wantField  string
		wantErr    string
	}{
		{"not JSON", "hello", -1, "", "invalid JSON at byte 0: invalid character 'h' looking for beginning of value"},
		{"truncated after a record", "[" + f1, -1, "", fmt.Sprintf("invalid JSON at byte %d: unexpected EOF", len(f1)+1)},
		{"truncated inside a record", "[" + f1 + "," + f1[:40], 1, "", fmt.Sprintf("invalid JSON at byte %d: unexpected EOF", len(f1)+42)},
		{"truncated inside a string", `[{"Id": "abc`, 0, "", "invalid JSON at byte 12: unexpected EOF"},
		{"truncated after '['", "[", -1, "", "invalid JSON at byte 1: unexpected EOF"},
		{"truncated page", `{"Findings": `, -1, "", "invalid JSON at byte 13: unexpected EOF"},
		{"missing comma", "[" + f1 + " " + f1 + "]", -1, "", fmt.Sprintf("invalid JSON at byte %d: invalid character '{' after array element", len(f1)+2)},
		{"trailing comma", "[" + f1 + ",]", 1, "", fmt.Sprintf("invalid JSON at byte %d: invalid character ']' looking for beginning of value", len(f1)+2)},
		{"bad value inside a record", "[" + f1 + `, {"Id": x}]`, 1, "", fmt.Sprintf("invalid JSON at byte %d: invalid character 'x' looking for beginning of value", len(f1)+10)},
		{"control character in a string", "[{\"Id\": \"a\tb\"}]", 0, "", "invalid JSON at byte 10: invalid character '\\t' in string literal"},
		{"garbage after a document", "[" + f1 + "] xyz", -1, "", fmt.Sprintf("invalid JSON at byte %d: invalid character 'x' looking for beginning of value", len(f1)+3)},
		{"bad literal after a document", "[" + f1 + "] trailing", -1, "", fmt.Sprintf("invalid JSON at byte %d: invalid character 'a' in literal true (expecting 'u')", len(f1)+5)},
		{"comma between documents", "[" + f1 + "],[" + f1 + "]", -1, "", fmt.Sprintf("invalid JSON at byte %d: invalid character ',' looking for beginning of value", len(f1)+2)},
		{"bad literal", "[tru]", 0, "", "invalid JSON at byte 4: invalid character ']' in literal true (expecting 'e')"},
		{"missing colon in a page", `{"Findings" []}`, -1, "", "invalid JSON at byte 12: invalid character '[' after object key"},
		{"bad key in a page", `{Findings: []}`, -1, "", "invalid JSON at byte 1: invalid character 'F' looking for beginning of object key string"},
		{"bad separator in a page", `{"Findings": [] "NextToken": null}`, -1, "", "invalid JSON at byte 16: invalid character '\"' after object key:value pair"},
		{"bad skipped value in a page", `{"NextToken": nope, "Findings": []}`, -1, "", "invalid JSON at byte 15: invalid character 'o' in literal null (expecting 'u')"},
		{"bad second JSON line", f1 + "\n" + `{"Id": "f2", "Title": }`, 1, "", fmt.Sprintf("invalid JSON at byte %d: invalid character '}' looking for beginning of value", len(f1)+23)},
		{"UTF-16", "\xff\xfe[\x00]\x00", -1, "", "file is UTF-16 encoded; convert it to UTF-8"},
		{"top-level string", `"findings"`, -1, "", `got a string at byte 0, want an array of findings, a {"Findings": [...]} page or finding objects`},
		{"top-level number after a document", "[]\n42", -1, "", `got a number at byte 3, want an array of findings, a {"Findings": [...]} page or finding objects`},
		{"array of numbers", "[1]", 0, "", "got a number, want a finding object"},
		{"array of arrays", "[[" + f1 + "]]", 0, "", "got an array, want a finding object"},
		{"null in an array", "[" + f1 + ",null]", 1, "", "got null, want a finding object"},
		{"page with an object of findings", `{"Findings": {}}`, -1, "Findings", "got an object, want an array"},
		{"page with a string of findings", `{"Findings": "none"}`, -1, "Findings", "got a string, want an array"},
		{"object that is neither", `{"NextToken": "abc"}`, 0, "Id", "missing"},
		{"empty object", `{}`, 0, "Id", "missing"},
		{"record too large", bigJSON, 0, "", "value larger than 16 MiB"},
		{"corrupt gzip", string(truncatedGzip), -1, "", "read gzip: unexpected EOF"},
		{"bad gzip header", "\x1f\x8b\x00\x00", -1, "", "gzip: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeAll(t, "findings.json", []byte(tt.input))
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("got error %v, want an *ImportError", err)
			}
			if ie.File != "findings.json" || ie.Record != tt.wantRecord || ie.Field != tt.wantField || ie.Err.Error() != tt.wantErr {
				t.Errorf("got %q %d %q %q\nwant %q %d %q %q", ie.File, ie.Record, ie.Field, ie.Err,
					"findings.json", tt.wantRecord, tt.wantField, tt.wantErr)
			}
		})
	}
}

func TestImportErrorMessage(t *testing.T) {
	tests := []struct {
		err  *ImportError
		want string
	}{
		{&ImportError{File: "findings.json", Record: 17, Field: "AwsAccountId", Err: errMissing},
			`import findings.json: record 17: field "AwsAccountId": missing`},
		{&ImportError{File: "findings.json", Record: -1, Err: &syntaxError{Offset: 1234, Err: io.ErrUnexpectedEOF}},
			`import findings.json: invalid JSON at byte 1234: unexpected EOF`},
		{&ImportError{File: "a.json.gz", Record: 3, Err: &syntaxError{Offset: 99, Err: errors.New("invalid character 'x' looking for beginning of value")}},
			`import a.json.gz: record 3: invalid JSON at byte 99: invalid character 'x' looking for beginning of value`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	err := error(&ImportError{File: "f", Record: -1, Err: &syntaxError{Offset: 5, Err: io.ErrUnexpectedEOF}})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = false, want true", err)
	}
}

// TestDecodeReaders checks that how the input arrives (a byte at a time, short reads, data with
// io.EOF) does not change the result: records cross read boundaries everywhere.
func TestDecodeReaders(t *testing.T) {
	var input bytes.Buffer
	for _, name := range []string{"consolidated_fsbp.json", "cli_page.json", "findings.jsonl", "cis12.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		input.Write(data)
	}
	// Runs of backslashes before quotes, which the framer looks back over, cut by reads too:
	// the title is marshalled as "x\"}\\\"]\\\\".
	escapes := baseFinding()
	escapes["Id"], escapes["Title"] = "escapes", `x"}\"]\\`
	input.WriteString("[" + string(marshal(t, escapes)) + "]")
	want, err := decodeAll(t, "all", input.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 8 || want[7].Title != `x"}\"]\\` {
		t.Fatalf("got %d findings (last %+v), want 8, the last titled %q", len(want), want[len(want)-1], `x"}\"]\\`)
	}
	readers := map[string]func(io.Reader) io.Reader{
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	for rname, wrap := range readers {
		for _, gz := range []bool{false, true} {
			name, data := rname, input.Bytes()
			if gz {
				name, data = name+", gzip", gzipBytes(t, data)
			}
			t.Run(name, func(t *testing.T) {
				var got []*model.Finding
				err := Decode(context.Background(), "all", wrap(bytes.NewReader(data)), testCatalog(t), func(f *model.Finding) error {
					got = append(got, f)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %d findings that differ from a plain read", len(got))
				}
			})
		}
	}
}

func TestDecodeReadError(t *testing.T) {
	f1 := findingJSON(t, "f1")
	errDisk := errors.New("input/output error")
	r := io.MultiReader(strings.NewReader("["+f1+","), iotest.ErrReader(errDisk))
	n := 0
	err := Decode(context.Background(), "findings.json", r, testCatalog(t), func(*model.Finding) error { n++; return nil })
	var ie *ImportError
	if !errors.As(err, &ie) || !errors.Is(err, errDisk) || ie.Record != 1 {
		t.Fatalf("got %v, want an ImportError at record 1 wrapping %v", err, errDisk)
	}
	if want := "import findings.json: record 1: read: input/output error"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if n != 1 {
		t.Errorf("fn saw %d findings, want 1", n)
	}
}

func TestDecodeContext(t *testing.T) {
	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := Decode(ctx, "f.json", strings.NewReader("[]"), testCatalog(t), func(*model.Finding) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
	t.Run("cancelled during", func(t *testing.T) {
		var buf bytes.Buffer
		if err := writeSampleASFF(&buf, 3*ctxCheckEvery, 1); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		err := Decode(ctx, "f.json", &buf, testCatalog(t), func(*model.Finding) error {
			if n++; n == 10 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		if n > ctxCheckEvery {
			t.Errorf("fn saw %d findings after the cancel, want at most %d", n, ctxCheckEvery)
		}
	})
}

// TestDecodeBoundedMemory streams ~40 MB through each format and checks that the framing window
// never grew: memory does not depend on the size of the file or of a page.
func TestDecodeBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 40 MB")
	}
	const n = 20000
	writers := map[string]func(w io.Writer) error{
		"array": func(w io.Writer) error { return writeSampleASFF(w, n, 2) },
		"one page": func(w io.Writer) error {
			io.WriteString(w, `{"Findings": `)
			if err := writeSampleASFF(w, n, 3); err != nil {
				return err
			}
			_, err := io.WriteString(w, `, "NextToken": null}`)
			return err
		},
		"JSON Lines": func(w io.Writer) error {
			rng := rand.New(rand.NewPCG(4, 4))
			for i := range n {
				b, err := json.Marshal(sampleFinding(rng, i))
				if err != nil {
					return err
				}
				if _, err := w.Write(append(b, '\n')); err != nil {
					return err
				}
			}
			return nil
		},
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(write(pw)) }()
			count := 0
			d := newDecoder(context.Background(), "big.json", pr, false, testCatalog(t), func(*model.Finding) error {
				count++
				return nil
			})
			if err := d.run(); err != nil {
				t.Fatal(err)
			}
			if count != n {
				t.Errorf("got %d findings, want %d", count, n)
			}
			if got := len(d.f.buf); got != frameBufferSize {
				t.Errorf("framing window grew to %d bytes, want %d", got, frameBufferSize)
			}
			d.release()
		})
	}
}

// fakeSink records findings; the file source must not call the other methods.
type fakeSink struct {
	findings []*model.Finding
	failAt   int // AddFinding fails on this call (1-based); 0 never
}

var errSink = errors.New("sink full")

func (s *fakeSink) AddFinding(f *model.Finding) error {
	if len(s.findings)+1 == s.failAt {
		return errSink
	}
	s.findings = append(s.findings, f)
	return nil
}

func (s *fakeSink) AddAccount(model.Account) error   { return errors.New("AddAccount called") }
func (s *fakeSink) AddCoverage(model.Coverage) error { return errors.New("AddCoverage called") }

func TestFileSource(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f1, f2, f3, f4 := findingJSON(t, "f1"), findingJSON(t, "f2"), findingJSON(t, "f3"), findingJSON(t, "f4")
	arrayFile := write("array.json", []byte("["+f1+","+f2+"]"))
	pageFile := write("page.json.gz", gzipBytes(t, []byte(`{"Findings": [`+f3+`], "NextToken": "x"}`)))
	badFile := write("bad.json", []byte("["+f4+`, {"Id": "f5"}]`))
	pciFile, err := filepath.Abs(filepath.Join("testdata", "legacy_pci.json"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("files and stdin", func(t *testing.T) {
		sink := &fakeSink{}
		src := &FileSource{Paths: []string{arrayFile, "-", pageFile}, Stdin: strings.NewReader(f4 + "\n"), Catalog: testCatalog(t)}
		if err := src.Collect(context.Background(), sink); err != nil {
			t.Fatal(err)
		}
		if got, want := ids(sink.findings), []string{"f1", "f2", "f4", "f3"}; !reflect.DeepEqual(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("gzip on stdin", func(t *testing.T) {
		sink := &fakeSink{}
		src := &FileSource{Paths: []string{"-"}, Stdin: bytes.NewReader(gzipBytes(t, []byte("["+f1+"]"))), Catalog: testCatalog(t)}
		if err := src.Collect(context.Background(), sink); err != nil {
			t.Fatal(err)
		}
		if got, want := ids(sink.findings), []string{"f1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("stops at the first bad file", func(t *testing.T) {
		sink := &fakeSink{}
		src := &FileSource{Paths: []string{arrayFile, badFile, pageFile}, Catalog: testCatalog(t)}
		err := src.Collect(context.Background(), sink)
		var ie *ImportError
		if !errors.As(err, &ie) || ie.File != badFile || ie.Record != 1 || ie.Field != "AwsAccountId" {
			t.Fatalf("got %v, want an ImportError for %s record 1 field AwsAccountId", err, badFile)
		}
		if got, want := ids(sink.findings), []string{"f1", "f2", "f4"}; !reflect.DeepEqual(got, want) {
			t.Errorf("sink got %q, want %q", got, want)
		}
	})
	t.Run("stdin error is named stdin", func(t *testing.T) {
		src := &FileSource{Paths: []string{"-"}, Stdin: strings.NewReader("[1]"), Catalog: testCatalog(t)}
		err := src.Collect(context.Background(), &fakeSink{})
		if want := "import stdin: record 0: got a number, want a finding object"; err == nil || err.Error() != want {
			t.Errorf("got %v, want %q", err, want)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		src := &FileSource{Paths: []string{filepath.Join(dir, "nope.json")}, Catalog: testCatalog(t)}
		if err := src.Collect(context.Background(), &fakeSink{}); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("no paths", func(t *testing.T) {
		if err := (&FileSource{}).Collect(context.Background(), &fakeSink{}); err == nil {
			t.Error("got nil, want an error")
		}
	})
	t.Run("sink error", func(t *testing.T) {
		sink := &fakeSink{failAt: 2}
		src := &FileSource{Paths: []string{arrayFile}, Catalog: testCatalog(t)}
		err := src.Collect(context.Background(), sink)
		if !errors.Is(err, errSink) {
			t.Fatalf("got %v, want %v", err, errSink)
		}
		if want := "import " + arrayFile + ": record 1: sink full"; err.Error() != want {
			t.Errorf("got %q, want %q", err, want)
		}
		var ie *ImportError
		if errors.As(err, &ie) {
			t.Errorf("a sink failure is not an import error: %v", ie)
		}
	})
	t.Run("default catalog", func(t *testing.T) {
		sink := &fakeSink{}
		src := &FileSource{Paths: []string{pciFile}}
		if err := src.Collect(context.Background(), sink); err != nil {
			t.Fatal(err)
		}
		if got := sink.findings[0]; got.ControlID != "CloudTrail.2" || !reflect.DeepEqual(got.Standards, []string{pci}) {
			t.Errorf("got %q %q, want CloudTrail.2 [%s]", got.ControlID, got.Standards, pci)
		}
	})
}

// sample values for writeSampleASFF.
var (
	sampleControls = []struct{ id, title, resourceType, severity string }{
		{"S3.1", "S3 general purpose buckets should have block public access settings enabled", "AwsAccount", "MEDIUM"},
		{"S3.5", "S3 general purpose buckets should require requests to use SSL", "AwsS3Bucket", "MEDIUM"},
		{"EC2.2", "VPC default security groups should not allow inbound or outbound traffic", "AwsEc2SecurityGroup", "HIGH"},
		{"IAM.6", "Hardware MFA should be enabled for the root user", "AwsAccount", "CRITICAL"},
		{"CloudTrail.1", "CloudTrail should be enabled and configured with at least one multi-Region trail that includes read and write management events", "AwsAccount", "HIGH"},
		{"CloudTrail.2", "CloudTrail should have encryption at-rest enabled", "AwsCloudTrailTrail", "MEDIUM"},
		{"EC2.19", "Security groups should not allow unrestricted access to ports with high risk", "AwsEc2SecurityGroup", "CRITICAL"},
		{"Lambda.2", "Lambda functions should use supported runtimes", "AwsLambdaFunction", "MEDIUM"},
		{"RDS.3", "RDS DB instances should have encryption at-rest enabled", "AwsRdsDbInstance", "MEDIUM"},
		{"KMS.4", "AWS KMS key rotation should be enabled", "AwsKmsKey", "MEDIUM"},
	}
	sampleStandards = []string{fsbp, "standards/cis-aws-foundations-benchmark/v/5.0.0", pci, nist}
	sampleRegions   = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}
	sampleStatus    = []string{"PASSED", "PASSED", "PASSED", "FAILED", "FAILED", "WARNING", "NOT_AVAILABLE"}
	sampleWorkflow  = []string{"NEW", "NEW", "NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED"}
	sampleScore     = map[string]int{"LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
)

// sampleFinding returns finding i of a synthetic organization as GetFindings returns it: a
// consolidated control finding of about 2 KB.
func sampleFinding(rng *rand.Rand, i int) map[string]any {
	ctl := sampleControls[rng.IntN(len(sampleControls))]
	region := sampleRegions[rng.IntN(len(sampleRegions))]
	account := fmt.Sprintf("%012d", 100000000000+rng.IntN(200))
	uuid := fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Uint64()&(1<<48-1))
	id := fmt.Sprintf("arn:aws:securityhub:%s:%s:security-control/%s/finding/%s", region, account, ctl.id, uuid)
	resourceID := fmt.Sprintf("arn:aws:%s:%s:%s:resource/r-%06d", strings.ToLower(strings.Split(ctl.id, ".")[0]), region, account, i)
	var stds []any
	for _, s := range sampleStandards {
		if rng.IntN(3) > 0 || len(stds) == 0 {
			stds = append(stds, map[string]any{"StandardsId": s})
		}
	}
	created := fmt.Sprintf("2024-0%d-%02dT%02d:%02d:%02d.%03dZ", 1+rng.IntN(4), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(1000))
	m := map[string]any{
		"SchemaVersion":   "2018-10-08",
		"Id":              id,
		"ProductArn":      "arn:aws:securityhub:" + region + "::product/aws/securityhub",
		"ProductName":     "Security Hub",
		"CompanyName":     "AWS",
		"Region":          region,
		"GeneratorId":     "security-control/" + ctl.id,
		"AwsAccountId":    account,
		"Types":           []any{"Software and Configuration Checks/Industry and Regulatory Standards"},
		"FirstObservedAt": created,
		"LastObservedAt":  "2024-05-20T08:16:03.512Z",
		"CreatedAt":       created,
		"UpdatedAt":       "2024-05-20T08:16:01.004Z",
		"Severity":        map[string]any{"Label": ctl.severity, "Normalized": sampleScore[ctl.severity], "Original": ctl.severity},
		"Title":           ctl.title,
		"Description":     "This control checks whether " + strings.ToLower(ctl.title[:1]) + ctl.title[1:] + ". The control fails if the resource is not configured as the control expects.",
		"Remediation": map[string]any{"Recommendation": map[string]any{
			"Text": "For information on how to correct this issue, consult the AWS Security Hub controls documentation.",
			"Url":  "https://docs.aws.amazon.com/console/securityhub/" + ctl.id + "/remediation",
		}},
		"ProductFields": map[string]any{
			"RelatedAWSResources:0/name":  fmt.Sprintf("securityhub-%s-%08x", strings.ToLower(strings.ReplaceAll(ctl.id, ".", "-")), rng.Uint32()),
			"RelatedAWSResources:0/type":  "AWS::Config::ConfigRule",
			"aws/securityhub/ProductName": "Security Hub",
			"aws/securityhub/CompanyName": "AWS",
			"Resources:0/Id":              resourceID,
			"aws/securityhub/FindingId":   "arn:aws:securityhub:" + region + "::product/aws/securityhub/" + id,
		},
		"Resources": []any{map[string]any{
			"Type": ctl.resourceType, "Id": resourceID, "Partition": "aws", "Region": region,
			"Tags": map[string]any{"team": fmt.Sprintf("team-%d", rng.IntN(12)), "env": "prod"},
		}},
		"Compliance": map[string]any{
			"Status":              sampleStatus[rng.IntN(len(sampleStatus))],
			"RelatedRequirements": []any{"NIST.800-53.r5 AC-3", "NIST.800-53.r5 SC-7", "PCI DSS v3.2.1/1.3.1"},
			"SecurityControlId":   ctl.id,
			"AssociatedStandards": stds,
		},
		"WorkflowState": "NEW",
		"Workflow":      map[string]any{"Status": sampleWorkflow[rng.IntN(len(sampleWorkflow))]},
		"RecordState":   "ACTIVE",
		"FindingProviderFields": map[string]any{
			"Severity": map[string]any{"Label": ctl.severity, "Original": ctl.severity},
			"Types":    []any{"Software and Configuration Checks/Industry and Regulatory Standards"},
		},
		"ProcessedAt": "2024-05-20T08:16:05.881Z",
	}
	if rng.IntN(10) == 0 {
		m["Note"] = map[string]any{"Text": "Tracked in SEC-" + fmt.Sprint(rng.IntN(9999)), "UpdatedBy": "arn:aws:iam::" + account + ":role/SecurityAutomation", "UpdatedAt": "2024-05-01T12:00:00.000Z"}
		m["UserDefinedFields"] = map[string]any{"remediation": "auto", "owner": "platform"}
	}
	return m
}

// writeSampleASFF writes a JSON array of n realistic consolidated control findings, the same for
// the same seed.
func writeSampleASFF(w io.Writer, n int, seed int64) error {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	bw := bufio.NewWriterSize(w, 256<<10) // write errors are sticky and come back from Flush
	bw.WriteString("[\n")
	for i := range n {
		b, err := json.Marshal(sampleFinding(rng, i))
		if err != nil {
			return err
		}
		bw.Write(b)
		if i < n-1 {
			bw.WriteString(",\n")
		}
	}
	bw.WriteString("\n]\n")
	return bw.Flush()
}

func TestWriteSampleASFF(t *testing.T) {
	var a, b bytes.Buffer
	if err := writeSampleASFF(&a, 100, 7); err != nil {
		t.Fatal(err)
	}
	if err := writeSampleASFF(&b, 100, 7); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same seed, different output")
	}
	if per := a.Len() / 100; per < 1800 || per > 2600 {
		t.Errorf("got %d bytes a finding, want about 2 KB", per)
	}
	got, err := decodeAll(t, "sample.json", a.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 {
		t.Errorf("got %d findings, want 100", len(got))
	}
	for _, f := range got {
		if f.ControlID == "" || len(f.Standards) == 0 || f.ComplianceStatus == "" {
			t.Fatalf("not a control finding: %+v", f)
		}
	}
}

// benchSample is the input of the decoding benchmarks: 20,000 generated findings as a JSON array.
func benchSample(b *testing.B) (data []byte, findings int) {
	const n = 20000
	var buf bytes.Buffer
	if err := writeSampleASFF(&buf, n, 1); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), n
}

func BenchmarkDecode(b *testing.B) {
	plain, _ := benchSample(b)
	cat := testCatalog(b)
	// The same findings as Firehose writes Security Hub's events: one per event, concatenated.
	var records []json.RawMessage
	if err := json.Unmarshal(plain, &records); err != nil {
		b.Fatal(err)
	}
	var events bytes.Buffer
	for i, r := range records {
		events.WriteString(imported(fmt.Sprintf("e%d", i), string(r)))
	}
	for _, bc := range []struct {
		name string
		data []byte
	}{
		{"array", plain},
		{"array.gz", gzipBytes(b, plain)},
		{"events", events.Bytes()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(plain))) // the findings' bytes, so that MB/s compare across shapes
			b.ReportAllocs()
			count := 0
			for b.Loop() {
				err := Decode(context.Background(), "bench.json", bytes.NewReader(bc.data), cat, func(*model.Finding) error {
					count++
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(count)/b.Elapsed().Seconds(), "findings/s")
		})
	}
}

// BenchmarkFrame measures the framer alone: it runs on one goroutine ahead of the decoders, over
// every byte of the input, so its speed bounds the pipeline's.
func BenchmarkFrame(b *testing.B) {
	data, n := benchSample(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f := framer{src: bytes.NewReader(data), buf: make([]byte, frameBufferSize), keep: -1}
		if c, ok := f.skipSpace(); !ok || c != '[' {
			b.Fatalf("sample does not start with an array")
		}
		f.off++
		framed := 0
		for {
			c, ok := f.skipSpace()
			if !ok || c == ']' {
				break
			}
			if c == ',' {
				f.off++
				continue
			}
			if _, _, err := f.take(); err != nil {
				b.Fatal(err)
			}
			framed++
		}
		if framed != n {
			b.Fatalf("framed %d records, want %d", framed, n)
		}
	}
}

// TestDecodePanicIsAnError: a panic while decoding a record, in one of the decoder goroutines,
// comes back from Decode as an error naming the file and the record, with every goroutine
// stopped; it neither crashes the process nor leaves Decode waiting.
func TestDecodePanicIsAnError(t *testing.T) {
	var records []map[string]any
	for i := range 1000 { // several batches, so the panic is in one decoder among others
		f := baseFinding()
		f["Id"] = fmt.Sprintf("finding-%d", i)
		records = append(records, f)
	}
	input := marshal(t, records)
	const bad = 700
	decodeFault = func(record int) {
		if record == bad {
			var m map[string]int
			//lint:ignore SA5000 the test needs a real runtime panic, not a panic() call
			m["injected"]++ // a nil map write: a real runtime panic
		}
	}
	defer func() { decodeFault = nil }()
	var seen int
	err := Decode(t.Context(), "big.json", bytes.NewReader(input), testCatalog(t), func(*model.Finding) error {
		seen++
		return nil
	})
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Decode: %v, want a PanicError", err)
	}
	if want := fmt.Sprintf("import big.json: record %d", bad); !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "nil map") {
		t.Errorf("error %q does not start with %q and name the panic", err, want)
	}
	if seen != bad {
		t.Errorf("fn saw %d findings before the error, want the %d before record %d", seen, bad, bad)
	}
	// The decoder is whole again: the next file decodes normally.
	decodeFault = nil
	got, err := decodeAll(t, "after.json", input)
	if err != nil || len(got) != len(records) {
		t.Errorf("after the panic: %d findings, %v", len(got), err)
	}
}
