package rest_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest/librarypb"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// pair is the same Library served by grpc-gateway's generated mux and by
// lambdagrpc's REST protocol.
type pair struct {
	gateway, rest http.Handler
}

// newPair starts one *grpc.Server with the Library, a lambdagrpc handler
// with REST in front of it, and grpc-gateway's mux dialing it on loopback.
func newPair(t testing.TB, opts ...lambdagrpc.Option) pair {
	t.Helper()
	srv := grpc.NewServer()
	resttest.Register(srv)
	h := lambdagrpc.NewHandler(srv, opts...)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return pair{gateway: resttest.Gateway(t, lis.Addr().String()), rest: h}
}

// exchange is one request and what a handler answered.
type exchange struct {
	method, target, body string
	header               http.Header
}

func (x exchange) do(h http.Handler) *httptest.ResponseRecorder {
	var body io.Reader
	if x.body != "" {
		body = strings.NewReader(x.body)
	}
	r := httptest.NewRequest(x.method, x.target, body)
	for k, vs := range x.header {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// comparedHeaders are the response headers a REST client reads.
var comparedHeaders = []string{"Content-Type", "Content-Length", "Trailer", "Transfer-Encoding"}

// dispatchPaths are the handler's two ways to a server's handlers.
var dispatchPaths = map[string][]lambdagrpc.Option{"direct": nil, "ServeHTTP": {lambdagrpc.WithServeHTTP()}}

func TestRESTMatchesGateway(t *testing.T) {
	for name, opts := range dispatchPaths {
		t.Run(name, func(t *testing.T) { testMatchesGateway(t, newPair(t, append(opts, rest.Enable())...)) })
	}
}

// TestRESTDynamicMatchesGateway serves every message with dynamicpb, as a
// front for a remote backend whose Go types are not linked in does.
// The descriptors are rebuilt from their protos, as from reflection.
func TestRESTDynamicMatchesGateway(t *testing.T) {
	testMatchesGateway(t, newPair(t, rest.Enable(rest.WithResolver(rebuiltFiles(t, librarypb.File_library_proto), nil))))
}

// rebuiltFiles builds new descriptors of fd and its dependencies from
// their FileDescriptorProtos.
func rebuiltFiles(t *testing.T, fd protoreflect.FileDescriptor) *protoregistry.Files {
	t.Helper()
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(protoreflect.FileDescriptor)
	add = func(f protoreflect.FileDescriptor) {
		if seen[f.Path()] {
			return
		}
		seen[f.Path()] = true
		imports := f.Imports()
		for i := range imports.Len() {
			add(imports.Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(f))
	}
	add(fd)
	files, err := protodesc.NewFiles(set)
	if err != nil {
		t.Fatal(err)
	}
	d, err := files.FindDescriptorByName("lambdagrpc.resttest.v1.Library")
	if err != nil || d == librarypb.File_library_proto.Services().Get(0) {
		t.Fatalf("the service was not rebuilt: %v", err)
	}
	return files
}

func testMatchesGateway(t *testing.T, p pair) {
	json := http.Header{"Content-Type": {"application/json"}}
	echo := http.Header{"Grpc-Metadata-X-Echo-Header": {"v1"}, "X-Echo-Header": {"v2"}, "Te": {"trailers"}}
	cases := []exchange{
		{method: "GET", target: "/v1/shelves/1"},
		{method: "GET", target: "/v1/libraries/lib/shelves/2"},
		{method: "GET", target: "/v1/shelves/1/books/2"},
		{method: "GET", target: "/v1/shelves/1/books/2%2F3"},
		{method: "GET", target: "/v1/shelves/1/books?page_size=3&tags=a&tags=b&genres=GENRE_FICTION&genres=2&genre=GENRE_HISTORY"},
		{method: "GET", target: "/v1/shelves/1/books?after=2001-02-03T04:05:06Z&max_age=1.5s&read_mask=a,b.c&author=me&min_pages=3&in_print=true&filter.author=x&filter.inner.genre=3"},
		{method: "GET", target: "/v1/shelves/1/books?page_size=notanumber"},
		{method: "GET", target: "/v1/shelves/1/books?genre=NOPE"},
		{method: "GET", target: "/v1/shelves/1/books?unknown_field=1"},
		{method: "POST", target: "/v1/shelves/1/books:search", body: `{"author":"a","genre":"GENRE_SCIENCE","tags":["x"]}`, header: json},
		{method: "POST", target: "/v1/shelves/1/books", body: `{"title":"T","genre":"GENRE_FICTION","pages":"12"}`, header: json},
		{method: "POST", target: "/v1/shelves/1/books", body: `{"title":`, header: json},
		{method: "POST", target: "/v1/shelves/1/books", body: `{"title":"T","unknown":1}`, header: json},
		{method: "POST", target: "/v1/shelves/1/books", body: ``, header: json},
		{method: "PUT", target: "/v1/shelves/1/books/b9", body: `{"title":"T"}`, header: json},
		{method: "PATCH", target: "/v1/shelves/1/books/2", body: `{"title":"T","cover":{"color":"red"}}`, header: json},
		{method: "PATCH", target: "/v1/shelves/1/books/2?update_mask=title", body: `{"title":"T"}`, header: json},
		{method: "PUT", target: "/v1/shelves/1/books/2", body: `{"book":{"title":"T"}}`, header: json},
		{method: "DELETE", target: "/v1/shelves/1/books/2"},
		{method: "POST", target: "/v1/shelves/1/books/2:cancel", body: `{"reason":"r"}`, header: json},
		{method: "GET", target: "/v1/shelves/1/books/2/cover"},
		{method: "GET", target: "/v1/shelves/1/files/a/b/c.txt"},
		{method: "GET", target: "/v1/shelves/1/files/"},
		{method: "POST", target: "/v1/shelves/1/books/2/content", body: `"aGVsbG8="`, header: json},
		{method: "GET", target: "/v1/shelves/1/books/2/content"},
		{method: "POST", target: "/v1/echo", body: `{"contentType":"text/plain","data":"aGk="}`, header: json},
		{method: "GET", target: "/v1/shelves/1/books:stream?count=3"},
		{method: "GET", target: "/v1/shelves/1/books:stream?count=2&fail_code=9"},
		{method: "GET", target: "/v1/shelves/fail-5/books:stream?count=2"},
		{method: "GET", target: "/v1/shelves/1/content:stream?count=2"},
		{method: "GET", target: "/v1/fail/5"},
		{method: "GET", target: "/v1/fail/3?message=bad&details=true"},
		{method: "POST", target: "/v1/fail/8", body: `{"message":"m","details":true}`, header: json},
		{method: "GET", target: "/v1/fail/0"},
		{method: "GET", target: "/v1/shelves/fail-7"},
		{method: "GET", target: "/v1/shelves/1", header: echo},
		{method: "GET", target: "/v1/shelves/fail-7", header: echo},
		{method: "GET", target: "/v1/shelves/1/books:stream?count=1", header: echo},
		{method: "POST", target: "/v1/echo", body: `raw text`, header: http.Header{"Content-Type": {"text/plain"}}},
		{method: "POST", target: "/v1/shelves/1/books", body: "page_size=2", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Http-Method-Override": {"GET"}}},
		{method: "GET", target: "/v1/shelves/1/files/a%2Fb/c%20d"},
		{method: "GET", target: "/v1/shelves/1/books/2:cancel"},
		{method: "POST", target: "/v1/shelves/1/books:search", body: `{"inner":{"genre":2}}`, header: json},
		{method: "POST", target: "/v1/shelves/1/books/2/content", body: `123`, header: json},
		{method: "GET", target: "/v1/nothing/here"},
		{method: "PUT", target: "/v1/shelves/1"},
		{method: "GET", target: "/v1/shelves/1", header: http.Header{"Grpc-Timeout": {"bogus"}}},
		{method: "GET", target: "/v1/shelves/1", header: http.Header{"Grpc-Timeout": {"1S"}}},
	}
	for _, x := range cases {
		t.Run(x.method+" "+x.target, func(t *testing.T) {
			want, got := x.do(p.gateway), x.do(p.rest)
			if got.Code != want.Code {
				t.Errorf("status %d, grpc-gateway %d", got.Code, want.Code)
			}
			for _, k := range comparedHeaders {
				// (Trailer lists keys in map order.)
				if g, w := sorted(got.Header().Values(k)), sorted(want.Header().Values(k)); strings.Join(g, ",") != strings.Join(w, ",") {
					t.Errorf("header %s: %q, grpc-gateway %q", k, g, w)
				}
			}
			for k := range merged(want.Header(), got.Header()) {
				if strings.HasPrefix(k, "Grpc-") && strings.Join(got.Header()[k], ",") != strings.Join(want.Header()[k], ",") {
					t.Errorf("header %s: %q, grpc-gateway %q", k, got.Header()[k], want.Header()[k])
				}
			}
			if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
				t.Errorf("body:\n%s\ngrpc-gateway:\n%s", got.Body, want.Body)
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// merged is the union of two headers' keys.
func merged(a, b http.Header) map[string]bool {
	m := make(map[string]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}
