package client

import (
	"errors"
	"io"
	"reflect"
	"slices"
	"sync"
)

// Large request bodies and response frames are recycled, so that a call
// with a 256 KiB message does not leave half a megabyte of garbage behind.
// Buffers come in size classes from 4 KiB (below that, recycling costs more
// than it saves) to 16 MiB, four per doubling, so that a buffer is at most
// a quarter larger than what it holds: a 256 KiB message plus its framing
// takes a 320 KiB buffer, not a 512 KiB one.
const (
	minPooled    = 4 << 10
	maxPooledCap = 16 << 20
)

// classSizes lists the size classes in increasing order.
var classSizes = func() []int {
	var sizes []int
	for shift := 10; ; shift++ {
		for q := 4; q < 8; q++ {
			size := q << shift
			if size > maxPooledCap {
				return sizes
			}
			sizes = append(sizes, size)
		}
	}
}()

var pools = make([]sync.Pool, len(classSizes)) // *[]byte of cap classSizes[i]

// class returns the smallest class that holds n bytes, or -1.
func class(n int) int {
	if n < minPooled || n > maxPooledCap {
		return -1
	}
	i, _ := slices.BinarySearch(classSizes, n)
	return i
}

// getBuf returns a buffer of length n, recycled if one is free.
func getBuf(n int) []byte {
	i := class(n)
	if i < 0 {
		return make([]byte, n)
	}
	if p, ok := pools[i].Get().(*[]byte); ok {
		return (*p)[:n]
	}
	return make([]byte, n, classSizes[i])
}

// putBuf recycles b, which nothing may use afterwards.
func putBuf(b []byte) {
	if i := class(cap(b)); i >= 0 && cap(b) == classSizes[i] {
		b = b[:0]
		pools[i].Put(&b)
	}
}

// copiesOnUnmarshal reports whether c's Unmarshal copies what it keeps
// from its input, so the input can be recycled: grpc-go's own proto codec
// does (protobuf copies bytes fields); a codec registered by the program
// may keep slices of it.
func copiesOnUnmarshal(c codec) bool {
	v2, ok := c.(codecV2)
	if !ok {
		return false
	}
	t := reflect.TypeOf(v2.c)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() == "google.golang.org/grpc/encoding/proto"
}

// sharedBody is a request body whose bytes go back to the pool when the
// call and every reader the HTTP transport opened on them (a retry opens
// another) are done with them.
type sharedBody struct {
	mu   sync.Mutex
	b    []byte
	refs int // the call's, and one per open reader
}

func newSharedBody(b []byte) *sharedBody { return &sharedBody{b: b, refs: 1} }

// open returns a reader of the body, for Request.Body and GetBody. Once
// the bytes are recycled (the call is over) its reads fail rather than
// return an empty body.
func (sb *sharedBody) open() io.ReadCloser {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.refs == 0 {
		return &bodyReader{sb: sb, closed: true, err: errBodyRecycled}
	}
	sb.refs++
	return &bodyReader{sb: sb}
}

// release drops a reference, recycling the bytes with the last one.
func (sb *sharedBody) release() {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.releaseLocked()
}

func (sb *sharedBody) releaseLocked() {
	if sb.refs--; sb.refs == 0 && sb.b != nil {
		putBuf(sb.b)
		sb.b = nil
	}
}

var (
	errReadAfterClose = errors.New("client: read of a closed request body")
	errBodyRecycled   = errors.New("client: the request body was reopened after its call ended")
)

// bodyReader reads a sharedBody. The transport may close it from one
// goroutine while reading it from another.
type bodyReader struct {
	sb     *sharedBody
	off    int
	closed bool
	err    error // what reads of a closed reader return; nil: errReadAfterClose
}

// Read reads the body; it fails once the reader is closed.
func (r *bodyReader) Read(p []byte) (int, error) {
	r.sb.mu.Lock()
	defer r.sb.mu.Unlock()
	if r.closed {
		if r.err != nil {
			return 0, r.err
		}
		return 0, errReadAfterClose
	}
	if r.off >= len(r.sb.b) {
		return 0, io.EOF
	}
	n := copy(p, r.sb.b[r.off:])
	r.off += n
	return n, nil
}

// Close releases the reader's hold on the body's bytes.
func (r *bodyReader) Close() error {
	r.sb.mu.Lock()
	defer r.sb.mu.Unlock()
	if !r.closed && r.err == nil {
		r.closed = true
		r.sb.releaseLocked()
	}
	return nil
}
