package wire

import (
	"bytes"
	"net/http"
	"runtime/debug"
	"testing"

	"google.golang.org/grpc/codes"
)

// TestStatusDetailsDepthLimit pins the nesting limit on
// grpc-status-details-bin, a protobuf message from the other side of the
// call, which comes from google.golang.org/protobuf's RecursionLimit
// (10,000 levels) and not from this package: nested groups in an unknown
// field are skipped recursively, so without that limit millions of them
// would exhaust the stack.
func TestStatusDetailsDepthLimit(t *testing.T) {
	// A few times the stack the limit needs; far less than millions of
	// levels would.
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	const startGroup, endGroup = 15<<3 | 3, 15<<3 | 4 // field 15, unknown to google.rpc.Status
	for _, tc := range []struct {
		depth int
		ok    bool
	}{{100, true}, {1_000_000, false}} {
		details := append(bytes.Repeat([]byte{startGroup}, tc.depth), bytes.Repeat([]byte{endGroup}, tc.depth)...)
		h := http.Header{"Grpc-Status": {"5"}, "Grpc-Status-Details-Bin": {EncodeBinary(details)}}
		st, ok, err := StatusFromHeader(h)
		if !ok || (err == nil) != tc.ok {
			t.Fatalf("groups nested %d deep: StatusFromHeader = %v, %v, %v; want success %v", tc.depth, st, ok, err, tc.ok)
		}
		if want := map[bool]codes.Code{true: codes.NotFound, false: codes.Internal}[tc.ok]; st.Code() != want {
			t.Fatalf("groups nested %d deep: status %v, want %v", tc.depth, st, want)
		}
	}
}
