package client_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// cannedTransport answers every request with the same response.
type cannedTransport struct {
	status int
	header http.Header
	body   []byte
}

func (c *cannedTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: c.status, Header: c.header.Clone(), Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: -1}, nil
}

// FuzzResponse feeds arbitrary response bodies and headers to every
// protocol's decoder: a call must end in a status (or a message), never a
// panic.
func FuzzResponse(f *testing.F) {
	ok := wire.AppendFrame(nil, 0, nil)
	ok = wire.AppendFrame(ok, wire.FlagWebTrailer, []byte("grpc-status: 0\r\n"))
	f.Add(uint8(0), 200, "application/grpc-web+proto", "", ok)
	f.Add(uint8(1), 200, "application/grpc-web-text+proto", "", wire.AppendText(nil, ok))
	f.Add(uint8(2), 200, "application/proto", "gzip", []byte{0x1f, 0x8b})
	f.Add(uint8(2), 404, "application/json", "", []byte(`{"code":"not_found","details":[{"type":"x","value":"!!"}]}`))
	f.Add(uint8(3), 200, "application/connect+proto", "", wire.AppendFrame(nil, wire.FlagConnectEndStream, []byte(`{"error":{"code":"aborted"}}`)))
	f.Fuzz(func(t *testing.T, proto uint8, code int, ct, enc string, body []byte) {
		p := client.Protocol(proto % 3)
		h := http.Header{"Content-Type": {ct}}
		if enc != "" {
			h.Set("Grpc-Encoding", enc)
			h.Set("Content-Encoding", enc)
			h.Set("Connect-Content-Encoding", enc)
		}
		conn, err := client.New("http://fuzz", client.WithProtocol(p), client.WithTransport(&cannedTransport{status: code%600 + 100, header: h, body: body}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c := testpb.NewTestServiceClient(conn)
		_, err = c.UnaryCall(ctx, &testpb.SimpleRequest{})
		if err != nil {
			if _, isStatus := status.FromError(err); !isStatus {
				t.Fatalf("non-status error %v", err)
			}
		}
		if proto%4 == 3 {
			stream, err := c.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{})
			if err == nil {
				for range 100 {
					if _, err := stream.Recv(); err != nil {
						break
					}
				}
			}
		}
	})
}
