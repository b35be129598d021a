package lambdagrpc_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// TestRuntimeUnderFaults runs the runtime client against a Runtime API that
// misbehaves, and checks it carries on wherever Lambda says it should.
func TestRuntimeUnderFaults(t *testing.T) {
	t.Parallel()
	// Faults on /response time the invocation out: the timeout is short to
	// keep the test quick, and long enough for a loaded machine to answer
	// the calls that must succeed.
	e := emulatortest.Start(t, emulator.Config{Timeout: 4 * time.Second})
	serveLambda(t, e.RuntimeAPIAddr())
	call := func() (int, codes.Code) {
		resp, body := do(t, "POST", e.URL()+unaryPath, "application/grpc-web", wire.AppendFrame(nil, 0, nil), nil)
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, codes.Unknown
		}
		return resp.StatusCode, parseWeb(t, body).status.Code()
	}
	if code, st := call(); code != 200 || st != codes.OK {
		t.Fatalf("before any fault: %d %v", code, st)
	}
	for _, f := range []emulator.Fault{
		{Endpoint: emulator.EndpointNext, Delay: 300 * time.Millisecond},
		{Endpoint: emulator.EndpointNext, Status: http.StatusForbidden},
		{Endpoint: emulator.EndpointNext, Drop: true},
		{Endpoint: emulator.EndpointResponse, Status: http.StatusGone},
		{Endpoint: emulator.EndpointResponse, Status: http.StatusRequestEntityTooLarge},
		{Endpoint: emulator.EndpointResponse, Drop: true},
	} {
		e.InjectFault(f)
		answered := f.Endpoint == emulator.EndpointNext
		code, st := call()
		if answered && (code != 200 || st != codes.OK) {
			t.Errorf("%+v: the call got %d %v", f, code, st)
		}
		if !answered && code != http.StatusBadGateway {
			// The response never reached Lambda: the invocation times out.
			t.Errorf("%+v: the call got %d, want 502 from the timed-out invocation", f, code)
		}
		// Whatever happened, the runtime is still serving.
		if code, st := call(); code != 200 || st != codes.OK {
			t.Fatalf("after %+v: %d %v", f, code, st)
		}
	}
}

func TestRuntimeExitsOnContainerError(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{})
	e.InjectFault(emulator.Fault{Endpoint: emulator.EndpointNext, Status: http.StatusInternalServerError})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := lambdagrpc.Serve(ctx, newTestServer(t), lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()), lambdagrpc.WithLogger(quietLogger()))
	if err == nil || !strings.Contains(err.Error(), "500") || ctx.Err() != nil {
		t.Fatalf("Serve = %v, want a prompt error naming the 500", err)
	}
}
