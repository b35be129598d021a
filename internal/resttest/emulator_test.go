package resttest_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// serveFunction runs lambdagrpc.Serve on srv, with REST on, as a function
// of the emulator e, until the test ends.
func serveFunction(t *testing.T, e *emulator.Emulator, srv *grpc.Server, mode lambdagrpc.InvokeMode) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- lambdagrpc.Serve(ctx, srv, rest.Enable(), lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)),
			lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()), lambdagrpc.WithInvokeMode(mode), lambdagrpc.WithMaxConcurrency(2))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
}

// TestRESTMatchesGatewayThroughEmulator sends the corpus over HTTP through
// the emulator's Function URL, buffered and in RESPONSE_STREAM mode, to
// lambdagrpc.Serve with REST on running as the function; and over HTTP to
// grpc-gateway's mux served by net/http, in front of the same server.
//
// The metadata-* requests are left out: a Function URL adds its own
// X-Forwarded-* and trace headers, which the handler and event subjects of
// TestRESTMatchesGateway do not, so they compare metadata there.
func TestRESTMatchesGatewayThroughEmulator(t *testing.T) {
	reqs := loadCorpus(t)
	for _, mode := range []struct {
		emulator emulator.InvokeMode
		function lambdagrpc.InvokeMode
	}{{emulator.Buffered, lambdagrpc.Buffered}, {emulator.ResponseStream, lambdagrpc.ResponseStream}} {
		name := "function-url-" + strings.ToLower(string(mode.emulator))
		t.Run(name, func(t *testing.T) {
			e := emulatortest.Start(t, emulator.Config{InvokeMode: mode.emulator, MaxConcurrency: 2})
			srv := grpc.NewServer()
			resttest.Register(srv)
			serveFunction(t, e, srv, mode.function)
			gwServer := httptest.NewServer(resttest.Gateway(t, resttest.ServeOn(t, srv)))
			t.Cleanup(gwServer.Close)
			gateway := resttest.HTTPFront(gwServer.URL)
			subject := resttest.HTTPFront(e.FrontDoorURL(emulator.FunctionURL))
			ctx := context.Background()
			compared := 0
			for _, r := range reqs {
				if strings.HasPrefix(r.Name, "metadata-") {
					continue
				}
				want, err := gateway(ctx, r)
				if err != nil {
					t.Fatalf("%s: grpc-gateway: %v", r.Name, err)
				}
				got, err := subject(ctx, r)
				if err != nil {
					t.Errorf("%s %s (%s): %v", r.Method, r.Target, r.Name, err)
					continue
				}
				compared++
				ms := resttest.Compare(r, want, got)
				if len(ms) > 0 && answeredAsConnect(r, want) {
					continue
				}
				for _, m := range ms {
					if reason, ok := knownDifferences[known{name, r.Name, m.Aspect}]; ok {
						t.Logf("%s: known difference (%s): %s", r.Name, reason, m)
						continue
					}
					t.Errorf("%s %s (%s): %s", r.Method, r.Target, r.Name, m)
				}
			}
			if compared < 100 {
				t.Errorf("only %d requests compared", compared)
			}
		})
	}
}
