package deliver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
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

// Store archives files (paths of written reports) of the snapshot taken at takenAt. A file the
// archive already holds with the same bytes counts as delivered, so delivering a snapshot again is
// a no-op; one it holds with other bytes is an *ArchiveConflictError and is left as it is.
func (a Archive) Store(ctx context.Context, takenAt time.Time, snapshotID int64, files []string) ([]Archived, error) {
	rel := path.Join(takenAt.UTC().Format("2006/01/02"), fmt.Sprintf("snapshot-%d", snapshotID))
	var out []Archived
	for _, f := range files {
		x, err := a.storeFile(ctx, rel, snapshotID, f)
		out = append(out, x...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// storeFile archives one file, streaming it: reports (the evidence package above all) can be
// larger than is comfortable to hold in memory.
func (a Archive) storeFile(ctx context.Context, rel string, snapshotID int64, file string) ([]Archived, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only: a close error cannot lose data
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	sum, err := hashReader(io.NewSectionReader(f, 0, fi.Size()))
	if err != nil {
		return nil, fmt.Errorf("archive: read %s: %w", file, err)
	}
	name := filepath.Base(file)
	var out []Archived
	if a.Dir != "" {
		p := filepath.Join(a.Dir, filepath.FromSlash(rel), name)
		if err := writeOnce(p, io.NewSectionReader(f, 0, fi.Size()), sum); err != nil {
			return out, conflictOr(err, p, name, snapshotID)
		}
		out = append(out, Archived{Name: name, Location: p})
	}
	if a.S3 != nil {
		key := strings.TrimPrefix(path.Join(a.Prefix, rel, name), "/")
		loc := "s3://" + a.Bucket + "/" + key
		if err := a.put(ctx, key, name, io.NewSectionReader(f, 0, fi.Size()), sum); err != nil {
			return out, conflictOr(err, loc, name, snapshotID)
		}
		x := Archived{Name: name, Location: loc}
		if a.Presign != nil {
			validity := a.LinkValidity
			if validity <= 0 {
				validity = 7 * 24 * time.Hour
			}
			req, err := a.Presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(key)},
				s3.WithPresignExpires(validity))
			if err != nil {
				return out, fmt.Errorf("archive: link to %s: %w", loc, err)
			}
			x.URL = req.URL
		}
		out = append(out, x)
	}
	return out, nil
}

// ArchiveConflictError is an archived report that differs from the one being delivered for the
// same snapshot. The archive keeps what was first delivered, so the new file is not written.
type ArchiveConflictError struct {
	Location       string // folder path or s3://bucket/key
	Name           string
	SnapshotID     int64
	ArchivedSHA256 string
	NewSHA256      string
}

func (e *ArchiveConflictError) Error() string {
	return fmt.Sprintf("archive %s: already holds a different %s for snapshot %d (archived SHA-256 %s, new SHA-256 %s): "+
		"not overwritten. The archive keeps the report first delivered; if this snapshot's reports changed on purpose "+
		"(another reporter version or configuration), move the archived copy aside or archive to another "+
		"deliver.archive.dir / deliver.archive.s3.prefix, then deliver again",
		e.Location, e.Name, e.SnapshotID, e.ArchivedSHA256, e.NewSHA256)
}

// errDiffers is what writeOnce and put return when the archived bytes differ; Store turns it
// into an *ArchiveConflictError with the location and snapshot.
type errDiffers struct{ archived, new string }

func (e *errDiffers) Error() string {
	return "archived copy differs: SHA-256 " + e.archived + ", new " + e.new
}

func conflictOr(err error, loc, name string, snapshotID int64) error {
	var d *errDiffers
	if errors.As(err, &d) {
		return &ArchiveConflictError{Location: loc, Name: name, SnapshotID: snapshotID, ArchivedSHA256: d.archived, NewSHA256: d.new}
	}
	return fmt.Errorf("archive %s: %w", loc, err)
}

func hashReader(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// put writes the object only if the key is free (If-None-Match: *, so two runs cannot both
// write it); when it is taken, the object's bytes are hashed and compared with sum.
func (a Archive) put(ctx context.Context, key, name string, body io.ReadSeeker, sum string) error {
	in := &s3.PutObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(key), Body: body,
		ContentType: aws.String(ContentType(name)), IfNoneMatch: aws.String("*")}
	if a.KMSKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(a.KMSKeyID)
	}
	_, err := a.S3.PutObject(ctx, in)
	if !isPreconditionFailed(err) {
		return err
	}
	// Already there. The ETag cannot stand in for a hash (it is no MD5 under SSE-KMS), so the
	// object is read back and hashed.
	got, gerr := a.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(key)})
	if gerr != nil {
		return fmt.Errorf("exists, and cannot be read to compare: %w", gerr)
	}
	defer got.Body.Close()
	old, err := hashReader(got.Body)
	if err != nil {
		return fmt.Errorf("exists, and cannot be read to compare: %w", err)
	}
	if old != sum {
		return &errDiffers{archived: old, new: sum}
	}
	return nil
}

