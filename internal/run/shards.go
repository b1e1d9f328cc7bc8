package run

// Sharded collection in `run`: n tasks each collect a slice of the accounts (collect.aws.shard
// "i/n") and upload it as Parquet to S3; then one `run --steps merge` stores the day's slices as
// one snapshot in the state file. The shards never touch the state file: n uploads racing on one
// object would fail all but one (the upload is conditional), so each shard writes its own prefix
// and only the merge, alone, updates the state.
//
// S3 layout, in store.s3_state's bucket:
//
//	<store.s3_shards_prefix><YYYY-MM-DD>/<i>-of-<n>/<export>   e.g. shards/2025-02-24/2-of-4/findings/...
//
// The day is the UTC date of the shard's snapshot, the day import-parquet files it under. The
// state machine gives every shard of one execution the same snapshot time, its start
// (collect.aws.shard_started_at), so shards that finish on both sides of midnight UTC still file
// under one day and merge into one snapshot. An export is complete once its snapshots/ folder is
// there: Tree.Upload puts it last.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/deliver"
	"github.com/hubreport/hubreport/internal/model"
)

// checkShardedSteps refuses the step combinations a sharded deployment cannot run.
func checkShardedSteps(cfg config.Config, steps Steps) error {
	if s := cfg.Collect.AWS.Shard; s != "" {
		if err := CheckShardMode(cfg, "collect.aws.shard"); err != nil {
			return err
		}
		if steps.Merge || steps.Report || steps.Deliver {
			return usagef("collect.aws.shard %q: a shard only collects (run --steps collect); `run --steps merge` stores the shards, then report and deliver run on the merged snapshot", s)
		}
		if cfg.Store.S3State.Bucket == "" {
			return usagef("collect.aws.shard %q needs store.s3_state: the shard's export is uploaded to its bucket, for `run --steps merge`", s)
		}
	}
	if steps.Merge && cfg.Store.S3State.Bucket == "" {
		return usagef("--steps merge needs store.s3_state: the shards' exports are in its bucket, and the merged snapshot goes into its state file")
	}
	return nil
}

func shardName(i, n int) string { return fmt.Sprintf("%d-of-%d", i, n) }

var shardDir = regexp.MustCompile(`^([1-9][0-9]*)-of-([1-9][0-9]*)$`)

// shardsTree is where the shards' exports are kept.
func shardsTree(ctx context.Context, cfg config.Config, aws *clients) (deliver.Tree, error) {
	s3c, err := aws.s3(ctx)
	if err != nil {
		return deliver.Tree{}, err
	}
	return deliver.Tree{S3: s3c, Bucket: cfg.Store.S3State.Bucket, Prefix: cfg.Store.S3ShardsPrefix,
		KMSKeyID: cfg.Deliver.Archive.S3.KMSKeyID}, nil
}

