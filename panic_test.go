package lambdagrpc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/stats"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// connPanicStats panics when a connection is tagged: on the direct path
// that happens in the translation, on the invocation's own goroutine,
// outside every interceptor.
type connPanicStats struct{}

const secretPanic = "secret-panic-value 4111-1111"

func (connPanicStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (connPanicStats) HandleRPC(context.Context, stats.RPCStats)                       {}
func (connPanicStats) TagConn(context.Context, *stats.ConnTagInfo) context.Context {
	panic(secretPanic)
}
func (connPanicStats) HandleConn(context.Context, stats.ConnStats) {}

// TestTranslationPanicIsNotReturned: a panic in the buffered translation
// (not in a handler, which the recovery interceptor answers INTERNAL) is
// answered with a fixed message; its value and stack go to the log only.
func TestTranslationPanicIsNotReturned(t *testing.T) {
	t.Parallel()
	if lambdagrpc.ForcedServeHTTP() {
		t.Skip("the stats handler is called on the translation's goroutine on the direct path only")
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	eh := lambdagrpc.NewEventHandler(newTestServer(t, grpc.StatsHandler(connPanicStats{})), lambdagrpc.WithLogger(log))
	req := mustMarshal(t, &testpb.SimpleRequest{})
	event, _ := json.Marshal(map[string]any{
		"version": "2.0", "rawPath": unaryPath,
		"headers":        map[string]string{"content-type": "application/grpc-web"},
		"requestContext": map[string]any{"http": map[string]string{"method": "POST"}},
		"body":           base64.StdEncoding.EncodeToString(wire.AppendFrame(nil, 0, req)), "isBase64Encoded": true,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := eh.Invoke(ctx, event)
	if err == nil {
		t.Fatal("Invoke succeeded despite the panic")
	}
	if strings.Contains(err.Error(), "secret-panic-value") {
		t.Errorf("Invoke's error %q carries the panic value", err)
	}
	if !strings.Contains(logs.String(), "secret-panic-value") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("the log lacks the panic value or its stack: %s", logs.String())
	}
}

// TestLambdaTranslationPanicIsNotReported: through the Runtime API loop the
// same panic is reported to /error with the fixed message.
func TestLambdaTranslationPanicIsNotReported(t *testing.T) {
	t.Parallel()
	if lambdagrpc.ForcedServeHTTP() {
		t.Skip("the stats handler is called on the translation's goroutine on the direct path only")
	}
	f, addr := newFakeRuntime(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	s := newTestServer(t, grpc.StatsHandler(connPanicStats{}))
	go func() {
		done <- lambdagrpc.Serve(ctx, s, lambdagrpc.WithRuntimeAPI(addr), lambdagrpc.WithLogger(quietLogger()))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	f.events <- fakeEvent{id: "p", deadline: time.Now().Add(5 * time.Second), payload: functionURLEvent(t, unaryPath, nil)}
	res := f.result(t, "p")
	if !res.isError || strings.Contains(string(res.body), "secret-panic-value") || !strings.Contains(string(res.body), "Runtime.HandlerPanic") {
		t.Fatalf("/error %v with %s, want Runtime.HandlerPanic without the panic value", res.isError, res.body)
	}
}
