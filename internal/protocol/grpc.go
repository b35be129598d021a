package protocol

import (
	"net/http"
	"time"

	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// grpcNative is native gRPC, which needs HTTP/2 end to end: the gRPC
// server's own ServeHTTP serves it (and answers anything else with a clear
// error itself). A Conn of this protocol only ever fails a call before it
// reaches the server.
type grpcNative struct{}

var native wireFormat = grpcNative{}

func (grpcNative) String() string { return "gRPC" }

func (grpcNative) match(r *http.Request, ct string) (string, bool) {
	if r.Method == http.MethodGet {
		return "", false
	}
	return subtype(ct, "application/grpc")
}

func (grpcNative) allowsGET() bool { return false }

func (grpcNative) timeout(r *http.Request) (time.Duration, *status.Status) { return grpcTimeout(r) }

func (grpcNative) encodings(r *http.Request) (enc, accept string) {
	return r.Header.Get("Grpc-Encoding"), r.Header.Get("Grpc-Accept-Encoding")
}

func (grpcNative) openBody(*Conn) *status.Status { return nil }

func (grpcNative) commit(*Conn) {}

func (grpcNative) send(*Conn, []byte, [][]byte) error { return ErrResponseTooLarge }

func (grpcNative) flush(*Conn) {}

// end answers trailers-only: the status in the response headers.
func (grpcNative) end(c *Conn, st *status.Status) {
	h := c.w.Header()
	h.Set("Content-Type", "application/grpc")
	wire.SetStatusHeader(h, st)
	c.w.WriteHeader(http.StatusOK)
}