// workDir makes a private scratch folder beside the database (the task's ephemeral storage, which
// /var/lib/reporter is on ECS), removed by the returned function.
func workDir(db, pattern string) (string, func(), error) {
	parent := filepath.Dir(db)
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp(parent, pattern)
	if err != nil {
		return "", nil, err
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil // best effort: a temporary folder
}

// collectShard is a sharded run: the shard's accounts into a fresh database of its own, exported
// as Parquet and uploaded for the merge. A partial snapshot is uploaded too (its coverage says
// what is missing, as an unsharded run's would) and the run then exits 3.
func collectShard(ctx context.Context, o Options, aws *clients, res *Result) error {
	cfg, log := o.Config, o.log()
	i, n, err := config.ParseShard(cfg.Collect.AWS.Shard)
	if err != nil {
		return &config.ValidationError{Key: "collect.aws.shard", Msg: err.Error()}
	}
	root, err := shardsTree(ctx, cfg, aws)
	if err != nil {
		return err
	}
	work, cleanup, err := workDir(cfg.Store.Path, ".shard-"+shardName(i, n)+"-")
	if err != nil {
		return err
	}
	defer cleanup()
	db := filepath.Join(work, "shard.duckdb")
	snap, err := collectInto(ctx, o, db)
	if err != nil {
		return err
	}
	res.Snapshot, res.Partial = snap.ID, snap.Status == model.StatusPartial

	export := filepath.Join(work, "export")
	st, err := OpenForAnalysis(ctx, db, cfg)
	if err != nil {
		return err
	}
	err = st.ExportParquet(ctx, export, []int64{snap.ID})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	dest := root.Sub(snap.TakenAt.UTC().Format(time.DateOnly)).Sub(shardName(i, n))
	files, err := dest.Upload(ctx, export, "snapshots")
	if err != nil {
		return fmt.Errorf("shard %d/%d: %w", i, n, err)
	}
	log.Info("shard uploaded", "shard", shardName(i, n), "snapshot", snap.ID, "status", snap.Status,
		"findings", snap.Findings, "accounts", snap.AccountsCollected, "files", files, "location", dest.URL())
	return nil
}

// shardSet is the shards of one day that a merge stores: 1..n, each with a complete export.
type shardSet struct {
	day   deliver.Tree // <prefix><day>/
	date  string
	n     int
	names []string // "1-of-n" ... "n-of-n"
}

// findShards picks the newest day under the shards prefix and checks that every shard of it
// uploaded a complete export. The shard count is the one of the newest upload that day (exports
// of another count, from a run before ShardCount changed, are left out and logged). A missing
// shard is an error naming it: a snapshot without some accounts must not pass for a whole one
// (each shard's snapshot expects only its own accounts, so the merged one could not tell).
func findShards(ctx context.Context, o Options, aws *clients) (*shardSet, error) {
	cfg, log := o.Config, o.log()
	root, err := shardsTree(ctx, cfg, aws)
	if err != nil {
		return nil, err
	}
	dirs, err := root.Dirs(ctx)
	if err != nil {
		return nil, err
	}
	var days []string
	for _, d := range dirs {
		if _, err := time.Parse(time.DateOnly, d); err == nil {
			days = append(days, d)
		}
	}
	if len(days) == 0 {
		return nil, fmt.Errorf("merge: no shard export under %s (the collection shards upload there when they finish; see their logs)", root.URL())
	}
	slices.Sort(days)
	set := &shardSet{date: days[len(days)-1]}
	set.day = root.Sub(set.date)
	objs, err := set.day.List(ctx)
	if err != nil {
		return nil, err
	}
	complete := map[string]bool{}
	var newest time.Time
	for _, o := range objs {
		name, rest, _ := strings.Cut(strings.TrimPrefix(o.Key, set.day.Prefix), "/")
		m := shardDir.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		if strings.HasPrefix(rest, "snapshots/") {
			complete[name] = true
		}
		if !o.LastModified.Before(newest) {
			newest, set.n = o.LastModified, atoi(m[2])
		}
	}
	if set.n == 0 {
		return nil, fmt.Errorf("merge: %s holds no shard export (i-of-n/ folders)", set.day.URL())
	}
	var missing, ignored []string
	for i := 1; i <= set.n; i++ {
		name := shardName(i, set.n)
		set.names = append(set.names, name)
		if !complete[name] {
			missing = append(missing, name)
		}
	}
	for name := range complete {
		if !slices.Contains(set.names, name) {
			ignored = append(ignored, name)
		}
	}
	if len(ignored) > 0 {
		slices.Sort(ignored)
		log.Warn("shard exports of another shard count left out", "location", set.day.URL(), "shards", set.n, "ignored", strings.Join(ignored, ","))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("merge %s: %d of %d shards missing: %s (a shard uploads its export only when its collection succeeds; see the failed shards' logs). Nothing was merged; the state is unchanged",
			set.day.URL(), len(missing), set.n, strings.Join(missing, ", "))
	}
	return set, nil
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// merge downloads the shards' exports and stores them in db as one snapshot (import-parquet's
// merge of a day), then applies the retention, as a collection would.
func (s *shardSet) merge(ctx context.Context, o Options, db string) (model.Snapshot, error) {
	cfg, log := o.Config, o.log()
	work, cleanup, err := workDir(db, ".merge-")
	if err != nil {
		return model.Snapshot{}, err
	}
	defer cleanup()
	for _, name := range s.names {
		if _, err := s.day.Sub(name).Download(ctx, filepath.Join(work, name)); err != nil {
			return model.Snapshot{}, fmt.Errorf("merge: %w", err)
		}
	}
	st, err := OpenWritable(ctx, log, db, cfg.Store.MemoryLimit)
	if err != nil {
		return model.Snapshot{}, err
	}
	defer st.Close()
	start := time.Now()
	imported, skipped, err := st.ImportParquet(ctx, work)
	if err != nil {
		return model.Snapshot{}, fmt.Errorf("merge %s: %w", s.day.URL(), err)
	}
	if len(imported) == 0 {
		// Most likely every shard of the latest collection failed, leaving an older day newest.
		at := ""
		if len(skipped) > 0 {
			at = " (taken at " + skipped[0].UTC().Format(time.RFC3339) + ")"
		}
		return model.Snapshot{}, fmt.Errorf("merge %s: the state already holds this snapshot%s: nothing new to merge. If a collection ran after it, none of its shards uploaded; see their logs", s.day.URL(), at)
	}
	snap := imported[len(imported)-1]
	log.Info("shards merged", "location", s.day.URL(), "shards", s.n, "snapshot", snap.ID, "status", snap.Status,
		"findings", snap.Findings, "accounts", snap.AccountsCollected, "accounts_expected", snap.AccountsExpected,
		"duration_ms", time.Since(start).Milliseconds())
	ApplyRetention(ctx, log, st, cfg.Store.RetentionDays)
	return snap, st.Close()
}
