package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/model"
)

const stateKey = "state/reporter.duckdb"

// stateTask runs `reporter ARGS` as one ECS task would: the database at db, the state in
// s3://st/state/reporter.duckdb, collection from the emulator, configuration from the environment.
func stateTask(t *testing.T, db string, extra []string, args ...string) (int, string) {
	t.Helper()
	vars := append([]string{"LOG_LEVEL=warn", "REPORTER_STORE_PATH=" + db, "REPORTER_COLLECT_SOURCE=aws",
		"REPORTER_COLLECT_AWS_MODE=accounts", "REPORTER_STORE_S3_STATE_BUCKET=st", "REPORTER_STORE_S3_STATE_KEY=" + stateKey}, extra...)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, vars, strings.NewReader(""), &out, &errb)
	return code, out.String() + errb.String()
}

// stateSnapshots reads the state object back: its snapshots, and the object itself.
func stateSnapshots(t *testing.T, srv *fakeaws.Server) ([]model.Snapshot, fakeaws.S3Object) {
	t.Helper()
	obj, ok := srv.Object("st", stateKey)
	if !ok {
		return nil, obj
	}
	db := filepath.Join(t.TempDir(), "state.duckdb")
	if err := os.WriteFile(db, obj.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	return snapshotsOf(t, db), obj
}

// smallDisk mounts a tmpfs of size bytes (unmounted at the end of the test) and fills it until
// free bytes are left.
func smallDisk(t *testing.T, size, free int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.FormatInt(size, 10)); err != nil {
		t.Fatalf("mount a tmpfs at %s (the test needs root, as in CI): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if avail := int64(fs.Bavail) * fs.Bsize; avail < free {
		t.Fatalf("tmpfs of %d bytes has %d free, want %d", size, avail, free)
	} else if err := os.WriteFile(filepath.Join(dir, "filler"), make([]byte, avail-free), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDiskFullNeverLosesADay runs the second day's collection on a disk with about the state's
// size free, give or take a megabyte: room to download it and to commit the day into the WAL,
// but not always to checkpoint. Before Close checkpointed explicitly, margins of 256 KB to 2 MB
// exited 0 and uploaded a file without the day (it was only in the local .wal). Now each run
// either fails naming the step and the local file, leaving the state object as it was, or the
// uploaded state holds both days.
func TestDiskFullNeverLosesADay(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2, FindingsPerAccount: 200}, fakeaws.Options{Unlimited: true, S3Buckets: []string{"st"}})
	awsEnv(t, srv, hs.URL)
	if code, out := stateTask(t, filepath.Join(t.TempDir(), "r.duckdb"), nil, "run", "--steps", "collect", "--init-state"); code != exitOK {
		t.Fatalf("day 1: exit %d\n%s", code, out)
	}
	_, day1 := stateSnapshots(t, srv)
	size := int64(len(day1.Body))
	failed := 0
	for _, margin := range []int64{0, 256 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20} {
		t.Run(fmt.Sprintf("free=state+%dKB", margin>>10), func(t *testing.T) {
			srv.PutObjectDirect("st", stateKey, day1.Body) // every day 2 starts from day 1
			dir := smallDisk(t, 4*size+(16<<20), size+margin)
			db := filepath.Join(dir, "r.duckdb")
			code, out := stateTask(t, db, nil, "run", "--steps", "collect")
			snaps, after := stateSnapshots(t, srv)
			t.Logf("exit %d, the state holds %d snapshots", code, len(snaps))
			if code == exitOK {
				if len(snaps) != 2 {
					t.Errorf("exit 0, but the uploaded state holds %d snapshots, want 2\n%s", len(snaps), out)
				}
				return
			}
			failed++
			if code != exitError || !strings.Contains(out, db) {
				t.Errorf("exit %d, want %d and a message naming %s:\n%s", code, exitError, db, out)
			}
			if after.ETag != day1.ETag || !bytes.Equal(after.Body, day1.Body) || len(snaps) != 1 {
				t.Errorf("a failed run changed the state object (%d snapshots)", len(snaps))
			}
			// What the message says is kept is: with space again, the local file and its WAL
			// hold both days.
			if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out, "write-ahead log") {
				if local := snapshotsOf(t, db); len(local) != 2 {
					t.Errorf("the local database and its WAL hold %d snapshots, want 2", len(local))
				}
			}
		})
	}
	if failed == 0 {
		t.Error("no run ran out of space: the fault was never injected; shrink the margins")
	}
}

