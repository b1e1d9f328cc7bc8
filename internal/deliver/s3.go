package deliver

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3API is the S3 methods this package calls.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Presigner makes download links; *s3.PresignClient implements it.
type Presigner interface {
	PresignGetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

var (
	_ S3API     = (*s3.Client)(nil)
	_ Presigner = (*s3.PresignClient)(nil)
)

func isPreconditionFailed(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "PreconditionFailed"
}

func isNoSuchKey(err error) bool {
	var nsk *types.NoSuchKey
	var apiErr smithy.APIError
	return errors.As(err, &nsk) || (errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NoSuchKey" || apiErr.ErrorCode() == "NotFound"))
}

// ---------------------------------------------------------------------------------------------
// Archive

// Archive keeps every report of every run: in S3 and/or a folder, under YYYY/MM/DD/snapshot-ID/.
// Nothing is overwritten: an object or file that exists with other content is an error, and
// one with the same content (the same snapshot archived again) is left as it is.
type Archive struct {
	Dir string // "" for no folder

	S3       S3API // nil for no S3
	Presign  Presigner
	Bucket   string
	Prefix   string
	KMSKeyID string // SSE-KMS with this key when set
	// LinkValidity of presigned download links (default 7 days, SigV4's maximum).
	LinkValidity time.Duration
}

// Archived is one archived report.
type Archived struct {
	Name     string // file name, e.g. report.pdf
	Location string // the folder path or s3://bucket/key
	URL      string // presigned download link (S3 only)
}

// Store archives files (paths of written reports) of the snapshot taken at takenAt.
func (a Archive) Store(ctx context.Context, takenAt time.Time, snapshotID int64, files []string) ([]Archived, error) {
	rel := path.Join(takenAt.UTC().Format("2006/01/02"), fmt.Sprintf("snapshot-%d", snapshotID))
	var out []Archived
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return out, err
		}
		name := filepath.Base(f)
		if a.Dir != "" {
			p := filepath.Join(a.Dir, filepath.FromSlash(rel), name)
			if err := writeOnce(p, data); err != nil {
				return out, fmt.Errorf("archive %s: %w", p, err)
			}
			out = append(out, Archived{Name: name, Location: p})
		}
		if a.S3 != nil {
			key := strings.TrimPrefix(path.Join(a.Prefix, rel, name), "/")
			if err := a.put(ctx, key, name, data); err != nil {
				return out, fmt.Errorf("archive s3://%s/%s: %w", a.Bucket, key, err)
			}
			x := Archived{Name: name, Location: "s3://" + a.Bucket + "/" + key}
			if a.Presign != nil {
				validity := a.LinkValidity
				if validity <= 0 {
					validity = 7 * 24 * time.Hour
				}
				req, err := a.Presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(key)},
					s3.WithPresignExpires(validity))
				if err != nil {
					return out, fmt.Errorf("archive: link to s3://%s/%s: %w", a.Bucket, key, err)
				}
				x.URL = req.URL
			}
			out = append(out, x)
		}
	}
	return out, nil
}

func (a Archive) put(ctx context.Context, key, name string, data []byte) error {
	in := &s3.PutObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentType: aws.String(ContentType(name)), IfNoneMatch: aws.String("*")}
	if a.KMSKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(a.KMSKeyID)
	}
	_, err := a.S3.PutObject(ctx, in)
	if !isPreconditionFailed(err) {
		return err
	}
	// Already there: fine if it is the same report, refused otherwise.
	got, gerr := a.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(key)})
	if gerr != nil {
		return fmt.Errorf("exists, and cannot be read to compare: %w", gerr)
	}
	defer got.Body.Close()
	old, err := io.ReadAll(got.Body)
	if err != nil {
		return err
	}
	if !bytes.Equal(old, data) {
		return errors.New("an earlier, different report is archived there; not overwritten")
	}
	return nil
}

// writeOnce creates p with data; an existing file with the same content is left alone.
func writeOnce(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if errors.Is(err, os.ErrExist) {
		old, rerr := os.ReadFile(p)
		if rerr != nil {
			return rerr
		}
		if md5.Sum(old) != md5.Sum(data) {
			return errors.New("an earlier, different report is archived there; not overwritten")
		}
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(p)
		return err
	}
	return f.Close()
}

// ContentType is the media type of a report file, by its extension.
func ContentType(name string) string {
	switch filepath.Ext(name) {
	case ".pdf":
		return "application/pdf"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".json":
		return "application/json"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".zip":
		return "application/zip"
	}
	return "application/octet-stream"
}

// ---------------------------------------------------------------------------------------------
// State

// State keeps the database file in S3 for runs on ephemeral compute (ECS tasks): Download
// before a run, Upload after a successful one. The upload is conditional on the object still
// being the one downloaded (If-Match on its ETag; If-None-Match for the first upload), so two
// runs can never silently overwrite each other's history.
type State struct {
	S3       S3API
	Bucket   string
	Key      string
	KMSKeyID string
}

// ConflictError means the state object changed since this run downloaded it.
type ConflictError struct {
	Bucket, Key string
	Local       string // the run's database, kept so nothing is lost
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("s3://%s/%s changed since this run downloaded it (another run uploaded its history): not overwritten; this run's database is kept at %s",
		e.Bucket, e.Key, e.Local)
}

// MissingError means there is no state object: the first run, or a lost history. Download
// reports it, leaving path alone, and the caller decides which (`run --init-state`).
type MissingError struct{ Bucket, Key string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("state s3://%s/%s does not exist", e.Bucket, e.Key)
}

// Download writes the state object to path and returns its ETag; a *MissingError, and no file,
// when there is no object. An existing file at path is replaced only once the download is
// complete.
func (s State) Download(ctx context.Context, path string) (string, error) {
	out, err := s.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key)})
	if isNoSuchKey(err) {
		return "", &MissingError{Bucket: s.Bucket, Key: s.Key}
	}
	if err != nil {
		return "", fmt.Errorf("state s3://%s/%s: %w", s.Bucket, s.Key, err)
	}
	defer out.Body.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".download.*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, out.Body); err != nil {
		tmp.Close()
		return "", fmt.Errorf("state s3://%s/%s: %w", s.Bucket, s.Key, err)
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	os.Remove(path + ".wal") // a WAL left from another database would not belong to this one
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// Upload writes path to the state object if it is still the one downloaded with etag ("" when
// there was none) and returns the new ETag. A non-empty write-ahead log beside path means the
// file lacks the newest commits (a failed checkpoint): it is refused, the object left as it was.
func (s State) Upload(ctx context.Context, path, etag string) (string, error) {
	if fi, err := os.Stat(path + ".wal"); err == nil && fi.Size() > 0 {
		return "", fmt.Errorf("state s3://%s/%s not uploaded: %s.wal holds %d bytes that %s lacks (a checkpoint failed); the object is unchanged",
			s.Bucket, s.Key, path, fi.Size(), path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	in := &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key), Body: f,
		ContentType: aws.String("application/vnd.duckdb")}
	if etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(etag)
	}
	if s.KMSKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(s.KMSKeyID)
	}
	out, err := s.S3.PutObject(ctx, in)
	if isPreconditionFailed(err) || (etag != "" && isNoSuchKey(err)) {
		return "", &ConflictError{Bucket: s.Bucket, Key: s.Key, Local: path}
	}
	if err != nil {
		return "", fmt.Errorf("state s3://%s/%s: %w", s.Bucket, s.Key, err)
	}
	return aws.ToString(out.ETag), nil
}
