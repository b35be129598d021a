package client_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/client"
)

// TestNewReportsBadOptions checks that options which would silently
// replace one another, or carry values that can only fail later, are
// reported by New with an error that names them.
func TestNewReportsBadOptions(t *testing.T) {
	t.Parallel()
	rt := http.DefaultTransport
	var nilUnary grpc.UnaryClientInterceptor
	var nilStream grpc.StreamClientInterceptor
	cases := []struct {
		name string
		opts []client.Option
		want []string // every one must appear in the error
	}{
		{"HTTP client then transport", []client.Option{client.WithHTTPClient(&http.Client{}), client.WithTransport(rt)}, []string{"WithHTTPClient", "WithTransport"}},
		{"transport then HTTP client", []client.Option{client.WithTransport(rt), client.WithHTTPClient(&http.Client{})}, []string{"WithHTTPClient", "WithTransport"}},
		{"two transports", []client.Option{client.WithTransport(rt), client.WithTransport(rt)}, []string{"WithTransport", "twice"}},
		{"two HTTP clients", []client.Option{client.WithHTTPClient(&http.Client{}), client.WithHTTPClient(&http.Client{})}, []string{"WithHTTPClient", "twice"}},
		{"nil HTTP client", []client.Option{client.WithHTTPClient(nil)}, []string{"WithHTTPClient", "nil"}},
		{"nil transport", []client.Option{client.WithTransport(nil)}, []string{"WithTransport", "nil"}},
		{"negative receive limit", []client.Option{client.WithMaxRecvMsgSize(-1)}, []string{"WithMaxRecvMsgSize(-1)"}},
		{"zero receive limit", []client.Option{client.WithMaxRecvMsgSize(0)}, []string{"WithMaxRecvMsgSize(0)"}},
		{"unknown compressor", []client.Option{client.WithCompression("brotli")}, []string{`WithCompression("brotli")`}},
		{"GET without Connect", []client.Option{client.WithConnectGET()}, []string{"WithConnectGET", "WithProtocol(client.Connect)"}},
		{"GET with gRPC-Web", []client.Option{client.WithConnectGET(), client.WithProtocol(client.GRPCWeb)}, []string{"WithConnectGET"}},
		{"nil unary interceptor", []client.Option{client.WithUnaryInterceptor(nilUnary)}, []string{"WithUnaryInterceptor", "nil"}},
		{"nil stream interceptor", []client.Option{client.WithStreamInterceptor(nilStream)}, []string{"WithStreamInterceptor", "nil"}},
		{"unknown protocol", []client.Option{client.WithProtocol(client.Protocol(7))}, []string{"WithProtocol"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn, err := client.New("http://example.invalid", tc.opts...)
			if err == nil {
				conn.Close()
				t.Fatalf("New(%s) = nil error, want one naming %q", tc.name, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New(%s) = %q, want it to contain %q", tc.name, err, w)
				}
			}
		})
	}
}

// TestNewAcceptsGoodOptions checks the combinations that are meant to work.
func TestNewAcceptsGoodOptions(t *testing.T) {
	t.Parallel()
	unary := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	for _, opts := range [][]client.Option{
		{client.WithHTTPClient(&http.Client{})},
		{client.WithTransport(http.DefaultTransport)},
		{client.WithConnectGET(), client.WithProtocol(client.Connect)},
		{client.WithProtocol(client.Connect), client.WithConnectGET()},
		{client.WithCompression("gzip"), client.WithCompression("identity"), client.WithCompression("")},
		{client.WithMaxRecvMsgSize(1), client.WithUnaryInterceptor(unary, unary)},
		{nil},
	} {
		conn, err := client.New("http://example.invalid", opts...)
		if err != nil {
			t.Errorf("New = %v, want no error", err)
			continue
		}
		conn.Close()
	}
}

// TestMessageTooLargeError checks that a response over the receive limit
// is a RESOURCE_EXHAUSTED status that errors.As tells apart from the same
// code sent by a server, on every protocol.
func TestMessageTooLargeError(t *testing.T) {
	t.Parallel()
	for _, s := range setups[:4] {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, s)
			_, err := c.UnaryCall(ctx(t), &testpb.SimpleRequest{ResponseSize: 2000}, grpc.MaxCallRecvMsgSize(1000))
			var tl *client.MessageTooLargeError
			if !errors.As(err, &tl) || tl.Limit != 1000 || tl.Size <= 1000 {
				t.Fatalf("UnaryCall over the limit = %v (%#v), want a *client.MessageTooLargeError of limit 1000", err, tl)
			}
			if st := status.Convert(err); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "larger than max") {
				t.Fatalf("its status = %v", st)
			}
			_, err = c.UnaryCall(ctx(t), &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.ResourceExhausted), Message: "the server's"}})
			if errors.As(err, &tl) {
				t.Fatalf("the server's own RESOURCE_EXHAUSTED is a *client.MessageTooLargeError: %v", err)
			}
		})
	}
}
