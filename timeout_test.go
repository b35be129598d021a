package lambdagrpc_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// TestLongestGRPCTimeout is the regression test for the largest legal
// grpc-timeout, eight nines of hours: it parses to the longest Duration,
// and the ServeHTTP path, which passes the deadline on to grpc-go as a
// grpc-timeout of its own, formatted it as a negative number that grpc-go
// answered INVALID_ARGUMENT. Both dispatch paths must answer OK.
func TestLongestGRPCTimeout(t *testing.T) {
	t.Parallel()
	req := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{}))
	for _, tc := range []struct {
		name string
		opts []lambdagrpc.Option
	}{
		{"default", nil},
		{"ServeHTTP", []lambdagrpc.Option{lambdagrpc.WithServeHTTP()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := startHandler(t, newTestServer(t), tc.opts...)
			for _, timeout := range []string{"99999999H", "2562048H", "2562047H", "99999999M"} {
				_, body := do(t, "POST", url+unaryPath, "application/grpc-web+proto", req, map[string]string{"grpc-timeout": timeout})
				if r := parseWeb(t, body); r.status.Code() != codes.OK {
					t.Errorf("grpc-timeout %s: status %v, want OK", timeout, r.status)
				}
			}
		})
	}
}
