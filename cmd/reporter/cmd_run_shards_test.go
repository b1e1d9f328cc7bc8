package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/store"
)

// TestShardedRunMergesIntoTheState runs what the ECS state machine runs, against the emulator:
// two shard tasks (`run --steps collect` with REPORTER_COLLECT_AWS_SHARD 1/2 and 2/2), each on
// fresh storage, then `run --steps merge`. The state file the merge uploads holds one snapshot
// with exactly the findings, accounts and coverage of an unsharded collection of the same
// organization. A merge with a shard missing fails naming it and leaves the state as it was.
func TestShardedRunMergesIntoTheState(t *testing.T) {
	const accounts = 6
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: accounts}, fakeaws.Options{Unlimited: true, S3Buckets: []string{"st"}})
	awsEnv(t, srv, hs.URL)
	perShard := map[int]int{}
	for _, a := range srv.Accounts() {
		perShard[collect.ShardOf(a.AccountID, 2)]++
	}
	if perShard[0] == 0 || perShard[1] == 0 {
		t.Fatalf("the %d accounts fall in one shard only (%v); pick another count", accounts, perShard)
	}
	const stateKey = "state/reporter.duckdb"
	base := []string{"LOG_LEVEL=warn", "REPORTER_STORE_S3_STATE_BUCKET=st", "REPORTER_STORE_S3_STATE_KEY=" + stateKey,
		"REPORTER_COLLECT_SOURCE=aws", "REPORTER_COLLECT_AWS_MODE=accounts", "REPORTER_DELIVER_ARCHIVE_S3_KMS_KEY_ID=alias/hubreport"}
	// task runs the reporter as one ECS task would: its own empty storage, configuration from
	// the environment.
	task := func(extra []string, args ...string) (int, string) {
		t.Helper()
		vars := append(slices.Clone(base), "REPORTER_STORE_PATH="+filepath.Join(t.TempDir(), "var", "reporter.duckdb"))
		vars = append(vars, extra...)
		var out, errb bytes.Buffer
		code := run(context.Background(), args, vars, strings.NewReader(""), &out, &errb)
		return code, out.String() + errb.String()
	}
	merge := func() (int, string) { return task(nil, "run", "--steps", "merge") }

	// The reference: the whole organization collected at once, no S3.
	ref := filepath.Join(t.TempDir(), "ref.duckdb")
	if code, stdout, stderr := call(t, "", "collect", "--db", ref, "--mode", "accounts"); code != exitOK {
		t.Fatalf("unsharded collect: exit %d\n%s%s", code, stdout, stderr)
	}

	// Nothing uploaded yet.
	if code, out := merge(); code != exitError || !strings.Contains(out, "no shard export under s3://st/shards/") {
		t.Errorf("merge before any shard: exit %d\n%s", code, out)
	}

	today := time.Now().UTC().Format(time.DateOnly)
	if code, out := task([]string{"REPORTER_COLLECT_AWS_SHARD=1/2"}, "run", "--steps", "collect"); code != exitOK {
		t.Fatalf("shard 1/2: exit %d\n%s", code, out)
	}
	if _, ok := srv.Object("st", stateKey); ok {
		t.Fatal("a shard uploaded the state file")
	}
	shard1 := prefixed(srv.ObjectKeys("st"), "shards/"+today+"/1-of-2/")
	if len(shard1) == 0 || !slices.ContainsFunc(shard1, func(k string) bool { return strings.Contains(k, "/snapshots/snapshot_date="+today+"/") }) {
		t.Fatalf("shard 1/2 uploaded %v", srv.ObjectKeys("st"))
	}
	if o, _ := srv.Object("st", shard1[0]); o.SSE != "aws:kms" || o.KMSKeyID != "alias/hubreport" {
		t.Errorf("shard export stored with SSE %q key %q, want the archive's SSE-KMS key", o.SSE, o.KMSKeyID)
	}

	// Shard 2 has not run: the merge refuses, naming it, and there is still no state.
	if code, out := merge(); code != exitError || !strings.Contains(out, "1 of 2 shards missing: 2-of-2") ||
		!strings.Contains(out, "s3://st/shards/"+today+"/") {
		t.Errorf("merge with shard 2 missing: exit %d\n%s", code, out)
	}
	if _, ok := srv.Object("st", stateKey); ok {
		t.Error("a refused merge uploaded a state file")
	}

	if code, out := task([]string{"REPORTER_COLLECT_AWS_SHARD=2/2"}, "run", "--steps", "collect"); code != exitOK {
		t.Fatalf("shard 2/2: exit %d\n%s", code, out)
	}
	if code, out := task(nil, "run", "--steps", "merge", "--init-state"); code != exitOK {
		t.Fatalf("merge: exit %d\n%s", code, out)
	}
	state, ok := srv.Object("st", stateKey)
	if !ok {
		t.Fatal("the merge uploaded no state")
	}
	db := filepath.Join(t.TempDir(), "state.duckdb")
	if err := os.WriteFile(db, state.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	got, want := snapshotContent(t, db), snapshotContent(t, ref)
	t.Logf("merged %s; %d accounts, %d coverage rows, %d findings", got.meta, len(got.accounts), len(got.coverage), len(got.findings))
	if got.snaps != 1 {
		t.Errorf("the state holds %d snapshots, want 1", got.snaps)
	}
	if got.meta != want.meta {
		t.Errorf("merged snapshot %s\nunsharded      %s", got.meta, want.meta)
	}
	for _, c := range []struct {
		what      string
		got, want []string
	}{{"accounts", got.accounts, want.accounts}, {"coverage", got.coverage, want.coverage}, {"findings", got.findings, want.findings}} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("merged %s differ from the unsharded collection's: %d vs %d\n got %.300v\nwant %.300v", c.what, len(c.got), len(c.want), c.got, c.want)
		}
	}
	if len(want.findings) == 0 || len(want.accounts) != accounts {
		t.Errorf("the reference holds %d findings of %d accounts", len(want.findings), len(want.accounts))
	}

	// Again with nothing new: refused, as when every shard of a later collection failed.
	if code, out := merge(); code != exitError || !strings.Contains(out, "nothing new to merge") {
		t.Errorf("second merge: exit %d\n%s", code, out)
	}
	// A later day with shard 2 missing: refused, naming it; the state object is untouched.
	for _, k := range shard1 {
		o, _ := srv.Object("st", k)
		srv.PutObjectDirect("st", strings.Replace(k, "/"+today+"/", "/2999-01-01/", 1), o.Body)
	}
	if code, out := merge(); code != exitError || !strings.Contains(out, "merge s3://st/shards/2999-01-01/: 1 of 2 shards missing: 2-of-2") ||
		!strings.Contains(out, "state is unchanged") {
		t.Errorf("merge with a shard missing: exit %d\n%s", code, out)
	}
	if after, _ := srv.Object("st", stateKey); after.ETag != state.ETag || !bytes.Equal(after.Body, state.Body) {
		t.Error("a refused merge changed the state object")
	}

	// Step combinations a sharded deployment cannot run are usage errors naming the key.
	for _, c := range []struct {
		extra []string
		args  []string
		want  string
	}{
		{[]string{"REPORTER_COLLECT_AWS_SHARD=1/2"}, []string{"run", "--steps", "report"}, "a shard only collects"},
		{[]string{"REPORTER_COLLECT_AWS_SHARD=1/2"}, []string{"run"}, "a shard only collects"},
		{[]string{"REPORTER_COLLECT_AWS_SHARD=1/2", "REPORTER_COLLECT_AWS_MODE=aggregator"}, []string{"run", "--steps", "collect"}, "collect.aws.shard needs collect.source aws and collect.aws.mode accounts"},
		{[]string{"REPORTER_COLLECT_AWS_SHARD=3/2"}, []string{"run", "--steps", "collect"}, `collect.aws.shard: "3/2": want i/n with 1 <= i <= n`},
		{[]string{"REPORTER_STORE_S3_STATE_BUCKET=", "REPORTER_STORE_S3_STATE_KEY="}, []string{"run", "--steps", "merge"}, "--steps merge needs store.s3_state"},
		{nil, []string{"run", "--steps", "collect,merge"}, "collect and merge are alternatives"},
	} {
		if code, out := task(c.extra, c.args...); code != exitUsage || !strings.Contains(out, c.want) {
			t.Errorf("%v %v: exit %d, want %d and %q\n%s", c.extra, c.args, code, exitUsage, c.want, out)
		}
	}
}

