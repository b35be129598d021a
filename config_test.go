package lambdagrpc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// checkConfigError checks that every constructor reports the configuration
// error named want: Serve returns it before serving, Invoke returns it, and
// the handler answers every call INTERNAL.
func checkConfigError(t *testing.T, want string, opts ...lambdagrpc.Option) {
	t.Helper()
	opts = append(opts, lambdagrpc.WithLogger(quietLogger()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Serve returns the error instead of serving: were it to serve, it
	// would return only when ctx ends, without an error.
	err := lambdagrpc.Serve(ctx, newTestServer(t), append(opts, lambdagrpc.WithAddr("127.0.0.1:0"))...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Serve = %v, want an error naming %s", err, want)
	}
	// On Lambda it also reports the error to the Runtime API as an init
	// error, so the function fails to start and its log says why.
	f, addr := newFakeRuntime(t)
	err = lambdagrpc.Serve(ctx, newTestServer(t), append(opts, lambdagrpc.WithRuntimeAPI(addr))...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Serve on Lambda = %v, want an error naming %s", err, want)
	}
	if posted := f.initErrorsPosted(); len(posted) != 1 {
		t.Errorf("Serve on Lambda posted %d init errors, want 1", len(posted))
	} else {
		var body struct{ ErrorType, ErrorMessage string }
		if err := json.Unmarshal(posted[0].body, &body); err != nil || posted[0].errType != "Runtime.ConfigInvalid" ||
			body.ErrorType != "Runtime.ConfigInvalid" || !strings.Contains(body.ErrorMessage, want) {
			t.Errorf("init error: type %q, body %q (%v), want Runtime.ConfigInvalid with a message naming %s", posted[0].errType, posted[0].body, err, want)
		}
	}
	eh := lambdagrpc.NewEventHandler(newTestServer(t), opts...)
	if _, err := eh.Invoke(ctx, functionURLEvent(t, unaryPath, nil)); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Invoke = %v, want an error naming %s", err, want)
	}
	url := startHandler(t, newTestServer(t), opts...)
	resp, body := do(t, "POST", url+unaryPath, "application/grpc-web", wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{})), nil)
	if r := parseWeb(t, body); resp.StatusCode != http.StatusOK || r.status.Code() != codes.Internal {
		t.Errorf("NewHandler's answer: HTTP %d %v, want INTERNAL", resp.StatusCode, r.status)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opt  lambdagrpc.Option
		want string
	}{
		{"invoke mode", lambdagrpc.WithInvokeMode("BUFFERD"), `WithInvokeMode("BUFFERD")`},
		{"lower-case invoke mode", lambdagrpc.WithInvokeMode("buffered"), `WithInvokeMode("buffered")`},
		{"negative deadline margin", lambdagrpc.WithDeadlineMargin(-time.Second), "WithDeadlineMargin(-1s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkConfigError(t, tc.want, tc.opt)
		})
	}
}

// TestConfigErrorFromEnvironment: an invalid $LAMBDAGRPC_INVOKE_MODE is
// reported like an invalid option. (t.Setenv: not parallel.)
func TestConfigErrorFromEnvironment(t *testing.T) {
	t.Setenv(lambdagrpc.EnvInvokeMode, "STREAMING")
	checkConfigError(t, lambdagrpc.EnvInvokeMode+`="STREAMING"`)
	// The accepted values, in any case, still work.
	for _, v := range []string{"buffered", "RESPONSE_STREAM", "stream", ""} {
		t.Setenv(lambdagrpc.EnvInvokeMode, v)
		eh := lambdagrpc.NewEventHandler(newTestServer(t), lambdagrpc.WithLogger(quietLogger()))
		if _, err := eh.Invoke(context.Background(), functionURLEvent(t, unaryPath, nil)); err != nil {
			t.Errorf("%s=%q: Invoke = %v", lambdagrpc.EnvInvokeMode, v, err)
		}
	}
}
