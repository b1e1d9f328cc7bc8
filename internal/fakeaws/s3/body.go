package s3

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Request bodies: aws-chunked framing, flexible checksums, Content-MD5.

var s3ChecksumAlgorithms = []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "SHA512"}

var (
	crc32cTable    = crc32.MakeTable(crc32.Castagnoli)
	crc64NVMETable = crc64.MakeTable(0x9a6c9329ac4bc9b5) // reflected NVMe polynomial, as the SDK
)

func s3Hash(alg string) hash.Hash {
	switch alg {
	case "CRC32":
		return crc32.NewIEEE()
	case "CRC32C":
		return crc32.New(crc32cTable)
	case "CRC64NVME":
		return crc64.New(crc64NVMETable)
	case "SHA1":
		return sha1.New()
	case "SHA256":
		return sha256.New()
	case "SHA512":
		return sha512.New()
	}
	return nil
}

// s3Checksum is the base64 checksum of data, as in x-amz-checksum-*.
func s3Checksum(alg string, data []byte) string {
	h := s3Hash(alg)
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func s3ChecksumHeader(alg string) string { return "X-Amz-Checksum-" + strings.ToLower(alg) }

// readS3Body reads a PutObject body, decoding aws-chunked framing. trailers holds the trailing
// headers of an aws-chunked body.
func readS3Body(r *http.Request) (data []byte, trailers http.Header, contentEncoding string, e *s3Error) {
	var encodings []string
	chunked := strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-")
	for _, v := range r.Header.Values("Content-Encoding") {
		for _, enc := range strings.Split(v, ",") {
			enc = strings.TrimSpace(enc)
			switch {
			case strings.EqualFold(enc, "aws-chunked"):
				chunked = true
			case enc != "":
				encodings = append(encodings, enc)
			}
		}
	}
	contentEncoding = strings.Join(encodings, ",")
	limit := int64(MaxObjectSize)
	if !chunked {
		data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			return nil, nil, "", s3Err(http.StatusBadRequest, "IncompleteBody", "The request body terminated unexpectedly")
		}
		if int64(len(data)) > limit {
			return nil, nil, "", s3Err(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		}
		return data, nil, contentEncoding, nil
	}
	if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, nil, "", s3Err(http.StatusBadRequest, "InvalidArgument", "x-amz-decoded-content-length is not a number")
		}
		if n > limit {
			return nil, nil, "", s3Err(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		}
	} else if r.Header.Get("X-Amz-Trailer") == "" {
		return nil, nil, "", s3Err(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
	}
	data, trailers, err := decodeAWSChunked(bufio.NewReader(r.Body), limit)
	if err != nil {
		var se *s3Error
		if errors.As(err, &se) {
			return nil, nil, "", se
		}
		return nil, nil, "", s3Err(http.StatusBadRequest, "IncompleteBody", "The request body terminated unexpectedly: %v", err)
	}
	if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
		if n, _ := strconv.ParseInt(v, 10, 64); n != int64(len(data)) {
			return nil, nil, "", s3Err(http.StatusBadRequest, "IncompleteBody",
				"You did not provide the number of bytes specified by the x-amz-decoded-content-length header (%d, got %d)", n, len(data))
		}
	}
	return data, trailers, contentEncoding, nil
}

// decodeAWSChunked decodes an aws-chunked body: chunks of "<hex size>[;chunk-signature=...]\r\n
// <data>\r\n", a last chunk of size 0, then trailer lines "name:value\r\n" and an empty line.
func decodeAWSChunked(br *bufio.Reader, limit int64) ([]byte, http.Header, error) {
	readLine := func() (string, error) {
		line, err := br.ReadString('\n')
		if err != nil {
			if err == io.EOF && line == "" {
				return "", io.EOF
			}
			if err == io.EOF {
				return strings.TrimSuffix(line, "\r"), nil
			}
			return "", err
		}
		return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
	}
	var data bytes.Buffer
	for {
		line, err := readLine()
		if err != nil {
			return nil, nil, fmt.Errorf("chunk header: %w", err)
		}
		sizeHex, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
		if err != nil || size < 0 {
			return nil, nil, s3Err(http.StatusBadRequest, "InvalidChunkSizeError", "Only the last chunk is allowed to have a size less than 8192 bytes; chunk size %q is not hexadecimal", sizeHex)
		}
		if size == 0 {
			break
		}
		if int64(data.Len())+size > limit {
			return nil, nil, s3Err(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		}
		if _, err := io.CopyN(&data, br, size); err != nil {
			return nil, nil, fmt.Errorf("chunk data: %w", err)
		}
		if end, err := readLine(); err != nil || end != "" {
			return nil, nil, s3Err(http.StatusBadRequest, "IncompleteBody", "chunk of %d bytes is not followed by CRLF", size)
		}
	}
	trailers := http.Header{}
	for {
		line, err := readLine()
		if err == io.EOF || (err == nil && line == "") {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("trailer: %w", err)
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, s3Err(http.StatusBadRequest, "MalformedTrailerError", "The request contained trailing data that was not well-formed: %q", line)
		}
		trailers.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return data.Bytes(), trailers, nil
}

// s3RequestChecksum finds the flexible checksum a PutObject sent, as a header or a trailer.
func s3RequestChecksum(r *http.Request, trailers http.Header) (alg, value string, e *s3Error) {
	found := 0
	for _, a := range s3ChecksumAlgorithms {
		h := s3ChecksumHeader(a)
		v := r.Header.Get(h)
		if tv := trailers.Get(h); tv != "" {
			v = tv
		}
		if v != "" {
			alg, value = a, v
			found++
		}
	}
	if found > 1 {
		return "", "", s3Err(http.StatusBadRequest, "InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	if t := r.Header.Get("X-Amz-Trailer"); t != "" && found == 0 {
		return "", "", s3Err(http.StatusBadRequest, "MalformedTrailerError", "The request contained trailing data that was not well-formed or did not conform to our published schema (missing trailer %s).", t)
	}
	if sdk := r.Header.Get("X-Amz-Sdk-Checksum-Algorithm"); sdk != "" {
		if !slices.Contains(s3ChecksumAlgorithms, strings.ToUpper(sdk)) {
			return "", "", s3Err(http.StatusBadRequest, "InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		if found == 0 {
			return "", "", s3Err(http.StatusBadRequest, "InvalidRequest",
				"x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		}
		if !strings.EqualFold(sdk, alg) {
			return "", "", s3Err(http.StatusBadRequest, "InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
	}
	return alg, value, nil
}
