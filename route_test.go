package lambdagrpc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// bypassPaths are request paths that name a method only to a router that
// looks at the last two segments, or that decodes %2F, or that cleans dot
// segments: none of them may reach it.
var bypassPaths = []string{
	"/public/x" + unaryPath,
	"/public" + unaryPath,
	"/grpc.testing.TestService%2FUnaryCall",
	"/grpc.testing.TestService%2fUnaryCall",
	"/public%2F..%2F" + unaryPath[1:],
	"/x%2F" + unaryPath[1:],
	"/" + unaryPath,
	unaryPath + "/",
	"/." + unaryPath,
	"/x/.." + unaryPath,
	"/.." + unaryPath,
	"/grpc.testing.TestService//UnaryCall",
	"/grpc.testing.%54estService/UnaryCall",
	// Escapes of a query, a fragment or a space: decoded by a front door
	// that decodes paths, they must not end the path.
	"/grpc.testing.TestService/UnaryCall%3Fx",
	"/grpc.testing.TestService%3F/UnaryCall",
	"/grpc.testing.TestService/UnaryCall%23x",
	"/grpc.testing.TestService/UnaryCall%20",
	"/grpc.testing.TestService/Unary%20Call",
	// Nothing but a protobuf name's bytes in a segment.
	"/grpc.testing.TestService/UnaryCall;x",
	"/grpc.testing.TestService/UnaryCall%3Bx",
	"/grpc.testing.TestService/UnaryCall:x",
	"/grpc.testing.TestService/UnaryCall~",
	"/grpc.testing.TestService/UnaryCall%7E",
	"/grpc.testing.TestService/UnaryCall!",
	"/grpc.testing.TestService/UnaryCall-",
	"/grpc.testing.TestService/UnaryCall@x",
	"/grpc.testing.TestService/..",
	"/../UnaryCall",
}

// eventBypassPaths are paths that only an event can carry: over HTTP a "?"
// starts the query, but an event's path is a field of its own, delivered
// decoded by HTTP APIs (and by anything that builds events by hand).
var eventBypassPaths = append([]string{
	unaryPath + "?x",
	"/grpc.testing.TestService?/UnaryCall",
	unaryPath + "#x",
	unaryPath + " ",
	"/grpc.testing.TestService/Unary Call",
	unaryPath + "\x00",
	unaryPath + "\n",
	unaryPath + "\x7f",
	unaryPath + "\u00e9",
	"/grpc.testing.TestService/UnaryCall\u212a",
}, bypassPaths...)

// decodePath is a path as an HTTP API delivers it: API Gateway decodes the
// client's path before it builds the event (payload 2.0 rawPath and 1.0
// path alike).
func decodePath(p string) string {
	if d, err := url.PathUnescape(p); err == nil {
		return d
	}
	return p
}

// routeEvent builds a Lambda event for a gRPC-Web unary call. Each source
// puts the path where its front door does: front holds the stage or the
// mapping as the client's URL has it.
type routeSource struct {
	name  string
	event func(clientPath string) map[string]any
	// decodes: the front door decodes the client's path (HTTP APIs), so
	// an escaped "/" arrives as a separator.
	decodes bool
}

