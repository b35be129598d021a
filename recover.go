package lambdagrpc

import (
	"log/slog"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/dispatch"
)

// RecoverPanics returns the server options that turn a panic in a handler
// or interceptor into an INTERNAL status for the client, logging the panic
// and its stack on log (nil: slog's default logger). Pass them when you
// build the server:
//
//	s := grpc.NewServer(lambdagrpc.RecoverPanics(logger)...)
//
// [NewHandler] and [Serve] recover panics without them on every grpc-go
// release they were tested with. With another release they log at Warn
// that they cannot, and name this function: calls that go through
// (*grpc.Server).ServeHTTP run the handler on grpc-go's own goroutine,
// where only an interceptor can recover a panic.
func RecoverPanics(log *slog.Logger) []grpc.ServerOption {
	return dispatch.RecoveryOptions(log, requestID)
}
