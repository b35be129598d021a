package dispatch

import (
	"context"
	"log/slog"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/grpc"
)

// TestRecoveryInstalledOnce: handlers built for one server share one
// recovering interceptor instead of nesting one per handler.
func TestRecoveryInstalledOnce(t *testing.T) {
	s := grpc.NewServer()
	for range 3 {
		installRecovery(s, Config{Log: slog.New(slog.DiscardHandler)})
	}
	unary := field[grpc.UnaryServerInterceptor](reflect.ValueOf(s).Elem().FieldByName("opts"), "unaryInt")
	depth := 0
	_, _ = (*unary)(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/a.B/C"}, func(context.Context, any) (any, error) {
		pc := make([]uintptr, 64)
		frames := runtime.CallersFrames(pc[:runtime.Callers(0, pc)])
		for {
			f, more := frames.Next()
			if strings.Contains(f.Function, "recoverUnary") {
				depth++
			}
			if !more {
				break
			}
		}
		return nil, nil
	})
	if depth != 1 {
		t.Fatalf("the call went through %d recovering interceptors, want 1", depth)
	}
}
