package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

// Delivering the same snapshot twice to a folder and an S3 archive succeeds and writes nothing
// new; an archived copy that differs from the new report stops the delivery with both checksums
// and is left as it is. The evidence package is the report used: it is byte-for-byte the same for
// a snapshot (TestEvidencePackage).
func TestRedeliveryToArchives(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true, S3Buckets: []string{"arch"}})
	awsEnv(t, srv, hs.URL)
	work := t.TempDir()
	db := filepath.Join(work, "r.duckdb")
	redeliveryCopy(t, filepath.Join(smallDemo(t), "r.duckdb"), db)
	out, archive := filepath.Join(work, "out"), filepath.Join(work, "archive")
	cfgPath := filepath.Join(work, "reporter.yaml")
	// The demo's history is old: the staleness check is off, so a delivery exits 0.
	yml := "organization: acme-corp\nstore: {path: " + db + "}\nreport:\n  formats: [evidence]\n  max_snapshot_age: 0\n  out: " + out +
		"\ndeliver:\n  archive:\n    s3: {bucket: arch, prefix: reports/}\n    dir: " + archive + "\n"
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	deliverAgain := func() (int, string) {
		code, stdout, stderr := call(t, "", "run", "--config", cfgPath, "--steps", "report,deliver")
		return code, stdout + stderr
	}
	for i := 1; i <= 2; i++ {
		if code, msg := deliverAgain(); code != exitOK {
			t.Fatalf("delivery %d: exit %d\n%s", i, code, msg)
		}
	}
	var key string
	for _, k := range srv.ObjectKeys("arch") {
		if strings.HasSuffix(k, "/evidence.zip") {
			key = k
		}
	}
	local := filepath.Join(archive, filepath.FromSlash(strings.TrimPrefix(key, "reports/")))
	obj, _ := srv.Object("arch", key)
	folderCopy, err := os.ReadFile(local)
	if key == "" || err != nil || len(srv.ObjectKeys("arch")) != 1 || string(folderCopy) != string(obj.Body) {
		t.Fatalf("archive after two deliveries: keys %v, folder copy %s: %v", srv.ObjectKeys("arch"), local, err)
	}
	newSum := redeliverySum(obj.Body)

	// An archived copy with other bytes, in each place in turn.
	other := []byte("PK an evidence package of another reporter version")
	for _, tc := range []struct {
		name, location string
		plant          func()
		read           func() []byte
	}{
		{"folder", local, func() { os.WriteFile(local, other, 0o640) }, func() []byte { b, _ := os.ReadFile(local); return b }},
		{"s3", "s3://arch/" + key, func() {
			os.WriteFile(local, obj.Body, 0o640) // the folder is right again
			srv.PutObjectDirect("arch", key, other)
		}, func() []byte { o, _ := srv.Object("arch", key); return o.Body }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.plant()
			code, msg := deliverAgain()
			if code != exitError {
				t.Fatalf("exit %d, want %d\n%s", code, exitError, msg)
			}
			for _, want := range []string{tc.location, "archived SHA-256 " + redeliverySum(other), "new SHA-256 " + newSum, "move the archived copy aside"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			if got := tc.read(); string(got) != string(other) {
				t.Errorf("the archived copy was changed to %d bytes", len(got))
			}
		})
	}
}

func redeliverySum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func redeliveryCopy(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
