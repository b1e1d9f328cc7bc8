package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDiffCommand runs diff over the small demo: the first day to the last equals the report's
// progress counts (its window holds the whole history), dates and ids pick the same snapshots,
// every format writes, and every bad value is a usage error naming its flag.
func TestDiffCommand(t *testing.T) {
	dir := smallDemo(t)
	db := filepath.Join(dir, "r.duckdb")
	snaps := listSnapshots(t, db)
	if len(snaps) < 2 {
		t.Fatalf("%d snapshots", len(snaps))
	}
	first, last := snaps[0], snaps[len(snaps)-1]
	day := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }

	type counts struct {
		Fixed           int `json:"fixed"`
		NewlyFailing    int `json:"newly_failing"`
		NewlySuppressed int `json:"newly_suppressed"`
		NewlyDisabled   int `json:"newly_disabled"`
		AccountsLeft    int `json:"accounts_left"`
		NotComparable   int `json:"not_comparable"`
	}
	var d struct {
		From struct {
			ID int64 `json:"id"`
		} `json:"from"`
		To struct {
			ID   int64  `json:"id"`
			Date string `json:"date"`
		} `json:"to"`
		Counts counts            `json:"counts"`
		Fixed  []json.RawMessage `json:"fixed"`
	}
	code, stdout, stderr := call(t, "", "diff", "--db", db, "--from", day(first.TakenAt), "--to", day(last.TakenAt), "--format", "json")
	if code != exitOK {
		t.Fatalf("diff exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatal(err)
	}
	if d.From.ID != first.ID || d.To.ID != last.ID || d.To.Date != day(last.TakenAt) {
		t.Errorf("from %d to %d (%s), want %d to %d", d.From.ID, d.To.ID, d.To.Date, first.ID, last.ID)
	}
	if len(d.Fixed) != d.Counts.Fixed {
		t.Errorf("fixed lists %d, counts %d", len(d.Fixed), d.Counts.Fixed)
	}
	var r struct {
		Progress counts `json:"progress"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if d.Counts != r.Progress {
		t.Errorf("diff counts %+v, the report's progress %+v", d.Counts, r.Progress)
	}
	if d.Counts == (counts{}) {
		t.Error("the demo's whole history changed nothing: the comparison proves little")
	}

	// Ids pick the same snapshots: the same bytes.
	code, byID, _ := call(t, "", "diff", "--db", db, "--from", itoa(first.ID), "--to", itoa(last.ID), "--format", "json")
	if code != exitOK || byID != stdout {
		t.Errorf("by id: exit %d, same output %v", code, byID == stdout)
	}

	code, text, stderr := call(t, "", "diff", "--db", db, "--from", itoa(first.ID), "--to", day(last.TakenAt))
	if code != exitOK || !strings.HasPrefix(text, "Changes from snapshot "+itoa(first.ID)) || !strings.Contains(text, "NEWLY FAILING:") {
		t.Errorf("text: exit %d %s\n%.300s", code, stderr, text)
	}
	for _, format := range []string{"text", "json", "xlsx"} {
		out := filepath.Join(t.TempDir(), "diff."+format)
		code, _, stderr := call(t, "", "diff", "--db", db, "--from", itoa(first.ID), "--to", itoa(last.ID), "--format", format, "--out", out)
		if code != exitOK {
			t.Fatalf("%s: exit %d %s", format, code, stderr)
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&^0o640 != 0 || fi.Size() == 0 {
			t.Errorf("%s: mode %v size %d, want 0640 or tighter and not empty", format, fi.Mode().Perm(), fi.Size())
		}
	}

	before := day(first.TakenAt.Add(-48 * time.Hour))
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", before, "--to", itoa(last.ID)}, "--from " + before + ": no snapshot taken on or before"},
		{[]string{"--from", itoa(first.ID), "--to", "999999"}, "--to 999999: no snapshot with id 999999"},
		{[]string{"--from", itoa(last.ID), "--to", itoa(first.ID)}, "--from " + itoa(last.ID) + " (snapshot"},
		{[]string{"--from", "last tuesday", "--to", itoa(last.ID)}, `--from "last tuesday": want a date`},
		{[]string{"--from", "2025-02-30", "--to", itoa(last.ID)}, "--from 2025-02-30: not a date"},
		{[]string{"--from", itoa(first.ID), "--to", itoa(last.ID), "--format", "pdf"}, `--format "pdf"`},
		{[]string{"--to", itoa(last.ID)}, "needs --from and --to"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := call(t, "", append([]string{"diff", "--db", db}, tt.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 with %q", code, stderr, tt.want)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
