package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/hubreport/hubreport/internal/deliver"
	"github.com/hubreport/hubreport/internal/store"
)

// runState is the database file kept in S3 (store.s3_state) for one run.
type runState struct {
	s3   *deliver.State
	etag string // of the downloaded object; "" when this run creates it (--init-state)
}

// fetchState downloads the state object to db. A missing object is an error naming it: a lost
// history must never be replaced by an empty one without being told (o.InitState, the first
// run). InitState over an existing object is refused too, so that a flag left in a schedule
// cannot start a new history later, when the object goes missing.
func fetchState(ctx context.Context, o Options, aws *clients, db string) (*runState, error) {
	cfg, log := o.Config, o.log()
	s3c, err := aws.s3(ctx)
	if err != nil {
		return nil, err
	}
	st := &runState{s3: &deliver.State{S3: s3c, Bucket: cfg.Store.S3State.Bucket, Key: cfg.Store.S3State.Key,
		KMSKeyID: cfg.Deliver.Archive.S3.KMSKeyID}}
	loc := fmt.Sprintf("s3://%s/%s", st.s3.Bucket, st.s3.Key)
	st.etag, err = st.s3.Download(ctx, db)
	var missing *deliver.MissingError
	switch {
	case errors.As(err, &missing) && o.InitState:
		if _, serr := os.Stat(db); serr == nil {
			return nil, usagef("--init-state starts an empty history, but a database exists at %s (store.path): if it is the lost state, upload it to %s and run without --init-state; otherwise move it away", db, loc)
		}
		log.Warn("no state object; starting a new, empty history (--init-state)", "bucket", st.s3.Bucket, "key", st.s3.Key)
		return st, nil
	case errors.As(err, &missing):
		hint := ""
		if _, serr := os.Stat(db); serr == nil {
			hint = fmt.Sprintf("; a local copy exists at %s (store.path), which you can upload to restore it", db)
		}
		return nil, fmt.Errorf("%w (store.s3_state): refusing to start a new, empty history in its place. On the very first run, run `reporter run --init-state`; otherwise restore the object (the bucket is versioned: aws s3api list-object-versions --bucket %s --prefix %s)%s",
			err, st.s3.Bucket, st.s3.Key, hint)
	case err != nil:
		return nil, err
	case o.InitState:
		return nil, usagef("--init-state: %s already exists (ETag %s); refusing to start a new history over it. Run without --init-state", loc, st.etag)
	}
	log.Info("state downloaded", "bucket", st.s3.Bucket, "key", st.s3.Key)
	return st, nil
}

// save uploads db once the snapshot is durable in the file itself: the store was closed with a
// checkpoint (collectInto, merge), no WAL is left, and the file opened read-only holds the
// snapshot. Any failure leaves the object as it was and names the step and the local file.
func (st *runState) save(ctx context.Context, log *slog.Logger, db string, snapshot int64) error {
	loc := fmt.Sprintf("s3://%s/%s", st.s3.Bucket, st.s3.Key)
	if err := store.VerifyFile(ctx, db, snapshot); err != nil {
		return fmt.Errorf("state not uploaded, %s is unchanged: %w", loc, err)
	}
	tag, err := st.s3.Upload(ctx, db, st.etag)
	if err != nil {
		return fmt.Errorf("upload %s (snapshot %d) to %s: %w", db, snapshot, loc, err)
	}
	st.etag = tag
	log.Info("state uploaded", "bucket", st.s3.Bucket, "key", st.s3.Key, "snapshot", snapshot, "etag", tag)
	return nil
}
