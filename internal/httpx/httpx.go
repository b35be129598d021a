// Package httpx is what event sources and protocols agree on about HTTP
// requests and responses beyond net/http: a request body already in memory,
// a body that could not be decoded, and a response writer with a size limit.
// Event sources implement these; protocols and dispatchers test for them, so
// neither side names the other's types.
package httpx

import "io"

// MemoryBody is a request body held in memory whose bytes are never reused:
// a reader may decode messages in place from Bytes instead of copying them.
type MemoryBody struct{ b []byte }

// NewMemoryBody returns a body that reads b.
func NewMemoryBody(b []byte) *MemoryBody { return &MemoryBody{b: b} }

// Bytes returns the bytes not read yet.
func (m *MemoryBody) Bytes() []byte { return m.b }

// Read implements io.Reader.
func (m *MemoryBody) Read(p []byte) (int, error) {
	if len(m.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, m.b)
	m.b = m.b[n:]
	return n, nil
}

// Close implements io.Closer; it does nothing.
func (m *MemoryBody) Close() error { return nil }

// ErrorBody is the body of a request whose body could not be decoded (an
// event body that is not valid base64): reading it reports why, and a
// protocol answers the call INVALID_ARGUMENT with Err before it starts.
type ErrorBody struct{ err error }

// NewErrorBody returns a body that fails with err.
func NewErrorBody(err error) *ErrorBody { return &ErrorBody{err: err} }

// Err returns why the body could not be decoded.
func (b *ErrorBody) Err() error { return b.err }

// Read implements io.Reader: it returns Err.
func (b *ErrorBody) Read([]byte) (int, error) { return 0, b.err }

// Close implements io.Closer; it does nothing.
func (b *ErrorBody) Close() error { return nil }

// LimitedWriter is implemented by response writers that can carry only so
// much: Lambda's buffered and streamed responses.
type LimitedWriter interface {
	// Fits reports whether p can still be written with TrailerReserve
	// bytes left for the status that ends the response.
	Fits(p []byte) bool
	// LimitError describes the limit, for a RESOURCE_EXHAUSTED status.
	LimitError() string
	// Discard drops the body written so far if none of it has left the
	// process yet.
	Discard()
}

// TrailerReserve is kept free under a response limit for the status that
// ends the response.
const TrailerReserve = 8 << 10
