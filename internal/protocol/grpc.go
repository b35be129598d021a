package protocol

import (
	"net/http"

	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// Native gRPC needs HTTP/2 end to end: the gRPC server's own ServeHTTP
// serves it (and answers anything else with a clear error itself), so it is
// recognised here but is not a wireFormat.

// isNative reports whether r is a native gRPC call.
func isNative(r *http.Request, ct string) bool {
	if r.Method == http.MethodGet {
		return false
	}
	_, ok := subtype(ct, "application/grpc")
	return ok
}

// failNative answers a native gRPC call trailers-only: the status in the
// response headers.
func failNative(w http.ResponseWriter, st *status.Status) {
	h := w.Header()
	h.Set("Content-Type", "application/grpc")
	wire.SetStatusHeader(h, st)
	w.WriteHeader(http.StatusOK)
}
