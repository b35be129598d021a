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
// the emulator's front doors, buffered and in RESPONSE_STREAM mode, to
// lambdagrpc.Serve with REST on running as the function; and over HTTP to
// grpc-gateway's mux served by net/http, in front of the same server.
//
// Every front door is compared: Function URL, HTTP API (payload 2.0 and
// 1.0), REST API and ALB (with and without multi-value headers). The
// metadata-* requests are left out: the front doors add their own
// X-Forwarded-* and trace headers, which the handler and event subjects of
// TestRESTMatchesGateway do not, so they compare metadata there. What a
// door's event cannot carry is listed in doorDifference.
func TestRESTMatchesGatewayThroughEmulator(t *testing.T) {
	reqs := loadCorpus(t)
	for _, mode := range []struct {
		emulator emulator.InvokeMode
		function lambdagrpc.InvokeMode
	}{{emulator.Buffered, lambdagrpc.Buffered}, {emulator.ResponseStream, lambdagrpc.ResponseStream}} {
		name := strings.ToLower(string(mode.emulator))
		t.Run(name, func(t *testing.T) {
			restDoor := emulator.REST
			if mode.emulator == emulator.ResponseStream {
				restDoor = emulator.RESTStream
			}
			doors := []emulator.FrontDoorKind{emulator.FunctionURL, emulator.HTTPAPI, emulator.HTTPAPIv1, restDoor, emulator.ALB, emulator.ALBMultiValue}
			e := emulatortest.Start(t, emulator.Config{InvokeMode: mode.emulator, MaxConcurrency: 2, FrontDoors: []emulator.FrontDoor{
				{Kind: emulator.HTTPAPI}, {Kind: emulator.HTTPAPIv1}, {Kind: restDoor}, {Kind: emulator.ALB}, {Kind: emulator.ALBMultiValue},
			}})
			srv := grpc.NewServer()
			resttest.Register(srv)
			serveFunction(t, e, srv, mode.function)
			gwServer := httptest.NewServer(resttest.Gateway(t, resttest.Serve(t, srv)))
			t.Cleanup(gwServer.Close)
			gateway := resttest.HTTPFront(gwServer.URL)
			for _, door := range doors {
				t.Run(string(door), func(t *testing.T) {
					compareDoor(t, reqs, door, gateway, resttest.HTTPFront(e.FrontDoorURL(door)))
				})
			}
		})
	}
}

// compareDoor compares the corpus through one front door with grpc-gateway.
func compareDoor(t *testing.T, reqs []resttest.Request, door emulator.FrontDoorKind, gateway, subject resttest.Front) {
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
		if reason := doorDifference(door, r.Name); reason != "" && len(ms) > 0 {
			t.Logf("%s: known difference (%s): %v", r.Name, reason, ms)
			continue
		}
		for _, m := range ms {
			t.Errorf("%s %s (%s): %s", r.Method, r.Target, r.Name, m)
		}
	}
	if compared < 100 {
		t.Errorf("only %d requests compared", compared)
	}
}

// Reasons for the differences that come from what a front door's event
// can carry.
const (
	parsedQuery = "the event has the query as the front door parsed it, without what does not parse"
	lastValue   = "an ALB without multi-value headers passes only the last value of a repeated query parameter"
)

// doorDifference returns why request name differs through door, or "".
func doorDifference(door emulator.FrontDoorKind, name string) string {
	switch {
	case (door == emulator.HTTPAPIv1 || door == emulator.REST || door == emulator.RESTStream) &&
		(name == "search-bad-escape" || name == "search-semicolon" || name == "search-invalid-utf8"):
		return parsedQuery
	case door == emulator.ALB &&
		(name == "search-nested" || name == "search-repeated" || name == "search-enum-repeated-mixed" ||
			name == "search-fieldmask-repeated" || name == "search-repeated-scalar"):
		return lastValue
	}
	return ""
}
