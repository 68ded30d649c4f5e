package salesforce

import (
	"errors"
	"fmt"
	"io"
)

// DefaultMaxResponseBytes bounds a Salesforce response that is read whole into
// memory (REST JSON: records, query pages, describes, userinfo; the SOAP
// convertLead answer). Salesforce's own answers stay far below it: a query
// page holds at most 2,000 records, a describe of the widest standard object
// is a few MB. Bulk results are streamed and are not bounded by it.
const DefaultMaxResponseBytes int64 = 64 << 20

// maxTokenResponse bounds a token endpoint's answer, a few hundred bytes in
// practice.
const maxTokenResponse int64 = 1 << 20

// ResponseTooLargeError says a response was larger than the limit the client
// reads into memory. Nothing past the limit was read.
type ResponseTooLargeError struct {
	// Method and Endpoint name the call, e.g. "GET" and
	// "/services/data/v62.0/query" (no query string) or the token URL's origin and path.
	Method, Endpoint string
	// Limit is the number of bytes allowed.
	Limit int64
	// Setting names where the limit is configured.
	Setting string
}

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("%s %s: the response from Salesforce is larger than the %s limit (%s), so it was not read; narrow the request (fewer fields or records, a smaller batch) or raise the limit",
		e.Method, e.Endpoint, formatBytes(e.Limit), e.Setting)
}

// errBodyTooLarge is readLimited's sentinel; callers turn it into a
// *ResponseTooLargeError naming their endpoint.
var errBodyTooLarge = errors.New("response body too large")

// readLimited reads all of r, or stops with errBodyTooLarge after limit+1
// bytes: memory stays bounded whatever the peer sends.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return nil, errBodyTooLarge
	}
	return b, nil
}

// readLimitedSize is readLimited for a body that says its size (a
// response's Content-Length; -1 when unknown): the buffer is made that size
// at once instead of growing from 512 bytes by copies, which for a page of
// 2000 records is a dozen copies of up to megabytes. The size is only a
// hint: a body longer or shorter than it reads the same as with readLimited.
func readLimitedSize(r io.Reader, limit, size int64) ([]byte, error) {
	if size <= 0 || size > limit {
		return readLimited(r, limit)
	}
	b := make([]byte, 0, size+1) // +1: room for the read that finds the end
	lr := io.LimitReader(r, limit+1)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
	if int64(len(b)) > limit {
		return nil, errBodyTooLarge
	}
	return b, nil
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// MaxTokenResponseBytes bounds what the login flows read from a token or
// device endpoint.
const MaxTokenResponseBytes = maxTokenResponse

// ReadBounded reads all of r, at most limit bytes; a longer body fails with a
// *ResponseTooLargeError naming method and endpoint (no query string) and
// setting, having read limit+1 bytes. For callers outside this package that
// read an OAuth endpoint's answer (device flow, the OAuth proxy).
func ReadBounded(r io.Reader, limit int64, method, endpoint, setting string) ([]byte, error) {
	b, err := readLimited(r, limit)
	if errors.Is(err, errBodyTooLarge) {
		return nil, &ResponseTooLargeError{Method: method, Endpoint: endpointOf(endpoint), Limit: limit, Setting: setting}
	}
	return b, err
}
