package deliver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3TreeAPI is the S3 methods Tree calls.
type S3TreeAPI interface {
	S3API
	s3.ListObjectsV2APIClient
}

var _ S3TreeAPI = (*s3.Client)(nil)

// Tree is a folder kept in S3 under a key prefix: how a collection shard's Parquet export goes
// from the shard's task to the task that merges the shards. Keys are the prefix followed by the
// file's path relative to the folder, with "/" separators.
type Tree struct {
	S3       S3TreeAPI
	Bucket   string
	Prefix   string // "" or ending in "/"
	KMSKeyID string // SSE-KMS with this key when set, as the archive and the state are written
}

// Object is an object listed under a Tree's prefix.
type Object struct {
	Key          string // the whole key
	Size         int64
	LastModified time.Time
}

// URL is the tree's s3:// location, for messages.
func (t Tree) URL() string { return "s3://" + t.Bucket + "/" + t.Prefix }

// Sub is the tree under name/ in this one.
func (t Tree) Sub(name string) Tree {
	t.Prefix += strings.TrimSuffix(name, "/") + "/"
	return t
}

// List returns every object under the prefix, in key order.
func (t Tree) List(ctx context.Context) ([]Object, error) {
	var out []Object
	err := t.list(ctx, "", func(page *s3.ListObjectsV2Output) {
		for _, o := range page.Contents {
			out = append(out, Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), LastModified: aws.ToTime(o.LastModified)})
		}
	})
	return out, err
}

// Dirs returns the names of the "folders" directly under the prefix (the common prefixes of a
// listing with delimiter "/", without the prefix and the trailing slash), in order.
func (t Tree) Dirs(ctx context.Context) ([]string, error) {
	var out []string
	err := t.list(ctx, "/", func(page *s3.ListObjectsV2Output) {
		for _, p := range page.CommonPrefixes {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), t.Prefix), "/"))
		}
	})
	return out, err
}

func (t Tree) list(ctx context.Context, delimiter string, fn func(*s3.ListObjectsV2Output)) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(t.Bucket), Prefix: aws.String(t.Prefix)}
	if delimiter != "" {
		in.Delimiter = aws.String(delimiter)
	}
	p := s3.NewListObjectsV2Paginator(t.S3, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", t.URL(), err)
		}
		fn(page)
	}
	return nil
}

// Upload puts every regular file under dir at prefix + its relative path, and returns how many.
// Files are put in path order, except that those under the folders named in last go after all
// others: a reader that takes the presence of one of those folders as "the upload is complete"
// (the merge does so with an export's snapshots/) never sees a half-uploaded tree. Existing
// objects of the same keys are replaced.
func (t Tree) Upload(ctx context.Context, dir string, last ...string) (int, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("upload %s: %w", dir, err)
	}
	isLast := func(rel string) bool {
		for _, l := range last {
			if strings.HasPrefix(rel, strings.TrimSuffix(l, "/")+"/") {
				return true
			}
		}
		return false
	}
	sort.SliceStable(files, func(i, j int) bool {
		if a, b := isLast(files[i]), isLast(files[j]); a != b {
			return b
		}
		return files[i] < files[j]
	})
	for i, rel := range files {
		if err := ctx.Err(); err != nil {
			return i, err
		}
		key := t.Prefix + rel
		if err := t.put(ctx, filepath.Join(dir, filepath.FromSlash(rel)), key); err != nil {
			return i, fmt.Errorf("upload s3://%s/%s: %w", t.Bucket, key, err)
		}
	}
	return len(files), nil
}

func (t Tree) put(ctx context.Context, file, key string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read-only: a close error cannot lose data
	in := &s3.PutObjectInput{Bucket: aws.String(t.Bucket), Key: aws.String(key), Body: f,
		ContentType: aws.String(ContentType(file))}
	if t.KMSKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(t.KMSKeyID)
	}
	_, err = t.S3.PutObject(ctx, in)
	return err
}

// Download writes every object under the prefix to dir + the rest of its key, and returns how
// many. Files are 0640 and folders 0750 at most (what is downloaded holds findings of the whole
// organization); a key that would land outside dir ("..", an absolute path) is an error, and so is
// a prefix with no object under it.
func (t Tree) Download(ctx context.Context, dir string) (int, error) {
	objs, err := t.List(ctx)
	if err != nil {
		return 0, err
	}
	if len(objs) == 0 {
		return 0, fmt.Errorf("download %s: no object under it", t.URL())
	}
	for i, o := range objs {
		rel := strings.TrimPrefix(o.Key, t.Prefix)
		if strings.HasSuffix(rel, "/") && o.Size == 0 {
			continue // a "folder" made by the S3 console
		}
		clean := path.Clean(rel)
		if rel == "" || path.IsAbs(rel) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(rel, `\`) {
			return i, fmt.Errorf("download s3://%s/%s: the key does not name a file under %s", t.Bucket, o.Key, t.URL())
		}
		if err := t.get(ctx, o.Key, filepath.Join(dir, filepath.FromSlash(clean))); err != nil {
			return i, fmt.Errorf("download s3://%s/%s: %w", t.Bucket, o.Key, err)
		}
	}
	return len(objs), nil
}

func (t Tree) get(ctx context.Context, key, file string) error {
	out, err := t.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(t.Bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	defer out.Body.Close()
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".download.*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after the rename
	if err := tmp.Chmod(0o640); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if _, err := io.Copy(tmp, out.Body); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
