package lambdagrpc

import (
	"flag"
	"net/http"
)

func init() {
	flag.BoolVar(&forceServeHTTP, "servehttp", false, "send every call through grpc.Server.ServeHTTP instead of the direct path")
}

// UsesDirectPath reports whether h, from NewHandler, calls the server's
// handlers directly.
func UsesDirectPath(h http.Handler) bool { return h.(*handler).dispatch.Direct() }

// ForcedServeHTTP reports whether the tests run with -servehttp.
func ForcedServeHTTP() bool { return forceServeHTTP }
