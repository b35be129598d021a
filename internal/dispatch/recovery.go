package dispatch

import (
	"context"
	"log/slog"
	"reflect"
	"runtime/debug"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// grpc-go runs every handler on a goroutine of its own and does not recover
// panics, so on the ServeHTTP path one bad request would end the process,
// and on Lambda every call in flight with it. (The direct path runs the
// handler on a goroutine of its own and recovers there.) A *grpc.Server's
// interceptors are fixed when it is built and there is no API to add one
// later; the user's server must stay unchanged, so installRecovery wraps the
// two interceptor fields of its options in place, on a server whose shape
// the allow-list vouches for. A program can also build its server with
// RecoveryOptions, which works on any grpc-go.

// PanicMessage is all a client learns about a panic; the stack goes to the
// log.
const PanicMessage = "internal error: the handler panicked (details are in the server's log)"

// recoverer holds the interceptors' logger. Its methods are the
// interceptors: every recoverer's have the same code, by which
// installRecovery knows a server it has already wrapped.
type recoverer struct {
	log       *slog.Logger
	requestID func(context.Context) (string, bool) // or nil
	unary     grpc.UnaryServerInterceptor
	stream    grpc.StreamServerInterceptor
}

// RecoveryOptions are the server options that turn a panic in a handler or
// interceptor into an INTERNAL status, logged on log (nil: slog's default)
// with its stack and the call's request ID.
func RecoveryOptions(log *slog.Logger, requestID func(context.Context) (string, bool)) []grpc.ServerOption {
	r := &recoverer{log: log, requestID: requestID}
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(r.recoverUnary), grpc.ChainStreamInterceptor(r.recoverStream)}
}

// installRecovery makes the recovering interceptors the outermost of s's,
// once.
func installRecovery(s *grpc.Server, cfg Config) {
	opts := reflect.ValueOf(s).Elem().FieldByName("opts")
	unary := field[grpc.UnaryServerInterceptor](opts, "unaryInt")
	stream := field[grpc.StreamServerInterceptor](opts, "streamInt")
	if unary == nil || stream == nil {
		return // checkShape has failed: New said so
	}
	mark := &recoverer{}
	if *unary != nil && reflect.ValueOf(*unary).Pointer() == reflect.ValueOf(mark.recoverUnary).Pointer() {
		return // installed by an earlier handler for s
	}
	r := &recoverer{log: cfg.Log, requestID: cfg.RequestID, unary: *unary, stream: *stream}
	*unary = r.recoverUnary
	*stream = r.recoverStream
}

func (r *recoverer) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.logPanic(ctx, info.FullMethod, p)
			resp, err = nil, status.Error(codes.Internal, PanicMessage)
		}
	}()
	if r.unary != nil {
		return r.unary(ctx, req, info, handler)
	}
	return handler(ctx, req)
}

func (r *recoverer) recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.logPanic(ss.Context(), info.FullMethod, p)
			err = status.Error(codes.Internal, PanicMessage)
		}
	}()
	if r.stream != nil {
		return r.stream(srv, ss, info, handler)
	}
	return handler(srv, ss)
}

func (r *recoverer) logPanic(ctx context.Context, method string, p any) {
	log := r.log
	if log == nil {
		log = slog.Default()
	}
	attrs := []any{"method", method, "panic", p, "stack", string(debug.Stack())}
	if r.requestID != nil {
		if id, ok := r.requestID(ctx); ok {
			attrs = append(attrs, "requestId", id)
		}
	}
	log.ErrorContext(ctx, "lambdagrpc: handler panicked", attrs...)
}
