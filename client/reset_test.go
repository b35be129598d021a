package client_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/client"
)

// TestResetMidResponseHidesAddresses resets the connection in the middle
// of a streamed response: the call is UNAVAILABLE, and its message names
// no socket address (grpc.Peer has them), which a bridge would otherwise
// pass on to its callers.
func TestResetMidResponseHidesAddresses(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_ = buf.Flush()
		bw := bufio.NewWriter(conn)
		bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/grpc-web+proto\r\nTransfer-Encoding: chunked\r\n\r\n")
		bw.WriteString("5\r\n\x00\x00\x00\x10\x00\r\n") // a frame header announcing 4096 bytes
		bw.Flush()
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close with a reset
		}
		conn.Close()
	}))
	defer ts.Close()
	conn, _ := client.New(ts.URL)
	defer conn.Close()
	stream, err := testpb.NewTestServiceClient(conn).StreamingOutputCall(ctx(t), &testpb.StreamingOutputCallRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	st := status.Convert(err)
	if st.Code() != codes.Unavailable && st.Code() != codes.Internal {
		t.Fatalf("reset mid-response: %v, want Unavailable or Internal", st)
	}
	addr := strings.TrimPrefix(ts.URL, "http://")
	host, _, _ := net.SplitHostPort(addr)
	if strings.Contains(st.Message(), addr) || strings.Contains(st.Message(), host+":") {
		t.Fatalf("reset mid-response: message %q names a socket address", st.Message())
	}
}