func routeSources() []routeSource {
	v2 := func(stage, domain, rawPath string) map[string]any {
		return map[string]any{
			"version": "2.0", "routeKey": "$default", "rawPath": rawPath, "rawQueryString": "",
			"headers": map[string]string{"content-type": "application/grpc-web+proto"},
			"requestContext": map[string]any{
				"apiId": strings.Split(domain, ".")[0], "domainName": domain, "stage": stage,
				"http": map[string]string{"method": "POST", "path": rawPath, "sourceIp": "192.0.2.1"},
			},
		}
	}
	v1 := func(version, stage, domain, path, contextPath string) map[string]any {
		ev := map[string]any{
			"resource": "/{proxy+}", "path": path, "httpMethod": "POST",
			"multiValueHeaders": map[string][]string{"Content-Type": {"application/grpc-web+proto"}},
			"requestContext": map[string]any{
				"apiId": strings.Split(domain, ".")[0], "domainName": domain, "stage": stage,
				"path": contextPath, "resourcePath": "/{proxy+}", "identity": map[string]string{"sourceIp": "192.0.2.1"},
			},
		}
		if version != "" {
			ev["version"] = version
		}
		return ev
	}
	alb := func(multi bool, path string) map[string]any {
		ev := map[string]any{
			"httpMethod": "POST", "path": path,
			"requestContext": map[string]any{"elb": map[string]string{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1"}},
		}
		if multi {
			ev["multiValueHeaders"] = map[string][]string{"content-type": {"application/grpc-web+proto"}}
		} else {
			ev["headers"] = map[string]string{"content-type": "application/grpc-web+proto"}
		}
		return ev
	}
	const api = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
	return []routeSource{
		{"function URL", func(p string) map[string]any {
			return v2("$default", "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws", p)
		}, false},
		// A named stage is the first segment of an HTTP API's rawPath.
		{"HTTP API v2, named stage", func(p string) map[string]any { return v2("prod", api, decodePath("/prod"+p)) }, true},
		{"HTTP API v2, $default stage", func(p string) map[string]any { return v2("$default", api, decodePath(p)) }, true},
		// Through a custom domain the API mapping and the stage are not in
		// rawPath.
		{"HTTP API v2, custom domain", func(p string) map[string]any { return v2("prod", "api.example.com", decodePath(p)) }, true},
		{"HTTP API 1.0, named stage", func(p string) map[string]any {
			return v1("1.0", "dev", api, decodePath("/dev"+p), decodePath("/dev"+p))
		}, true},
		{"HTTP API 1.0, $default stage", func(p string) map[string]any { return v1("1.0", "$default", api, decodePath(p), decodePath(p)) }, true},
		// A REST API's path leaves the stage out; requestContext.path has it.
		{"REST API, stage", func(p string) map[string]any { return v1("", "prod", api, p, "/prod"+p) }, false},
		{"REST API, custom domain", func(p string) map[string]any { return v1("", "prod", "api.example.com", p, p) }, false},
		{"ALB", func(p string) map[string]any { return alb(false, p) }, false},
		{"ALB, multi-value", func(p string) map[string]any { return alb(true, p) }, false},
	}
}

// invokeRoute sends a unary gRPC-Web call in ev and returns its status.
func invokeRoute(t *testing.T, eh *lambdagrpc.EventHandler, ev map[string]any) (codes.Code, string) {
	t.Helper()
	req := mustMarshal(t, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hi")}})
	ev["body"] = base64.StdEncoding.EncodeToString(wire.AppendFrame(nil, 0, req))
	ev["isBase64Encoded"] = true
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	r := invoke(t, eh, b)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("statusCode = %d, want 200 (gRPC-Web carries the status in the body)", r.StatusCode)
	}
	res := parseWeb(t, r.body(t))
	return res.status.Code(), res.status.Message()
}

func TestRouteEventSources(t *testing.T) {
	t.Parallel()
	plain := lambdagrpc.NewEventHandler(newTestServer(t), lambdagrpc.WithLogger(quietLogger()))
	prefixed := lambdagrpc.NewEventHandler(newTestServer(t), lambdagrpc.WithLogger(quietLogger()), lambdagrpc.WithPathPrefix("/api"))
	for _, src := range routeSources() {
		t.Run(src.name, func(t *testing.T) {
			t.Parallel()
			// want is the answer to a path the client sent: UNIMPLEMENTED,
			// unless the front door decodes it into the method's own path,
			// which the function cannot tell from the method's path (the
			// README's "Paths, stages and prefixes" says what protects
			// HTTP APIs instead).
			want := func(p, methodPath string) codes.Code {
				if src.decodes && decodePath(p) == methodPath {
					return codes.OK
				}
				return codes.Unimplemented
			}
			if code, msg := invokeRoute(t, plain, src.event(unaryPath)); code != codes.OK {
				t.Errorf("%s: %v %q, want OK", unaryPath, code, msg)
			}
			for _, p := range eventBypassPaths {
				if code, msg := invokeRoute(t, plain, src.event(p)); code != want(p, unaryPath) {
					t.Errorf("%q: %v %q, want %v", p, code, msg, want(p, unaryPath))
				}
			}
			if code, msg := invokeRoute(t, prefixed, src.event("/api"+unaryPath)); code != codes.OK {
				t.Errorf("WithPathPrefix(/api), /api%s: %v %q, want OK", unaryPath, code, msg)
			}
			for _, p := range append([]string{unaryPath, "/apix" + unaryPath, "/api/public" + unaryPath, "/api/" + unaryPath, "/x/api" + unaryPath}, eventBypassPaths...) {
				if code, msg := invokeRoute(t, prefixed, src.event(p)); code != codes.Unimplemented {
					t.Errorf("WithPathPrefix(/api), %q: %v %q, want UNIMPLEMENTED", p, code, msg)
				}
			}
			for _, p := range eventBypassPaths {
				if code, msg := invokeRoute(t, prefixed, src.event("/api"+p)); code != want("/api"+p, "/api"+unaryPath) {
					t.Errorf("WithPathPrefix(/api), %q: %v %q, want %v", "/api"+p, code, msg, want("/api"+p, "/api"+unaryPath))
				}
			}
		})
	}
}

// TestRouteStageIsNotGuessed checks that a stage is stripped only where the
// event says the path holds it.
func TestRouteStageIsNotGuessed(t *testing.T) {
	t.Parallel()
	eh := lambdagrpc.NewEventHandler(newTestServer(t), lambdagrpc.WithLogger(quietLogger()))
	srcs := routeSources()
	byName := func(name string) routeSource {
		for _, s := range srcs {
			if s.name == name {
				return s
			}
		}
		t.Fatalf("no source %q", name)
		return routeSource{}
	}
	cases := []struct {
		name string
		ev   map[string]any
	}{
		// A REST API's path never holds the stage: "/prod/..." is a
		// resource path.
		{"REST API, stage repeated", byName("REST API, stage").event("/prod" + unaryPath)},
		// A custom domain hides the stage: a first segment that spells it is
		// the client's.
		{"HTTP API v2, custom domain, stage spelled", byName("HTTP API v2, custom domain").event("/prod" + unaryPath)},
		{"REST API, custom domain, stage spelled", byName("REST API, custom domain").event("/prod" + unaryPath)},
		{"HTTP API v2, $default spelled", byName("HTTP API v2, $default stage").event("/$default" + unaryPath)},
		{"function URL, stage spelled", byName("function URL").event("/prod" + unaryPath)},
		{"HTTP API v2, named stage, stage repeated", byName("HTTP API v2, named stage").event("/prod" + unaryPath)},
		{"ALB, stage spelled", byName("ALB").event("/prod" + unaryPath)},
	}
	for _, tc := range cases {
		if code, msg := invokeRoute(t, eh, tc.ev); code != codes.Unimplemented {
			t.Errorf("%s: %v %q, want UNIMPLEMENTED", tc.name, code, msg)
		}
	}
}

// rawPost sends body to base+path without letting the client clean or
// escape path, and returns the response.
func rawPost(t *testing.T, base, path, ct string, body []byte) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = "//" + req.URL.Host + req.URL.EscapedPath() + path // sent as written
	req.Header.Set("Content-Type", ct)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp, buf.Bytes()
}

func TestRouteHandler(t *testing.T) {
	t.Parallel()
	plain := startHandler(t, newTestServer(t))
	prefixed := startHandler(t, newTestServer(t), lambdagrpc.WithPathPrefix("/api/v1"))
	msg := mustMarshal(t, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hi")}})
	check := func(t *testing.T, base, path string, want codes.Code) {
		t.Helper()
		resp, body := rawPost(t, base, path, "application/grpc-web+proto", wire.AppendFrame(nil, 0, msg))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("gRPC-Web %s: HTTP %d %q", path, resp.StatusCode, body)
		}
		if r := parseWeb(t, body); r.status.Code() != want {
			t.Errorf("gRPC-Web %s: %v, want %v", path, r.status, want)
		}
		// Connect answers a path that names no method with 404.
		resp, body = rawPost(t, base, path, "application/proto", msg)
		wantHTTP := http.StatusOK
		if want != codes.OK {
			wantHTTP = http.StatusNotFound
		}
		if resp.StatusCode != wantHTTP {
			t.Errorf("Connect %s: HTTP %d %q, want %d", path, resp.StatusCode, body, wantHTTP)
		}
		if want != codes.OK && !strings.Contains(string(body), `"unimplemented"`) {
			t.Errorf("Connect %s: body %q, want code unimplemented", path, body)
		}
	}
	check(t, plain, unaryPath, codes.OK)
	check(t, prefixed, "/api/v1"+unaryPath, codes.OK)
	for _, p := range bypassPaths {
		check(t, plain, p, codes.Unimplemented)
		check(t, prefixed, "/api/v1"+p, codes.Unimplemented)
	}
	for _, p := range []string{unaryPath, "/api" + unaryPath, "/api/v1x" + unaryPath, "/api/v1/" + unaryPath, "/x/api/v1" + unaryPath, "/api/v1%2F" + unaryPath[1:], "/api%2Fv1" + unaryPath} {
		check(t, prefixed, p, codes.Unimplemented)
	}
}

// TestRouteNativeGRPC checks that native gRPC on the TCP handler does not
// decode %2F into a separator either.
func TestRouteNativeGRPC(t *testing.T) {
	t.Parallel()
	h := lambdagrpc.NewHandler(newTestServer(t), lambdagrpc.WithLogger(quietLogger()))
	ts := httptest.NewUnstartedServer(h)
	ts.Config.Protocols = new(http.Protocols)
	ts.Config.Protocols.SetUnencryptedHTTP2(true)
	ts.Start()
	t.Cleanup(ts.Close)
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	msg := mustMarshal(t, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hi")}})
	for _, tc := range []struct {
		path string
		want string
	}{
		{unaryPath, "0"},
		{"/grpc.testing.TestService%2FUnaryCall", "12"},
		{"/public/x" + unaryPath, "12"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL, bytes.NewReader(wire.AppendFrame(nil, 0, msg)))
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Opaque = "//" + req.URL.Host + tc.path
		req.Header.Set("Content-Type", "application/grpc")
		req.Header.Set("Te", "trailers")
		resp, err := tr.RoundTrip(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		cancel()
		got := resp.Trailer.Get("Grpc-Status")
		if got == "" {
			got = resp.Header.Get("Grpc-Status")
		}
		if got != tc.want {
			t.Errorf("native gRPC %s: grpc-status %q (%q), want %s", tc.path, got, resp.Trailer.Get("Grpc-Message")+resp.Header.Get("Grpc-Message"), tc.want)
		}
	}
}

func TestPathPrefixInvalid(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"api", "/a//b", "/a/../b", "/./a", "/a b", "/a%2Fb", "/a?b"} {
		opt := lambdagrpc.WithPathPrefix(p)
		// NewHandler cannot return the error: every call says the server
		// is misconfigured, and the log has the details.
		url := startHandler(t, newTestServer(t), opt)
		msg := mustMarshal(t, &testpb.SimpleRequest{})
		resp, body := do(t, "POST", url+unaryPath, "application/grpc-web+proto", wire.AppendFrame(nil, 0, msg), nil)
		if r := parseWeb(t, body); resp.StatusCode != http.StatusOK || r.status.Code() != codes.Internal || !strings.Contains(r.status.Message(), "misconfigured") {
			t.Errorf("WithPathPrefix(%q): HTTP %d %v, want INTERNAL saying the server is misconfigured", p, resp.StatusCode, r.status)
		}
		eh := lambdagrpc.NewEventHandler(newTestServer(t), opt, lambdagrpc.WithLogger(quietLogger()))
		want := `WithPathPrefix("` + p + `")`
		if _, err := eh.Invoke(context.Background(), []byte(`{}`)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Invoke with WithPathPrefix(%q) = %v, want an error naming %s", p, err, want)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := lambdagrpc.Serve(ctx, newTestServer(t), opt, lambdagrpc.WithAddr("127.0.0.1:0"), lambdagrpc.WithLogger(quietLogger()))
		cancel()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Serve with WithPathPrefix(%q) = %v, want an error naming %s", p, err, want)
		}
	}
	// A trailing slash, "/" and "" are fine.
	for _, p := range []string{"/api/", "/", ""} {
		url := startHandler(t, newTestServer(t), lambdagrpc.WithPathPrefix(p))
		path := strings.TrimSuffix(p, "/") + unaryPath
		resp, body := do(t, "POST", url+path, "application/grpc-web+proto", wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{})), nil)
		if r := parseWeb(t, body); resp.StatusCode != http.StatusOK || r.status.Code() != codes.OK {
			t.Errorf("WithPathPrefix(%q), %s: HTTP %d %v, want OK", p, path, resp.StatusCode, r.status)
		}
	}
}

