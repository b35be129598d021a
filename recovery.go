package lambdagrpc

import (
	"context"
	"log/slog"
	"reflect"
	"runtime/debug"
	"sync"
	"unsafe"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// grpc-go runs every handler on a goroutine of its own and does not recover
// panics, so one bad request would end the process, and on Lambda every
// call in flight with it. A *grpc.Server's interceptors are fixed when it is
// built and there is no API to add one later; the user's server must stay
// unchanged, so installRecovery wraps the two interceptor fields of its
// options in place. This is the only place that reaches into grpc-go's
// internals; it checks the fields' names and types and, if a grpc-go
// release changes them, logs that panics will not be recovered instead of
// failing.

var recovered sync.Map // *grpc.Server -> struct{}: installed once per server

// panicMessage is all a client learns about a panic; the stack goes to the
// log.
const panicMessage = "internal error: the handler panicked (details are in the server's log)"

func installRecovery(s *grpc.Server, log *slog.Logger) {
	if _, loaded := recovered.LoadOrStore(s, struct{}{}); loaded {
		return
	}
	opts := reflect.ValueOf(s).Elem().FieldByName("opts")
	if !opts.IsValid() {
		log.Warn("lambdagrpc: this grpc-go version hides its server options; handler panics will not be recovered")
		return
	}
	unary := field[grpc.UnaryServerInterceptor](opts, "unaryInt")
	stream := field[grpc.StreamServerInterceptor](opts, "streamInt")
	if unary == nil || stream == nil {
		log.Warn("lambdagrpc: this grpc-go version changed its interceptor fields; handler panics will not be recovered")
		return
	}
	*unary = recoverUnary(*unary, log)
	*stream = recoverStream(*stream, log)
}

// field returns a pointer to the unexported field name of v if it has type T.
func field[T any](v reflect.Value, name string) *T {
	f := v.FieldByName(name)
	if !f.IsValid() || f.Type() != reflect.TypeFor[T]() || !f.CanAddr() {
		return nil
	}
	return (*T)(unsafe.Pointer(f.UnsafeAddr()))
}

func recoverUnary(next grpc.UnaryServerInterceptor, log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				logPanic(ctx, log, info.FullMethod, p)
				resp, err = nil, status.Error(codes.Internal, panicMessage)
			}
		}()
		if next != nil {
			return next(ctx, req, info, handler)
		}
		return handler(ctx, req)
	}
}

func recoverStream(next grpc.StreamServerInterceptor, log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if p := recover(); p != nil {
				logPanic(ss.Context(), log, info.FullMethod, p)
				err = status.Error(codes.Internal, panicMessage)
			}
		}()
		if next != nil {
			return next(srv, ss, info, handler)
		}
		return handler(srv, ss)
	}
}

func logPanic(ctx context.Context, log *slog.Logger, method string, p any) {
	attrs := []any{"method", method, "panic", p, "stack", string(debug.Stack())}
	if lc, ok := FromContext(ctx); ok {
		attrs = append(attrs, "requestId", lc.RequestID)
	}
	log.ErrorContext(ctx, "lambdagrpc: handler panicked", attrs...)
}
