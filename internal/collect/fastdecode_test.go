package collect

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkFastDecode holds decodeFast to json.Unmarshal: when it accepts b, encoding/json must
// accept b too and decode the same rawFinding.
func checkFastDecode(t *testing.T, b []byte) (fast bool) {
	t.Helper()
	var got, want rawFinding
	if !got.decodeFast(b) {
		return false
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("decodeFast accepted what encoding/json refuses (%v):\n%s", err, b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeFast decoded\n%#v\nencoding/json\n%#v\nfrom\n%s", got, want, b)
	}
	return true
}

// fastDecodeSamples returns the records of the testdata files and of the generated sample export
// (common), and variants of one finding that the fast path must either decode exactly or leave to
// encoding/json.
func fastDecodeSamples(t testing.TB) (common, variants [][]byte) {
	var out [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		for {
			var v json.RawMessage
			if dec.Decode(&v) != nil {
				break
			}
			var page struct{ Findings []json.RawMessage }
			var arr []json.RawMessage
			switch {
			case json.Unmarshal(v, &arr) == nil:
				for _, r := range arr {
					out = append(out, r)
				}
			case json.Unmarshal(v, &page) == nil && page.Findings != nil:
				for _, r := range page.Findings {
					out = append(out, r)
				}
			default:
				out = append(out, v)
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 50 {
		out = append(out, marshal(t, sampleFinding(rng, i)))
	}
	common = out
	base := findingJSON(t, "arn:aws:securityhub:us-east-1:111122223333:security-control/S3.5/finding/x")
	edits := []struct{ old, new string }{
		{`"Id":`, `"id":`},             // case-folded key
		{`"Id":`, `"ID":`},             // case-folded key
		{`"Id":`, `"\u0049d":`},        // escaped key
		{`"Severity":`, `"ſeverity":`}, // folds to Severity (U+017F)
		{`"Severity":`, `"Severity":{"Label":"LOW"},"Severity":`},      // repeated: merged by json
		{`"Id":`, `"Id":"dup","Id":`},                                  // repeated string
		{`"Id":`, `"Id":null,"X":`},                                    // null
		{`"Title":"`, `"Title":"caf\u00e9 \"q\" `},                     // escapes in a decoded string
		{`"Title":"`, `"Title":"\"\\\/\b\f\n\r\t\u0000\u00FF\u2603 ☃`}, // every escape
		{`"Title":"`, `"Title":"pair \ud83d\ude00 `},                   // a surrogate pair
		{`"Title":"`, `"Title":"lone \ud83d `},                         // a lone surrogate
		{`"Title":"`, `"Title":"bad \u12G4 `},                          // a bad \u escape
		{`"Title":"`, `"Title":"quote \' `},                            // not a JSON escape
		{`"Title":"`, "\"Title\":\"esc \\\" bad \xff utf8 "},           // an escape and invalid UTF-8
		{`"Title":"`, "\"Title\":\"esc \\\" ctl \x01 "},                // an escape and a control character
		{`"Types":[`, `"Types":["a\\b",`},                              // an escape in an array
		{`"Id":`, `"UserDefinedFields":{"k":"v \"1\""},"Id":`},         // an escape in a map value
		{`"Id":`, `"UserDefinedFields":{"k\n":"v"},"Id":`},             // an escaped map key
		{`"Normalized":40`, `"Normalized":"4\u0030"`},                  // an escaped number string
		{`"Title":"`, `"Title":"café ☃ `},                              // UTF-8
		{`"Title":"`, "\"Title\":\"bad \xff utf8 "},                    // invalid UTF-8
		{`"Title":"`, "\"Title\":\"ctl \x01 "},                         // control character
		{`"Types":[`, `"Types":[null,`},                                // null element
		{`"Types":[`, `"Types":[],"T":[`},                              // empty array
		{`"Resources":[`, `"Resources":[],"R":[`},                      // empty array
		{`"Resources":[{`, `"Resources":[{"Details":{"A":[1,2.5e-3,-0,true,false,null,{"b":"\/\n\u1234"}]},`},
		{`"Resources":[{`, `"Resources":[{"Details":{"A":[01]},`}, // invalid number
		{`"Resources":[{`, `"Resources":[{"Details":{"A":"\x"},`}, // invalid escape
		{`"Resources":[{`, `"Resources":[{"Details":{"A":tru},`},  // invalid literal
		{`"Resources":[{`, `"Resources":[{"Details":{"A":1,},`},   // trailing comma
		{`"Resources":[{`, `"Resources":[{"type":"x",`},           // case-folded nested key
		{`"Normalized":40`, `"Normalized":"40"`},                  // number as a string
		{`"Normalized":40`, `"Normalized":" 40 "`},
		{`"Normalized":40`, `"Normalized":"forty"`},
		{`"Normalized":40`, `"Normalized":4e1`},
		{`"Normalized":40`, `"Normalized":true`},
		{`"Normalized":40`, `"Normalized":{}`},
		{`"Normalized":40`, `"Normalized":null`},
		{`"Normalized":40`, `"Normalized":-1.5E+2`},
		{`"Normalized":40`, `"Normalized":1e999`},
		{`"Label":"`, `"Label":7,"L":"`},                     // wrong type
		{`"Id":`, `"ProductFields":{"controlid":"x"},"Id":`}, // case-folded map-like struct key
		{`"Id":`, `"ProductFields":{"ControlId":"S3.5","K":"v","aws/securityhub/ProductName":"P"},"Id":`},
		{`"Id":`, `"ProductFields":{"é":"x"},"Id":`}, // non-ASCII unknown key
		{`"AssociatedStandards":[`, `"AssociatedStandards":[],"A":[`},
		{`"AssociatedStandards":[`, `"AssociatedStandards":[{"StandardsId":"a","StandardsStatus":"PASSED"},`},
		{`"Id":`, `"UserDefinedFields":{"a":"1","a":"2","":"e"},"Id":`}, // repeated map key
		{`"Id":`, `"UserDefinedFields":{},"Id":`},
		{`"Id":`, `"UserDefinedFields":{"a":1},"Id":`},
		{`"Id":`, `"Note":{"Text":"t","UpdatedBy":"u","UpdatedAt":"2024-01-01T00:00:00Z"},"Id":`},
		{`"Id":`, `"Workflow":{"Status":"NEW","status":"x"},"Id":`},
		{`"Id":`, `"Deep":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `,"Id":`},
		{`{`, ` { `},
		{`"Id":`, "\t\"Id\"\n:\r"},
	}
	for _, v := range edits {
		if !strings.Contains(base, v.old) {
			t.Fatalf("variant %q: base finding has no %q", v.new, v.old)
		}
		variants = append(variants, []byte(strings.Replace(base, v.old, v.new, 1)))
	}
	return common, variants
}

func TestDecodeFastMatchesJSON(t *testing.T) {
	common, variants := fastDecodeSamples(t)
	for _, b := range variants {
		checkFastDecode(t, b)
	}
	// The exports in testdata and the generated sample are the common shape: they must not fall
	// back, or the fast path is lost without a test noticing.
	for _, b := range common {
		if !checkFastDecode(t, b) && !bytes.Contains(b, []byte(`\`)) && !bytes.Contains(b, []byte(`null`)) {
			t.Errorf("decodeFast refused a sample without escapes or nulls:\n%s", b)
		}
	}
}

// TestDecodeFastEscapes: escapes in the strings it decodes stay on the fast path (encoding/json
// costs several times as much), and decode as encoding/json decodes them.
func TestDecodeFastEscapes(t *testing.T) {
	base := findingJSON(t, "arn:aws:securityhub:us-east-1:111122223333:security-control/S3.5/finding/x")
	for _, v := range []struct{ old, new string }{
		{`"Title":"`, `"Title":"IAM policies should not allow full \"*\" administrative privileges `},
		{`"Title":"`, `"Title":"\"\\\/\b\f\n\r\t\u0000\u00e9\u2603 ☃`},
		{`"Types":[`, `"Types":["a\\b",`},
		{`"Id":`, `"UserDefinedFields":{"k":"v \"1\""},"Id":`},
		{`"Id":`, `"Note":{"Text":"line\nline","UpdatedBy":"u"},"Id":`},
		{`"Normalized":40`, `"Normalized":"4\u0030"`},
	} {
		b := []byte(strings.Replace(base, v.old, v.new, 1))
		if !checkFastDecode(t, b) {
			t.Errorf("decodeFast refused %s", v.new)
		}
	}
}

func FuzzDecodeFast(f *testing.F) {
	common, variants := fastDecodeSamples(f)
	for _, b := range append(common, variants...) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFastDecode(t, b)
	})
}

// plainLenSlow is plainLen a byte at a time, as the parser scanned before.
func plainLenSlow(b []byte, nonASCII bool) int {
	for i, c := range b {
		if strSpecial[c] || nonASCII && c >= utf8.RuneSelf {
			return i
		}
	}
	return len(b)
}

// TestPlainLen holds the word-at-a-time scan to the byte-at-a-time one: every byte value at every
// position of short inputs (so every lane of a word and the tail), and random inputs dense in the
// bytes whose borrows could flag a wrong lane (0x00, 0x1f, 0x20, '"', '\\', 0x7f, 0x80, 0xff).
func TestPlainLen(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		for _, nonASCII := range []bool{false, true} {
			if got, want := plainLen(b, nonASCII), plainLenSlow(b, nonASCII); got != want {
				t.Fatalf("plainLen(%q, %v) = %d, want %d", b, nonASCII, got, want)
			}
		}
	}
	for n := range 20 {
		for pos := range n {
			for c := range 256 {
				b := bytes.Repeat([]byte("a"), n)
				b[pos] = byte(c)
				check(b)
			}
		}
	}
	tricky := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 0x7f, 0x80, 0xc3, 0xff, 'a'}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = tricky[rng.IntN(len(tricky))]
		}
		check(b)
	}
}