// TestRouteOnlyProtobufNames checks that a path reaches the server only when
// it spells a protobuf service and method name, so that a server's
// unknown-service handler (a proxy, say) never sees a method whose name a
// front door's path rule would read differently.
func TestRouteOnlyProtobufNames(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen []string
	)
	s := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		m, _ := grpc.Method(stream.Context())
		mu.Lock()
		seen = append(seen, m)
		mu.Unlock()
		return nil
	}))
	t.Cleanup(s.Stop)
	eh := lambdagrpc.NewEventHandler(s, lambdagrpc.WithLogger(quietLogger()))
	base := startHandler(t, s)
	const unknown = "/pkg.v1.Admin_2/Delete_1"
	paths := append([]string{"/pkg.Admin/Delete~", "/pkg.Admin/Delete!", "/pkg.Admin/Delete'", "/pkg.Admin/Delete*", "/pkg.Admin/Delete(x)",
		"/pkg.Admin/Delete$", "/pkg.Admin/Delete&x=1", "/pkg.Admin/Delete+", "/pkg.Admin/Delete,", "/pkg.Admin/Delete=", "/pkg-x.Admin/Delete"},
		eventBypassPaths...)
	src := routeSources()[0] // a Function URL: the path as sent
	for _, p := range append([]string{unknown}, paths...) {
		want := codes.Unimplemented
		if p == unaryPath || p == unknown {
			want = codes.OK
		}
		if code, msg := invokeRoute(t, eh, src.event(p)); code != want {
			t.Errorf("event %q: %v %q, want %v", p, code, msg, want)
		}
		if strings.ContainsAny(p, "?#") || strings.IndexFunc(p, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
			continue // not a path over HTTP
		}
		resp, body := rawPost(t, base, p, "application/grpc-web+proto", wire.AppendFrame(nil, 0, nil))
		if r := parseWeb(t, body); resp.StatusCode != http.StatusOK || r.status.Code() != want {
			t.Errorf("HTTP %q: HTTP %d %v, want %v", p, resp.StatusCode, r.status, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, m := range seen {
		if m != unknown {
			t.Errorf("the unknown-service handler saw method %q", m)
		}
	}
	if len(seen) != 2 {
		t.Errorf("the unknown-service handler ran %d times, want 2 (%s, by event and over HTTP)", len(seen), unknown)
	}
}
