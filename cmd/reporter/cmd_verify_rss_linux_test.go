package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hubreport/hubreport/internal/render/evidence"
)

// The peak RSS of a child is read from its own /proc/self/status (VmHWM), written by the child
// to a file before it exits. The rusage that wait4 returns cannot be used alone: Go starts a
// child with vfork semantics (CLONE_VM), and Linux folds the parent's high-water RSS into the
// child's ru_maxrss at exec, so the child seems to use what the parent once did: /bin/true
// started by a Go program that once held 500 MB reports a maxrss of 503 MB, and this test, run
// after the package's other tests, read 473 MB that way for a verify whose VmHWM is about 50 MB.
const verifyChildEnv, verifyHWMEnv = "REPORTER_VERIFY_CHILD", "REPORTER_VERIFY_HWM_FILE"

// init runs before TestMain: as the child it runs verify-evidence as main would, records its
// peak RSS and exits.
func init() {
	pkg := os.Getenv(verifyChildEnv)
	if pkg == "" {
		return
	}
	code := run(context.Background(), []string{"verify-evidence", pkg}, os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	status, err := os.ReadFile("/proc/self/status")
	if err == nil {
		err = os.WriteFile(os.Getenv(verifyHWMEnv), status, 0o600)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peak RSS:", err)
		os.Exit(99)
	}
	os.Exit(code)
}

// writeManifestZip writes a package at path whose manifest.json is a stored (uncompressed) entry
// of n file records, streamed to disk, and returns the manifest's size.
func writeManifestZip(t *testing.T, path string, n int) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "manifest.json", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	size := int64(0)
	write := func(s string) {
		k, _ := bw.WriteString(s)
		size += int64(k)
	}
	write(`{"format_version":1,"files":[`)
	for i := range n {
		if i > 0 {
			write(",")
		}
		write(fmt.Sprintf(`{"path":"findings/part-%09d.csv","size":1,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}`, i))
	}
	write("]}")
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return size
}

// verifyChild runs verify-evidence on pkg in a child process (this test binary, see init) and
// returns its exit code, stderr, and peak RSS in MB from VmHWM and from rusage.
func verifyChild(t *testing.T, pkg string) (code int, stderr string, hwmMB, maxrssMB float64) {
	t.Helper()
	hwmFile := filepath.Join(t.TempDir(), "status")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), verifyChildEnv+"="+pkg, verifyHWMEnv+"="+hwmFile, "LOG_LEVEL=warn")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no rusage")
	}
	status, err := os.ReadFile(hwmFile)
	if err != nil {
		t.Fatalf("the child recorded no peak RSS (exit %d): %v\n%s", cmd.ProcessState.ExitCode(), err, errb.String())
	}
	kb := int64(-1)
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err = strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
		}
	}
	if kb < 0 {
		t.Fatalf("no VmHWM in the child's /proc/self/status:\n%s", status)
	}
	return cmd.ProcessState.ExitCode(), errb.String(), float64(kb) / 1024, float64(ru.Maxrss) / 1024
}

// A 400 MB manifest is refused without being read: the verify's peak RSS stays under 200 MB.
// Peak RSS is a bound on memory, not a timing, so it is asserted.
func TestVerifyEvidenceRefusesHugeManifestInBoundedMemory(t *testing.T) {
	huge := filepath.Join(t.TempDir(), "huge.zip")
	size := writeManifestZip(t, huge, 400<<20/130)
	if size < 400e6 {
		t.Fatalf("manifest is %d bytes, want at least 400 MB", size)
	}
	code, stderr, hwm, maxrss := verifyChild(t, huge)
	t.Logf("verify-evidence on a %d-byte manifest: exit %d, peak RSS %.1f MB (VmHWM; rusage says %.1f MB)", size, code, hwm, maxrss)
	if code != exitError || !strings.Contains(stderr, "manifest.json") || !strings.Contains(stderr, fmt.Sprint(evidence.MaxManifestBytes)) {
		t.Errorf("exit %d, stderr %q: want exit %d naming manifest.json and the limit", code, stderr, exitError)
	}
	if hwm <= 0 || hwm >= 200 {
		t.Errorf("peak RSS %.1f MB, want under 200 MB", hwm)
	}
}
