package lambdagrpc_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/syncbuf"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

// logRecords returns the JSON log records written to buf.
func logRecords(t *testing.T, buf *syncbuf.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

// TestFallbackWarnsOnce: a server the direct path cannot serve is served
// through ServeHTTP, and the handler says so once, at Warn, with the
// reason and the cost; a server it can serve gets no warning, and
// WithServeHTTP is obeyed without one.
func TestFallbackWarnsOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		sopts  []grpc.ServerOption
		opts   []lambdagrpc.Option
		direct bool
		reason string // in the one Warn record; "" for none
	}{
		{"direct", nil, nil, true, ""},
		{"deprecated compressor", []grpc.ServerOption{grpc.RPCCompressor(grpc.NewGZIPCompressor())}, nil, false, "the server sets cp"}, //nolint:staticcheck // the deprecated option is the point
		{"WithServeHTTP", nil, []lambdagrpc.Option{lambdagrpc.WithServeHTTP()}, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf syncbuf.Buffer
			s := newTestServer(t, tc.sopts...)
			opts := append([]lambdagrpc.Option{lambdagrpc.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil)))}, tc.opts...)
			h := lambdagrpc.NewHandler(s, opts...)
			if lambdagrpc.ForcedServeHTTP() {
				// Every call goes through ServeHTTP, as configured: no
				// fallback to warn of.
				tc.direct, tc.reason = false, ""
			}
			if got := lambdagrpc.UsesDirectPath(h); got != tc.direct {
				t.Fatalf("direct path %v, want %v", got, tc.direct)
			}
			var warns []map[string]any
			for _, rec := range logRecords(t, &buf) {
				if rec["level"] == "WARN" {
					warns = append(warns, rec)
				}
			}
			if tc.reason == "" {
				if len(warns) != 0 {
					t.Fatalf("warnings %v, want none", warns)
				}
				return
			}
			if len(warns) != 1 {
				t.Fatalf("warnings %v, want one", warns)
			}
			if r, _ := warns[0]["reason"].(string); !strings.Contains(r, tc.reason) {
				t.Errorf("reason %q, want %q", r, tc.reason)
			}
			if c, _ := warns[0]["cost"].(string); !strings.Contains(c, "goroutines") {
				t.Errorf("cost %q does not say what the fallback costs", c)
			}
		})
	}
}

// TestRecoverPanicsOnGRPCTransport: the exported options recover a panic on
// grpc-go's own transport, where lambdagrpc adds nothing: the client gets
// INTERNAL, the log gets the panic, and the server keeps serving.
func TestRecoverPanicsOnGRPCTransport(t *testing.T) {
	t.Parallel()
	var buf syncbuf.Buffer
	s := newTestServer(t, lambdagrpc.RecoverPanics(slog.New(slog.NewJSONHandler(&buf, nil)))...)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := testpb.NewTestServiceClient(conn)
	ctx := metadata.AppendToOutgoingContext(t.Context(), testsvc.Panic, "1")
	if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{}); status.Code(err) != codes.Internal {
		t.Fatalf("unary panic: %v, want INTERNAL", err)
	}
	stream, err := client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.Internal {
		t.Fatalf("stream panic: %v, want INTERNAL", err)
	}
	if _, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{}); err != nil {
		t.Fatalf("after the panics: %v", err)
	}
	if n := strings.Count(buf.String(), "handler panicked"); n != 2 {
		t.Fatalf("%d panics logged, want 2:\n%s", n, buf.String())
	}
}

// TestDispatchPath says which path a plain server's calls take with the
// grpc-go the tests are built with, and why if it is not the direct one;
// `make grpc-drift` prints it for grpc-go's latest release.
func TestDispatchPath(t *testing.T) {
	var buf syncbuf.Buffer
	h := lambdagrpc.NewHandler(newTestServer(t), lambdagrpc.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	if lambdagrpc.UsesDirectPath(h) {
		t.Log("dispatch path: direct")
		return
	}
	reason := "?"
	for _, rec := range logRecords(t, &buf) {
		if r, ok := rec["reason"].(string); ok {
			reason = r
		}
	}
	t.Logf("dispatch path: ServeHTTP (%s)", reason)
	if !lambdagrpc.ForcedServeHTTP() {
		t.Errorf("a plain server is served through ServeHTTP: %s", reason)
	}
}
