// Package dispatch runs a call, read from a protocol.Conn, on the user's
// *grpc.Server. There are two ways to do it, each in a file of its own:
// through the server's ServeHTTP (servehttp.go), which every grpc-go
// release supports, and direct (direct.go), which calls the server's
// registered handler with its own interceptors, stats handlers, codec and
// limits on one goroutine, at a third of the cost. The direct path reads
// unexported fields of the server; it engages only when every field of
// grpc.Server and of its options is one the tests validated (allowlist.go).
package dispatch

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/protocol"
)

// Dispatcher runs calls on a *grpc.Server.
type Dispatcher interface {
	// Serve runs c on the server and ends it with the server's status.
	// ctx is the call's and ends when the call must be cut off; deadline,
	// if set, is the handler's, and now is when the call started.
	Serve(ctx context.Context, c *protocol.Conn, deadline, now time.Time)
	// Direct reports whether calls bypass the server's ServeHTTP.
	Direct() bool
}

// fallbackCost is what a user learns the ServeHTTP path costs.
const fallbackCost = "each call then runs on three goroutines instead of one, about 3x the time of a small call (see docs/benchmarks.md)"

// Config configures New.
type Config struct {
	// Log gets the dispatcher's warnings and the panics it recovers.
	Log *slog.Logger
	// ForceServeHTTP sends every call through ServeHTTP.
	ForceServeHTTP bool
	// RequestID returns the request ID logged with a panic; nil for none.
	RequestID func(context.Context) (string, bool)
}

// New returns the dispatcher for s: direct when it can serve s exactly as
// grpc-go would and cfg.ForceServeHTTP is false, else through ServeHTTP. It
// also makes sure a handler's panic becomes an INTERNAL status on whichever
// path serves the call, and logs at Warn why the direct path could not be
// used and, if it is so, that panics cannot be recovered.
func New(s *grpc.Server, cfg Config) Dispatcher {
	log := cfg.Log
	shape := checkShape(s)
	if shape == "" {
		installRecovery(s, cfg)
	} else {
		log.Warn("lambdagrpc: a panic in a handler will end the process: this grpc-go's server has a shape lambdagrpc was not tested with, so it cannot add its panic recovery; "+
			"build the server with grpc.NewServer(lambdagrpc.RecoverPanics(logger)...) to recover them", "reason", shape)
	}
	if cfg.ForceServeHTTP {
		log.Info("lambdagrpc: calls go through grpc.Server.ServeHTTP, as configured (WithServeHTTP)")
		return &viaServeHTTP{srv: s, log: log}
	}
	why := shape
	var d *direct
	if why == "" {
		d, why = newDirect(s, log)
	}
	if d == nil {
		log.Warn("lambdagrpc: calls go through grpc.Server.ServeHTTP, not the direct path", "reason", why, "cost", fallbackCost)
		return &viaServeHTTP{srv: s, log: log}
	}
	return d
}
