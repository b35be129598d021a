package wire_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// TestTrustLengthsUpTo checks that a frame announcing more than the
// trusted length is not allocated at once, while one within it is.
func TestTrustLengthsUpTo(t *testing.T) {
	t.Parallel()
	var asked []int
	alloc := func(n int) []byte { asked = append(asked, n); return make([]byte, n) }
	lying := append(wire.AppendHeader(nil, 0, 100<<20), "short"...)
	r := wire.NewReader(bytes.NewReader(lying), 200<<20).TrustLengthsUpTo(1 << 20).AllocWith(alloc)
	if _, _, err := r.Next(); !errors.Is(err, wire.ErrTruncated) {
		t.Fatalf("Next() on a lying 100 MiB prefix = %v, want ErrTruncated", err)
	}
	if len(asked) != 0 {
		t.Fatalf("a 100 MiB prefix over the trusted 1 MiB allocated %v at once", asked)
	}
	honest := wire.AppendFrame(nil, 0, make([]byte, 1000))
	r = wire.NewReader(bytes.NewReader(honest), 200<<20).TrustLengthsUpTo(1 << 20).AllocWith(alloc)
	if _, p, err := r.Next(); err != nil || len(p) != 1000 {
		t.Fatalf("Next() = %d bytes, %v", len(p), err)
	}
	if len(asked) != 1 || asked[0] != 1000 {
		t.Fatalf("a trusted 1000-byte frame allocated %v, want [1000]", asked)
	}
}
