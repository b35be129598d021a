package rest_test

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// A Connect call to a method the server has is never REST's, even when a
// binding's template matches its path; a Connect-shaped request to a REST
// path is REST's; a Connect call to an unknown method is answered as one.
func TestRESTDoesNotShadowOtherProtocols(t *testing.T) {
	p := newPair(t, rest.Enable())
	json := http.Header{"Content-Type": {"application/json"}}
	cases := []struct {
		x          exchange
		code       int
		bodyPrefix string
	}{
		// Connect unary: the bare message, without unpopulated fields.
		{exchange{method: "POST", target: "/lambdagrpc.resttest.v1.Library/GetShelf", body: `{"shelf":"7"}`, header: json}, 200, `{"name":"shelves/7"`},
		// REST, though Connect's content type: the JSON has every field.
		{exchange{method: "POST", target: "/v1/shelves/7/books", body: `{"title":"T"}`, header: json}, 200, `{"name":"shelves/7/books/`},
		// Connect to an unknown method: Connect's own 404 and error.
		{exchange{method: "POST", target: "/lambdagrpc.resttest.v1.Library/Nope", body: `{}`, header: json}, 404, `{"code":"unimplemented"`},
		// Neither: REST's 404, as grpc-gateway answers it.
		{exchange{method: "GET", target: "/nowhere"}, 404, `{"code":5`},
		// Connect's content type on a bound path with another method:
		// REST's 501, as grpc-gateway answers it.
		{exchange{method: "PUT", target: "/v1/shelves/1", body: `{}`, header: json}, 501, `{"code":12`},
	}
	for _, c := range cases {
		w := c.x.do(p.rest)
		body := strings.ReplaceAll(w.Body.String(), " ", "")
		if w.Code != c.code || !strings.HasPrefix(body, c.bodyPrefix) {
			t.Errorf("%s %s: %d %s; want %d %s...", c.x.method, c.x.target, w.Code, body, c.code, c.bodyPrefix)
		}
	}
	// A gRPC-Web call is never REST's, even on a bound path: it is
	// answered in gRPC-Web, UNIMPLEMENTED.
	w := exchange{method: "POST", target: "/v1/shelves/1/books", header: http.Header{"Content-Type": {"application/grpc-web+proto"}}}.do(p.rest)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "grpc-status: 12") || w.Header().Get("Content-Type") != "application/grpc-web+proto" {
		t.Errorf("gRPC-Web to a REST path: %d %v %q", w.Code, w.Header(), w.Body)
	}
}

// The server's interceptors see a REST call's metadata as they see it
// from grpc-gateway, but for the transport's own keys.
func TestRESTMetadataReachesInterceptors(t *testing.T) {
	var mu sync.Mutex
	var seen []metadata.MD
	record := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		mu.Lock()
		seen = append(seen, md)
		mu.Unlock()
		return handler(ctx, req)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(record))
	resttest.Register(srv)
	h := lambdagrpc.NewHandler(srv, rest.Enable())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	gw := resttest.Gateway(t, lis.Addr().String())

	x := exchange{method: "GET", target: "/v1/shelves/1", header: http.Header{
		"Accept": {"application/json"}, "Authorization": {"Bearer t"}, "Cookie": {"c=1"},
		"X-Forwarded-For": {"10.0.0.1"}, "Grpc-Metadata-X-Custom": {"v"}, "X-Other": {"o"},
	}}
	x.do(gw)
	x.do(h)
	if len(seen) != 2 {
		t.Fatalf("the interceptor saw %d calls, want 2", len(seen))
	}
	transport := map[string]bool{"content-type": true, "user-agent": true, ":authority": true, "grpc-accept-encoding": true}
	keys := func(md metadata.MD) []string {
		var ks []string
		for k, v := range md {
			if !transport[k] {
				ks = append(ks, k+"="+strings.Join(v, ","))
			}
		}
		slices.Sort(ks)
		return ks
	}
	want, got := keys(seen[0]), keys(seen[1])
	if !slices.Equal(got, want) {
		t.Errorf("metadata from REST:\n%q\nfrom grpc-gateway:\n%q", got, want)
	}
	if !slices.Contains(got, "authorization=Bearer t") || !slices.Contains(got, "grpcgateway-cookie=c=1") {
		t.Errorf("metadata %q lacks the mapped headers", got)
	}
}

// A REST call runs through the handler's dispatch: a panic is INTERNAL, a
// deadline passed is DEADLINE_EXCEEDED, each in grpc-gateway's error form.
func TestRESTSharesDispatch(t *testing.T) {
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if md, _ := metadata.FromIncomingContext(ctx); len(md.Get("grpcgateway-cookie")) > 0 {
			panic("boom")
		}
		return handler(ctx, req)
	}))
	resttest.Register(srv)
	h := lambdagrpc.NewHandler(srv, rest.Enable(), lambdagrpc.WithLogger(quiet()))
	for _, c := range []struct {
		header http.Header
		code   int
		body   string
	}{
		{http.Header{"Cookie": {"c=1"}}, 500, `"code":13`},
		{http.Header{"Grpc-Timeout": {"1n"}}, 504, `"code":4`},
		{nil, 200, `"name":"shelves/1"`},
	} {
		w := exchange{method: "GET", target: "/v1/shelves/1", header: c.header}.do(h)
		if body := strings.ReplaceAll(w.Body.String(), " ", ""); w.Code != c.code || !strings.Contains(body, c.body) {
			t.Errorf("%v: %d %s; want %d %s", c.header, w.Code, body, c.code, c.body)
		}
	}
}

// With CORS and REST on, a preflight allows REST's methods.
func TestRESTCORSPreflight(t *testing.T) {
	srv := grpc.NewServer()
	resttest.Register(srv)
	h := lambdagrpc.NewHandler(srv, rest.Enable(), lambdagrpc.WithCORS(lambdagrpc.CORS{AllowedOrigins: []string{"*"}}))
	w := exchange{method: "OPTIONS", target: "/v1/shelves/1/books/2", header: http.Header{
		"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"PATCH"},
	}}.do(h)
	if w.Code != http.StatusNoContent || !strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "PATCH") {
		t.Fatalf("preflight: %d %v", w.Code, w.Header())
	}
	w = exchange{method: "DELETE", target: "/v1/shelves/1/books/2", header: http.Header{"Origin": {"https://app.example"}}}.do(h)
	if w.Code != http.StatusOK || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("DELETE: %d %v", w.Code, w.Header())
	}
}
