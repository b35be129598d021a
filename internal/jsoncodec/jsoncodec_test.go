package jsoncodec

import (
	"runtime/debug"
	"strings"
	"testing"

	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// TestUnmarshalDepthLimit pins the nesting limit of request messages in
// JSON (Connect's application/json, gRPC-Web's +json), which comes from
// protojson's RecursionLimit (10,000 levels, the message itself included)
// and not from this package: a codec that set another limit, or none,
// would let a client's deeply nested request exhaust the stack. Nesting
// reaches the limit through google.protobuf.Value and through an unknown
// field that DiscardUnknown skips.
func TestUnmarshalDepthLimit(t *testing.T) {
	// A few times the stack the limit needs; far less than millions of
	// levels would.
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	arrays := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tc := range []struct {
		name string
		msg  func() proto.Message
		json func(depth int) string
	}{
		{"Value", func() proto.Message { return new(structpb.Value) }, func(depth int) string { return arrays(depth) }},
		{"unknown field", func() proto.Message { return new(testpb.SimpleRequest) }, func(depth int) string { return `{"unknown":` + arrays(depth-1) + `}` }},
	} {
		for _, c := range []struct {
			depth int
			ok    bool
		}{{10000, true}, {10001, false}, {1_000_000, false}} {
			err := Codec{}.Unmarshal([]byte(tc.json(c.depth)), tc.msg())
			if (err == nil) != c.ok {
				t.Errorf("%s nested %d deep: error %v, want success %v", tc.name, c.depth, err, c.ok)
			}
		}
	}
}