// writeOnce creates p with src's bytes (whose SHA-256 is sum) so that no partial file is ever
// visible under p and an existing p is never replaced: the bytes go to a temporary name in the
// same folder, are fsynced, and are then hard-linked to p (link fails on an existing name, where
// rename would replace it); the folder is fsynced so the new name survives a crash. An existing
// p with the same bytes counts as written.
func writeOnce(p string, src io.Reader, sum string) error {
	dir := filepath.Dir(p)
	if err := mkdirAllSynced(dir); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // after the link this drops only the temporary name
	err = tmp.Chmod(0o640)
	if err == nil {
		_, err = io.Copy(tmp, src)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Link(tmp.Name(), p); errors.Is(err, os.ErrExist) {
		old, err := hashFile(p)
		if err != nil {
			return fmt.Errorf("exists, and cannot be read to compare: %w", err)
		}
		if old != sum {
			return &errDiffers{archived: old, new: sum}
		}
		return nil
	} else if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP) {
		return fmt.Errorf("%w: the archive folder's filesystem does not support hard links, which the archive needs so "+
			"that it never replaces a file; set deliver.archive.dir to a folder on a local or NFS filesystem", err)
	} else if err != nil {
		return err
	}
	if err := os.Remove(tmp.Name()); err != nil {
		return err
	}
	return syncDir(dir)
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }() // read-only: a close error cannot lose data
	return hashReader(f)
}

// mkdirAllSynced is os.MkdirAll that also fsyncs the parent of every folder it creates, so that
// a file linked into a new day's folder is reachable after a crash.
func mkdirAllSynced(dir string) error {
	var created []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	for _, d := range created {
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// syncDir makes a folder's entries (a new name) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
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
	// Local is where the run's database is kept so nothing is lost: a second name (hard link)
	// beside the database, which the next run's download cannot replace. When that name could
	// not be made, Local is the database itself and KeepErr says why.
	Local   string
	KeepErr error
}

func (e *ConflictError) Error() string {
	msg := fmt.Sprintf("s3://%s/%s changed since this run downloaded it (another run uploaded its history): not overwritten; ", e.Bucket, e.Key)
	if e.KeepErr != nil {
		return msg + fmt.Sprintf("this run's database is still at %s but could not be set aside (%v): copy it elsewhere before the next run replaces it", e.Local, e.KeepErr)
	}
	return msg + fmt.Sprintf("this run's database is kept at %s; import its snapshot into the current history if it is needed", e.Local)
}

// keepConflicting gives the database at path (and its WAL, if any) a second name that no later
// run writes to: the next Download renames a fresh copy over path, which would otherwise lose the
// history that could not be uploaded.
func keepConflicting(path string) (string, error) {
	kept := fmt.Sprintf("%s.conflict-%s", path, time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Link(path, kept); err != nil {
		return "", err
	}
	// Upload refuses a database with a WAL beside it, so the file alone is the whole database.
	return kept, nil
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
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after the rename
	if _, err := io.Copy(tmp, out.Body); err != nil {
		return "", fmt.Errorf("state s3://%s/%s: %w", s.Bucket, s.Key, errors.Join(err, tmp.Close()))
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	// A WAL left from another database would not belong to this one, and would be replayed onto it.
	if err := os.Remove(path + ".wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
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
	defer func() { _ = f.Close() }() // read-only: a close error cannot lose data
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
		ce := &ConflictError{Bucket: s.Bucket, Key: s.Key, Local: path}
		if kept, err := keepConflicting(path); err != nil {
			ce.KeepErr = err
		} else {
			ce.Local = kept
		}
		return "", ce
	}
	if err != nil {
		return "", fmt.Errorf("state s3://%s/%s: %w", s.Bucket, s.Key, err)
	}
	return aws.ToString(out.ETag), nil
}