// TestRunSavesCollectionBeforeDelivery fails the email (SES refuses an unverified sender) after
// a collection: the snapshot is in the state object already and the run exits 4. `run --steps
// report,deliver` then delivers it from the state, and uploads nothing.
func TestRunSavesCollectionBeforeDelivery(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2, FindingsPerAccount: 50}, fakeaws.Options{Unlimited: true, S3Buckets: []string{"st"}, SESVerifiedIdentities: []string{"example.com"}})
	awsEnv(t, srv, hs.URL)
	mail := func(from string) []string {
		return []string{"REPORTER_REPORT_FORMATS=text,json", "REPORTER_REPORT_OUT=" + t.TempDir(), "REPORTER_DELIVER_EMAIL_TRANSPORT=ses",
			"REPORTER_DELIVER_EMAIL_FROM=" + from, "REPORTER_DELIVER_EMAIL_TO=ciso@example.com"}
	}
	code, out := stateTask(t, filepath.Join(t.TempDir(), "r.duckdb"), mail("compliance@unverified.example.org"), "run", "--init-state")
	if code != exitNotDelivered || !strings.Contains(out, "snapshot 1 was collected and saved, but not delivered") ||
		!strings.Contains(out, "not verified") || !strings.Contains(out, "run --steps report,deliver") {
		t.Fatalf("run with a refused sender: exit %d, want %d\n%s", code, exitNotDelivered, out)
	}
	snaps, saved := stateSnapshots(t, srv)
	if len(snaps) != 1 || snaps[0].ID != 1 {
		t.Fatalf("after the failed delivery the state holds %v, want snapshot 1", snaps)
	}
	if n := len(srv.SentEmails()); n != 0 {
		t.Fatalf("%d emails sent by a refused sender", n)
	}

	puts := srv.Stats().S3Puts
	code, out = stateTask(t, filepath.Join(t.TempDir(), "r.duckdb"), mail("compliance@example.com"), "run", "--steps", "report,deliver")
	if code != exitOK {
		t.Fatalf("report,deliver: exit %d\n%s", code, out)
	}
	if mails := srv.SentEmails(); len(mails) != 1 || !strings.Contains(string(mails[0].Raw), "compliance@example.com") {
		t.Errorf("report,deliver sent %d emails, want the one the first run could not", len(mails))
	}
	if after, _ := srv.Object("st", stateKey); srv.Stats().S3Puts != puts || after.ETag != saved.ETag {
		t.Errorf("report,deliver uploaded (%d PUTs): it changed nothing, so it must not", srv.Stats().S3Puts-puts)
	}
}

// TestMissingStateIsAnError: without the object, a run stops naming it, unless --init-state,
// which creates it; --init-state over an existing object is refused, the object untouched.
func TestMissingStateIsAnError(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2, FindingsPerAccount: 20}, fakeaws.Options{Unlimited: true, S3Buckets: []string{"st"}})
	awsEnv(t, srv, hs.URL)
	fresh := func() string { return filepath.Join(t.TempDir(), "r.duckdb") }
	for _, steps := range []string{"collect", "report"} {
		code, out := stateTask(t, fresh(), nil, "run", "--steps", steps)
		if code != exitError || !strings.Contains(out, "state s3://st/state/reporter.duckdb does not exist") || !strings.Contains(out, "reporter run --init-state") {
			t.Errorf("--steps %s without a state object: exit %d, want %d naming the object and --init-state\n%s", steps, code, exitError, out)
		}
	}
	if _, ok := srv.Object("st", stateKey); ok {
		t.Fatal("a run without --init-state created the state object")
	}
	// A local database is named as the way to restore, and --init-state will not start over it.
	local := fresh()
	if code, stdout, stderr := call(t, "", "collect", "--db", local, "--mode", "accounts"); code != exitOK {
		t.Fatalf("local collect: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, out := stateTask(t, local, nil, "run", "--steps", "collect"); code != exitError || !strings.Contains(out, "a local copy exists at "+local) {
		t.Errorf("missing object, local copy: exit %d\n%s", code, out)
	}
	if code, out := stateTask(t, local, nil, "run", "--steps", "collect", "--init-state"); code != exitUsage || !strings.Contains(out, "a database exists at "+local) {
		t.Errorf("--init-state over a local database: exit %d\n%s", code, out)
	}
	if code, out := stateTask(t, fresh(), nil, "run", "--steps", "report,deliver", "--init-state"); code != exitUsage || !strings.Contains(out, "--init-state") {
		t.Errorf("--init-state without collect: exit %d\n%s", code, out)
	}

	if code, out := stateTask(t, fresh(), nil, "run", "--steps", "collect", "--init-state"); code != exitOK {
		t.Fatalf("--init-state: exit %d\n%s", code, out)
	}
	snaps, created := stateSnapshots(t, srv)
	if len(snaps) != 1 {
		t.Fatalf("--init-state created a state with %d snapshots, want 1", len(snaps))
	}
	code, out := stateTask(t, fresh(), nil, "run", "--steps", "collect", "--init-state")
	if code != exitUsage || !strings.Contains(out, "s3://st/state/reporter.duckdb already exists") {
		t.Errorf("--init-state over an existing object: exit %d, want %d\n%s", code, exitUsage, out)
	}
	if after, _ := srv.Object("st", stateKey); after.ETag != created.ETag {
		t.Error("--init-state over an existing object changed it")
	}
	if code, out := stateTask(t, fresh(), nil, "run", "--steps", "collect"); code != exitOK {
		t.Fatalf("second day: exit %d\n%s", code, out)
	}
	if snaps, _ := stateSnapshots(t, srv); len(snaps) != 2 {
		t.Errorf("after the second day the state holds %d snapshots, want 2", len(snaps))
	}
}
