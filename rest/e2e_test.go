package rest_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
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

// reference starts the Library behind grpc-gateway's generated mux, as an
// HTTP server on loopback, and returns its URL.
func reference(t *testing.T) string {
	t.Helper()
	srv := grpc.NewServer()
	resttest.Register(srv)
	addr := resttest.Serve(t, srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &http.Server{Handler: resttest.Gateway(t, addr), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(func() { _ = s.Close() })
	return "http://" + lis.Addr().String()
}

// serve runs the Library with REST on as a function, or on TCP when
// runtimeAPI is empty, until the test ends.
func serve(t *testing.T, srv *grpc.Server, opts ...lambdagrpc.Option) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts = append([]lambdagrpc.Option{rest.Enable(), lambdagrpc.WithLogger(quiet())}, opts...)
	go func() { done <- lambdagrpc.Serve(ctx, srv, opts...) }()
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

// get sends a request and returns the status, content type and body.
func send(t *testing.T, method, url, body string) (int, string, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// e2eCalls are REST calls whose answers are compared with grpc-gateway's
// over real HTTP.
var e2eCalls = []struct{ method, path, body string }{
	{"GET", "/v1/shelves/1", ""},
	{"GET", "/v1/shelves/1/books?genre=GENRE_FICTION&tags=a&tags=b&page_size=2", ""},
	{"POST", "/v1/shelves/1/books", `{"title":"T","pages":"3"}`},
	{"PATCH", "/v1/shelves/1/books/2", `{"title":"T"}`},
	{"POST", "/v1/shelves/1/books/2:cancel", `{"reason":"r"}`},
	{"GET", "/v1/shelves/1/books/2/cover", ""},
	{"GET", "/v1/shelves/1/books/2/content", ""},
	{"GET", "/v1/shelves/1/books:stream?count=3", ""},
	{"GET", "/v1/shelves/1/books:stream?count=2&fail_code=9", ""},
	{"GET", "/v1/fail/5?details=true&message=m", ""},
	{"POST", "/v1/shelves/1/books", `{"title":`},
	{"GET", "/v1/no/such/path", ""},
}

func compareWithGateway(t *testing.T, name, url, ref string) {
	t.Helper()
	for _, c := range e2eCalls {
		if name == string(emulator.ALB) && strings.Contains(c.path, "tags=a&tags=b") {
			// An ALB without multi-value headers keeps a repeated query
			// parameter's last value only, as AWS's does.
			continue
		}
		code, ct, body := send(t, c.method, url+c.path, c.body)
		wcode, wct, wbody := send(t, c.method, ref+c.path, c.body)
		if code != wcode || ct != wct || body != wbody {
			t.Errorf("%s %s %s: %d %s %q\ngrpc-gateway: %d %s %q", name, c.method, c.path, code, ct, body, wcode, wct, wbody)
		}
	}
}

// TestE2ERESTFrontDoors calls REST through every emulator front door, in
// both invoke modes, and compares each answer with grpc-gateway's.
func TestE2ERESTFrontDoors(t *testing.T) {
	ref := reference(t)
	for _, mode := range []emulator.InvokeMode{emulator.Buffered, emulator.ResponseStream} {
		t.Run(string(mode), func(t *testing.T) {
			restDoor, lmode := emulator.REST, lambdagrpc.Buffered
			if mode == emulator.ResponseStream {
				restDoor, lmode = emulator.RESTStream, lambdagrpc.ResponseStream
			}
			e := emulatortest.Start(t, emulator.Config{InvokeMode: mode, MaxConcurrency: 4, FrontDoors: []emulator.FrontDoor{
				{Kind: emulator.HTTPAPI}, {Kind: emulator.HTTPAPIv1}, {Kind: restDoor}, {Kind: emulator.ALB}, {Kind: emulator.ALBMultiValue},
			}})
			srv := grpc.NewServer()
			resttest.Register(srv)
			serve(t, srv, lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()), lambdagrpc.WithInvokeMode(lmode), lambdagrpc.WithMaxConcurrency(4))
			for _, kind := range []emulator.FrontDoorKind{emulator.FunctionURL, emulator.HTTPAPI, emulator.HTTPAPIv1, restDoor, emulator.ALB, emulator.ALBMultiValue} {
				compareWithGateway(t, string(kind), e.FrontDoorURL(kind), ref)
			}
		})
	}
}

// TestE2ERESTTCP calls REST on lambdagrpc.Serve's TCP listener.
func TestE2ERESTTCP(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	ref := reference(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	srv := grpc.NewServer()
	resttest.Register(srv)
	serve(t, srv, lambdagrpc.WithAddr(addr))
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			break
		}
		if i == 200 {
			t.Fatalf("nothing listens on %s", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	compareWithGateway(t, "TCP", "http://"+addr, ref)
}

// gatedStream holds a server stream after its first message until the
// gate opens.
func gatedStream(gate <-chan struct{}) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &gated{ServerStream: ss, gate: gate})
	}
}

type gated struct {
	grpc.ServerStream
	gate <-chan struct{}
	sent int
}

func (g *gated) SendMsg(m any) error {
	if g.sent == 1 {
		<-g.gate
	}
	g.sent++
	return g.ServerStream.SendMsg(m)
}

// TestE2ERESTStreamsIncrementally reads a server stream's first message
// over RESPONSE_STREAM while the handler still holds the second.
func TestE2ERESTStreamsIncrementally(t *testing.T) {
	e := emulatortest.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: 10 * time.Second})
	gate := make(chan struct{})
	srv := grpc.NewServer(grpc.StreamInterceptor(gatedStream(gate)))
	resttest.Register(srv)
	serve(t, srv, lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()), lambdagrpc.WithInvokeMode(lambdagrpc.ResponseStream))
	opened := false
	defer func() {
		if !opened {
			close(gate)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.URL()+"/v1/shelves/1/books:stream?count=2", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	first, err := rd.ReadString('\n')
	if err != nil || !strings.HasPrefix(first, `{"result":{"name":"shelves/1/books/0"`) {
		t.Fatalf("first line %q, %v: it did not arrive while the handler waited", first, err)
	}
	close(gate)
	opened = true
	rest, _ := io.ReadAll(rd)
	if !strings.HasPrefix(string(rest), `{"result":{"name":"shelves/1/books/1"`) || strings.Count(string(rest), "\n") != 1 {
		t.Fatalf("the rest of the stream: %q", rest)
	}
}
