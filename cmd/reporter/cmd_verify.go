package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hubreport/hubreport/internal/render/evidence"
)

func runVerifyEvidence(_ context.Context, e *env, args []string) error {
	fs, _ := newFlagSet(e, "verify-evidence", "verify-evidence [--manifest-sha256 HEX] FILE.zip")
	want := fs.String("manifest-sha256", "", "the manifest's SHA-256 recorded when the package was filed; checked when given")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("verify-evidence takes one FILE.zip")
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read-only: a close error cannot lose data
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	m, sum, err := evidence.Verify(f, fi.Size())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if *want != "" && !strings.EqualFold(*want, sum) {
		return fmt.Errorf("%s: %w", path, &evidence.TamperError{Path: evidence.ManifestName,
			Reason: fmt.Sprintf("SHA-256 %s, recorded %s", sum, strings.ToLower(*want))})
	}
	fmt.Fprintf(e.stdout, "%s: intact: %d files match the manifest (snapshot %d of %s, taken %s, %s)\nmanifest sha256 %s\n",
		path, len(m.Files), m.Snapshot.ID, m.Organization, m.Snapshot.TakenAt.Format("2006-01-02T15:04:05Z"), m.Snapshot.Status, sum)
	return nil
}