func prefixed(keys []string, prefix string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// content is what a database's latest snapshot holds, as sorted strings to compare.
type content struct {
	snaps                        int
	takenAt                      time.Time
	meta                         string
	accounts, coverage, findings []string
}

func snapshotContent(t *testing.T, db string) content {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snaps, err := st.Snapshots(ctx)
	if err != nil || len(snaps) == 0 {
		t.Fatalf("%s: %d snapshots, %v", db, len(snaps), err)
	}
	s := snaps[len(snaps)-1]
	c := content{snaps: len(snaps), takenAt: s.TakenAt, meta: fmt.Sprintf("source %s status %s findings %d accounts %d of %d administrator %s",
		s.Source, s.Status, s.Findings, s.AccountsCollected, s.AccountsExpected, s.AdministratorAccount)}
	rows := func(q string) []string {
		t.Helper()
		r, err := st.DB().QueryContext(ctx, q, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []string
		for r.Next() {
			var v string
			if err := r.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	c.accounts = rows(`SELECT concat_ws('|', account_id, name, ou, email) FROM snapshot_accounts WHERE snapshot_id = ? ORDER BY 1`)
	c.coverage = rows(`SELECT concat_ws('|', account_id, region, status, reason, findings) FROM coverage WHERE snapshot_id = ? ORDER BY 1`)
	err = st.ForEachFinding(ctx, s.ID, func(f *model.Finding) error {
		c.findings = append(c.findings, strings.Join([]string{f.ID, f.AccountID, f.Region, f.ControlID, f.ComplianceStatus,
			f.WorkflowStatus, f.RecordState, f.SeverityLabel, f.UpdatedAt.UTC().Format(time.RFC3339Nano)}, "|"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(c.findings)
	return c
}

// TestShardedRunPartial: a shard that cannot read an account still uploads (exit 3, as an
// unsharded run), and the merged snapshot is partial, with the gap in its coverage (exit 3).
// The shards are given their execution's start, as the state machine gives it, at 23:59:30 the
// day before they run: they file under that day and merge into one snapshot taken then.
func TestShardedRunPartial(t *testing.T) {
	probe, err := demoaws.New(demoaws.Config{Accounts: 6}, fakeaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var denied string // a member: the administrator account is read with the task's own credentials
	for _, a := range probe.Accounts() {
		if a.AccountID != probe.AdministratorAccount() {
			denied = a.AccountID
			break
		}
	}
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 6}, fakeaws.Options{Unlimited: true, S3Buckets: []string{"st"}, DenyAssumeRole: []string{denied}})
	awsEnv(t, srv, hs.URL)
	vars := func(extra ...string) []string {
		return append([]string{"LOG_LEVEL=warn", "REPORTER_STORE_S3_STATE_BUCKET=st", "REPORTER_STORE_S3_STATE_KEY=db",
			"REPORTER_COLLECT_AWS_MODE=accounts", "REPORTER_STORE_PATH=" + filepath.Join(t.TempDir(), "r.duckdb")}, extra...)
	}
	deniedShard := collect.ShardOf(denied, 2) + 1
	started := time.Now().UTC().Truncate(24 * time.Hour).Add(-30*time.Second + 123*time.Millisecond)
	day := started.Format(time.DateOnly)
	for i := 1; i <= 2; i++ {
		var out bytes.Buffer
		code := run(context.Background(), []string{"run", "--steps", "collect"}, vars(fmt.Sprintf("REPORTER_COLLECT_AWS_SHARD=%d/2", i),
			"REPORTER_COLLECT_AWS_SHARD_STARTED_AT="+started.Format("2006-01-02T15:04:05.000Z")), nil, &out, &out)
		if want := map[bool]int{true: exitPartial, false: exitOK}[i == deniedShard]; code != want {
			t.Fatalf("shard %d/2 (the denied account is in %d): exit %d, want %d\n%s", i, deniedShard, code, want, out.String())
		}
	}
	for i := 1; i <= 2; i++ {
		if keys := prefixed(srv.ObjectKeys("st"), fmt.Sprintf("shards/%s/%d-of-2/snapshots/", day, i)); len(keys) == 0 {
			t.Errorf("shard %d/2 did not file its export under %s: %v", i, day, srv.ObjectKeys("st"))
		}
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"run", "--steps", "merge", "--init-state"}, vars(), nil, &out, &out); code != exitPartial {
		t.Fatalf("merge: exit %d, want %d\n%s", code, exitPartial, out.String())
	}
	obj, ok := srv.Object("st", "db")
	if !ok {
		t.Fatal("a partial merge uploaded no state")
	}
	db := filepath.Join(t.TempDir(), "state.duckdb")
	if err := os.WriteFile(db, obj.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	c := snapshotContent(t, db)
	if !strings.Contains(c.meta, "status partial") || !strings.Contains(c.meta, "accounts 5 of 6") ||
		!slices.ContainsFunc(c.coverage, func(s string) bool { return strings.HasPrefix(s, denied+"|") && strings.Contains(s, "denied") }) {
		t.Errorf("merged %s, coverage %v; want partial, 5 of 6, %s denied", c.meta, c.coverage, denied)
	}
	if c.snaps != 1 || !c.takenAt.Equal(started) {
		t.Errorf("the state holds %d snapshots, the last taken at %v; want 1, taken at the execution's start %v", c.snaps, c.takenAt, started)
	}
}
