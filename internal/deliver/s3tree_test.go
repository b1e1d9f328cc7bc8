package deliver

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hubreport/hubreport/internal/fakeaws"
)

// TestTreeRoundTrip uploads a folder, lists it (over several pages of the emulator's
// ListObjectsV2) and downloads it elsewhere: the same files, private modes, SSE-KMS as asked.
func TestTreeRoundTrip(t *testing.T) {
	srv, s3c, _ := clients(t, fakeaws.Options{Unlimited: true, S3Buckets: []string{"st"}})
	ctx := context.Background()
	src := t.TempDir()
	want := map[string]string{}
	for i := range 1100 { // more than one listing page of 1000
		rel := fmt.Sprintf("findings/snapshot_date=2025-02-24/account_id=%012d/f.parquet", i)
		want[rel] = "findings " + rel
	}
	want["snapshots/snapshot_date=2025-02-24/s.parquet"] = "snapshot row"
	want["accounts/snapshot_date=2025-02-24/a.parquet"] = "accounts"
	for rel, body := range want {
		p := filepath.Join(src, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o750)
		if err := os.WriteFile(p, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	rec := &putRecorder{S3TreeAPI: s3c}
	root := Tree{S3: rec, Bucket: "st", Prefix: "shards/", KMSKeyID: "alias/state"}
	shard := root.Sub("2025-02-24").Sub("1-of-2")
	if shard.URL() != "s3://st/shards/2025-02-24/1-of-2/" {
		t.Errorf("URL %s", shard.URL())
	}
	n, err := shard.Upload(ctx, src, "snapshots")
	if err != nil || n != len(want) {
		t.Fatalf("upload: %d files, %v", n, err)
	}
	// The snapshots/ folder, which marks a complete export, is put last.
	keys := srv.ObjectKeys("st")
	if len(keys) != len(want) {
		t.Fatalf("%d objects stored, want %d", len(keys), len(want))
	}
	const marker = "shards/2025-02-24/1-of-2/snapshots/snapshot_date=2025-02-24/s.parquet"
	if len(rec.keys) != len(want) || rec.keys[len(rec.keys)-1] != marker {
		t.Errorf("%d puts, the last %q; want %d, the last %s", len(rec.keys), rec.keys[len(rec.keys)-1], len(want), marker)
	}
	obj, _ := srv.Object("st", marker)
	if obj.SSE != "aws:kms" || obj.KMSKeyID != "alias/state" {
		t.Errorf("stored with SSE %q key %q", obj.SSE, obj.KMSKeyID)
	}

	dirs, err := root.Dirs(ctx)
	if err != nil || !slices.Equal(dirs, []string{"2025-02-24"}) {
		t.Errorf("Dirs %v, %v", dirs, err)
	}
	if dirs, err = root.Sub("2025-02-24").Dirs(ctx); err != nil || !slices.Equal(dirs, []string{"1-of-2"}) {
		t.Errorf("Dirs of the day %v, %v", dirs, err)
	}
	objs, err := shard.List(ctx)
	if err != nil || len(objs) != len(want) || objs[0].Size == 0 || objs[0].LastModified.IsZero() ||
		!strings.HasPrefix(objs[0].Key, "shards/2025-02-24/1-of-2/") {
		t.Fatalf("List: %d objects, first %+v, %v", len(objs), objs[0], err)
	}

	dst := filepath.Join(t.TempDir(), "shard")
	if n, err := shard.Download(ctx, dst); err != nil || n != len(want) {
		t.Fatalf("download: %d, %v", n, err)
	}
	got := 0
	filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		if d.IsDir() {
			if fi.Mode().Perm()&^0o750 != 0 {
				t.Errorf("%s: mode %v, want 0750 or tighter", p, fi.Mode().Perm())
			}
			return nil
		}
		got++
		rel, _ := filepath.Rel(dst, p)
		b, _ := os.ReadFile(p)
		if want[filepath.ToSlash(rel)] != string(b) {
			t.Errorf("%s holds %q", rel, b)
		}
		if fi.Mode().Perm()&^0o640 != 0 {
			t.Errorf("%s: mode %v, want 0640 or tighter", p, fi.Mode().Perm())
		}
		return nil
	})
	if got != len(want) {
		t.Errorf("%d files downloaded, want %d", got, len(want))
	}

	// Nothing there, or a key that climbs out of the folder: errors naming the place.
	if _, err := root.Sub("2025-02-25").Download(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), "s3://st/shards/2025-02-25/") {
		t.Errorf("empty prefix: %v", err)
	}
	srv.PutObjectDirect("st", "evil/../../x", []byte("x"))
	if _, err := (Tree{S3: s3c, Bucket: "st", Prefix: "evil/"}).Download(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), "does not name a file") {
		t.Errorf("escaping key: %v", err)
	}
}

// putRecorder notes the keys put through the real client, in order.
type putRecorder struct {
	S3TreeAPI
	keys []string
}

func (r *putRecorder) PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	r.keys = append(r.keys, aws.ToString(in.Key))
	return r.S3TreeAPI.PutObject(ctx, in, optFns...)
}
