package emulator_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
)

// rawRuntime is a Runtime API client written with net/http alone, so the
// emulator is tested against the spec and not only against lambdagrpc.
type rawRuntime struct {
	t    *testing.T
	base string
}

func newRaw(t *testing.T, e *emulator.Emulator) *rawRuntime {
	return &rawRuntime{t: t, base: "http://" + e.RuntimeAPIAddr() + "/2018-06-01/runtime/"}
}

type delivered struct {
	header http.Header
	event  map[string]any
	raw    []byte
}

func (r *rawRuntime) next() delivered {
	r.t.Helper()
	resp, err := http.Get(r.base + "invocation/next")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("/next: HTTP %d", resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		r.t.Fatalf("event is not JSON: %v", err)
	}
	return delivered{header: resp.Header, event: ev, raw: b}
}

func (r *rawRuntime) post(path string, hdr map[string]string, body io.Reader, trailer http.Header) (int, string) {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.base+path, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if trailer != nil {
		req.Trailer = trailer
		req.TransferEncoding = []string{"chunked"}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// call sends a request to the front door in the background.
func call(t *testing.T, e *emulator.Emulator, body string) <-chan *http.Response {
	ch := make(chan *http.Response, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.URL()+"/some/path?a=1&a=2&b=x%20y", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Add("X-Multi", "one")
		req.Header.Add("X-Multi", "two")
		req.Header.Set("Cookie", "c1=v1; c2=v2")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("front door: %v", err)
			close(ch)
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			resp.Header.Set("X-Test-Read-Error", err.Error())
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		ch <- resp
	}()
	return ch
}

func readAll(r *http.Response) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

func TestNextHeadersAndEvent(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Name: "fn", Timeout: 5 * time.Second, Region: "eu-west-1"})
	rt := newRaw(t, e)
	before := time.Now()
	respc := call(t, e, "\x00\x01binary")
	d := rt.next()
	h := d.header
	for _, k := range []string{"Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms", "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id", "Lambda-Runtime-Invocation-Id"} {
		if h.Get(k) == "" {
			t.Errorf("/next lacks %s", k)
		}
	}
	ms, _ := strconv.ParseInt(h.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if dl := time.UnixMilli(ms); dl.Before(before.Add(4*time.Second)) || dl.After(time.Now().Add(5*time.Second)) {
		t.Errorf("deadline %v is not about 5s away", dl)
	}
	if arn := h.Get("Lambda-Runtime-Invoked-Function-Arn"); arn != "arn:aws:lambda:eu-west-1:123456789012:function:fn" {
		t.Errorf("ARN = %q", arn)
	}
	ev := d.event
	rc := ev["requestContext"].(map[string]any)
	httpc := rc["http"].(map[string]any)
	headers := ev["headers"].(map[string]any)
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", ev["version"], "2.0"},
		{"routeKey", ev["routeKey"], "$default"},
		{"rawPath", ev["rawPath"], "/some/path"},
		{"rawQueryString", ev["rawQueryString"], "a=1&a=2&b=x%20y"},
		{"queryStringParameters.a", ev["queryStringParameters"].(map[string]any)["a"], "1,2"},
		{"headers.x-multi", headers["x-multi"], "one,two"},
		{"cookies", fmt.Sprint(ev["cookies"]), "[c1=v1 c2=v2]"},
		{"isBase64Encoded", ev["isBase64Encoded"], true},
		{"body", ev["body"], base64.StdEncoding.EncodeToString([]byte("\x00\x01binary"))},
		{"http.method", httpc["method"], "POST"},
		{"http.path", httpc["path"], "/some/path"},
		{"http.sourceIp", httpc["sourceIp"], "127.0.0.1"},
		{"stage", rc["stage"], "$default"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("event %s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, has := headers["cookie"]; has {
		t.Error("cookies also appear as a header")
	}
	if dn, _ := rc["domainName"].(string); !strings.HasSuffix(dn, ".lambda-url.eu-west-1.on.aws") {
		t.Errorf("domainName = %q", dn)
	}
	id := h.Get("Lambda-Runtime-Aws-Request-Id")
	code, _ := rt.post("invocation/"+id+"/response", map[string]string{"Content-Type": "application/json"},
		strings.NewReader(`{"statusCode":201,"headers":{"x-a":"b"},"cookies":["k=v"],"body":"aGk=","isBase64Encoded":true}`), nil)
	if code != http.StatusAccepted {
		t.Fatalf("/response: HTTP %d", code)
	}
	resp := <-respc
	if resp.StatusCode != 201 || resp.Header.Get("X-A") != "b" || resp.Header.Get("Set-Cookie") != "k=v" || readAll(resp) != "hi" {
		t.Fatalf("caller got %d %v", resp.StatusCode, resp.Header)
	}
}

func TestRuntimeStatusCodes(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Timeout: 10 * time.Second})
	rt := newRaw(t, e)
	if code, body := rt.post("invocation/no-such-id/response", nil, strings.NewReader("{}"), nil); code != 400 || !strings.Contains(body, "InvalidRequestID") {
		t.Errorf("unknown id: %d %s", code, body)
	}
	respc := call(t, e, "x")
	id := rt.next().header.Get("Lambda-Runtime-Aws-Request-Id")
	if code, body := rt.post("invocation/"+id+"/response", map[string]string{"Lambda-Runtime-Function-Response-Mode": "sometimes"}, strings.NewReader("{}"), nil); code != 400 || !strings.Contains(body, "InvalidFunctionResponseMode") {
		t.Errorf("bad mode: %d %s", code, body)
	}
	if code, _ := rt.post("invocation/"+id+"/response", nil, strings.NewReader(`{"statusCode":200,"body":"one"}`), nil); code != 202 {
		t.Errorf("first response: %d", code)
	}
	if code, body := rt.post("invocation/"+id+"/response", nil, strings.NewReader(`{}`), nil); code != 403 || !strings.Contains(body, "InvalidStateTransition") {
		t.Errorf("second response: %d %s", code, body)
	}
	if r := <-respc; readAll(r) != "one" {
		t.Error("the first response did not reach the caller")
	}

	// Oversized buffered response: 413 to the runtime, 413 to the caller.
	respc = call(t, e, "x")
	id = rt.next().header.Get("Lambda-Runtime-Aws-Request-Id")
	big := bytes.Repeat([]byte("a"), 6*1024*1024+101)
	if code, body := rt.post("invocation/"+id+"/response", nil, bytes.NewReader(big), nil); code != 413 || !strings.Contains(body, "RequestEntityTooLarge") {
		t.Errorf("oversized: %d %s", code, body)
	}
	if r := <-respc; r.StatusCode != 413 {
		t.Errorf("caller of an oversized response got %d", r.StatusCode)
	}

	// A function error: 502 to the caller.
	respc = call(t, e, "x")
	id = rt.next().header.Get("Lambda-Runtime-Aws-Request-Id")
	if code, _ := rt.post("invocation/"+id+"/error", map[string]string{"Lambda-Runtime-Function-Error-Type": "Function.Oops"}, strings.NewReader(`{"errorMessage":"m","errorType":"Function.Oops"}`), nil); code != 202 {
		t.Errorf("/error: %d", code)
	}
	if r := <-respc; r.StatusCode != 502 || r.Header.Get("X-Amzn-Errortype") != "Function.Oops" {
		t.Errorf("caller of a failed invocation got %d %v", r.StatusCode, r.Header)
	}
}

func TestTimeoutAndStaleResponse(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Timeout: 300 * time.Millisecond})
	rt := newRaw(t, e)
	respc := call(t, e, "x")
	d := rt.next()
	r := <-respc
	if r.StatusCode != 502 || r.Header.Get("X-Amzn-Errortype") != "Sandbox.Timedout" {
		t.Fatalf("caller of a timed-out invocation got %d %v", r.StatusCode, r.Header)
	}
	id := d.header.Get("Lambda-Runtime-Aws-Request-Id")
	code, body := rt.post("invocation/"+id+"/response", map[string]string{"Lambda-Runtime-Invocation-Id": d.header.Get("Lambda-Runtime-Invocation-Id")}, strings.NewReader("{}"), nil)
	if code != 410 {
		t.Fatalf("late response with the invocation id: %d %s, want 410", code, body)
	}
}

func TestStreamTimeToFirstByte(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: 10 * time.Second})
	rt := newRaw(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.URL()+"/", nil)
	type got struct {
		resp *http.Response
		err  error
	}
	gotc := make(chan got, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		gotc <- got{resp, err}
	}()
	id := rt.next().header.Get("Lambda-Runtime-Aws-Request-Id")
	pr, pw := io.Pipe()
	trailer := http.Header{"Lambda-Runtime-Function-Error-Type": nil, "Lambda-Runtime-Function-Error-Body": nil}
	postDone := make(chan int, 1)
	go func() {
		code, _ := rt.post("invocation/"+id+"/response", map[string]string{
			"Lambda-Runtime-Function-Response-Mode": "streaming",
			"Content-Type":                          "application/vnd.awslambda.http-integration-response",
		}, pr, trailer)
		postDone <- code
	}()
	pw.Write([]byte(`{"statusCode":207,"headers":{"x-h":"v"}}`))
	pw.Write(make([]byte, 8))
	pw.Write([]byte("first"))
	g := <-gotc
	if g.err != nil {
		t.Fatal(g.err)
	}
	defer g.resp.Body.Close()
	if g.resp.StatusCode != 207 || g.resp.Header.Get("X-H") != "v" {
		t.Fatalf("prelude not applied: %d %v", g.resp.StatusCode, g.resp.Header)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(g.resp.Body, buf); err != nil || string(buf) != "first" {
		t.Fatalf("first chunk %q %v", buf, err)
	}
	// The caller has the first chunk while the function is still writing.
	pw.Write([]byte("second"))
	trailer.Set("Lambda-Runtime-Function-Error-Type", "Function.Midway")
	trailer.Set("Lambda-Runtime-Function-Error-Body", base64.StdEncoding.EncodeToString([]byte(`{"errorMessage":"m","errorType":"Function.Midway"}`)))
	pw.Close()
	rest, err := io.ReadAll(g.resp.Body)
	if string(rest) != "second" || err == nil {
		t.Fatalf("rest %q, error %v: a stream that failed midway must end abruptly", rest, err)
	}
	if code := <-postDone; code != 202 {
		t.Fatalf("streamed /response: %d", code)
	}
}

func TestManagedInstancesConcurrency(t *testing.T) {
	t.Parallel()
	const n = 8
	e := emulatortest.Start(t, emulator.Config{MaxConcurrency: n, Timeout: 10 * time.Second})
	rt := newRaw(t, e)
	var calls []<-chan *http.Response
	for range n + 4 {
		calls = append(calls, call(t, e, "x"))
	}
	// n polls get invocations at once; one more waits for a slot.
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			d := rt.next()
			mu.Lock()
			ids = append(ids, d.header.Get("Lambda-Runtime-Aws-Request-Id"))
			mu.Unlock()
		})
	}
	wg.Wait()
	extra := make(chan string, 1)
	go func() { extra <- rt.next().header.Get("Lambda-Runtime-Aws-Request-Id") }()
	select {
	case <-extra:
		t.Fatalf("a %dth invocation was delivered while %d were in flight", n+1, n)
	case <-time.After(200 * time.Millisecond):
	}
	for _, id := range ids {
		if code, _ := rt.post("invocation/"+id+"/response", nil, strings.NewReader(`{"statusCode":200,"body":"ok"}`), nil); code != 202 {
			t.Fatalf("response: %d", code)
		}
	}
	last := []string{<-extra}
	for range 3 {
		last = append(last, rt.next().header.Get("Lambda-Runtime-Aws-Request-Id"))
	}
	for _, id := range last {
		rt.post("invocation/"+id+"/response", nil, strings.NewReader(`{"statusCode":200,"body":"ok"}`), nil)
	}
	for i, c := range calls {
		if r := <-c; r == nil || r.StatusCode != 200 {
			t.Errorf("call %d failed", i)
		}
	}
}

func TestInitError(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Timeout: 5 * time.Second})
	rt := newRaw(t, e)
	respc := call(t, e, "x")
	for deadline := time.Now().Add(30 * time.Second); e.Waiting() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) { // the init error must find the invocation queued
			t.Fatal("the call was never queued")
		}
	}
	if code, _ := rt.post("init/error", map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.ConfigInvalid"}, strings.NewReader(`{"errorMessage":"bad config","errorType":"Runtime.ConfigInvalid"}`), nil); code != 202 {
		t.Fatalf("init error: %d", code)
	}
	if r := <-respc; r.StatusCode != 502 || r.Header.Get("X-Amzn-Errortype") != "Runtime.ConfigInvalid" {
		t.Fatalf("caller after an init error got %d %v", r.StatusCode, r.Header)
	}
}

func TestProcessCrashColdStartsAgain(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Package: "./testdata/crasher", Timeout: 10 * time.Second, Output: io.Discard})
	first := <-call(t, e, "hello")
	if first.StatusCode != 200 || readAll(first) != "ok" {
		t.Fatalf("first call: %d", first.StatusCode)
	}
	crashed := <-call(t, e, "crash")
	if crashed.StatusCode != 502 || crashed.Header.Get("X-Amzn-Errortype") != "Runtime.ExitError" {
		t.Fatalf("crash: %d %v", crashed.StatusCode, crashed.Header)
	}
	again := <-call(t, e, "hello")
	if again.StatusCode != 200 || again.Header.Get("X-Pid") == first.Header.Get("X-Pid") {
		t.Fatalf("after the crash: %d, pid %s (was %s): want a new process", again.StatusCode, again.Header.Get("X-Pid"), first.Header.Get("X-Pid"))
	}
}

func FuzzParsePrelude(f *testing.F) {
	f.Add([]byte(`{"statusCode":200,"headers":{"a":"b"},"cookies":["c=d"]}`))
	f.Add([]byte(`{"statusCode":99}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := emulator.ParsePrelude(b)
		if err == nil && p.StatusCode != 0 && (p.StatusCode < 100 || p.StatusCode > 999) {
			t.Fatalf("accepted status %d", p.StatusCode)
		}
	})
}

func TestProcessTimeoutRestarts(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Package: "./testdata/crasher", Timeout: 500 * time.Millisecond, Output: io.Discard})
	first := <-call(t, e, "hello")
	hung := <-call(t, e, "hang")
	if hung.StatusCode != 502 || hung.Header.Get("X-Amzn-Errortype") != "Sandbox.Timedout" {
		t.Fatalf("timed-out call: %d %v", hung.StatusCode, hung.Header)
	}
	again := <-call(t, e, "hello")
	if again.StatusCode != 200 || again.Header.Get("X-Pid") == first.Header.Get("X-Pid") {
		t.Fatalf("after the timeout: %d, pid %s (was %s): want a new process", again.StatusCode, again.Header.Get("X-Pid"), first.Header.Get("X-Pid"))
	}
}

func TestInitTimeout(t *testing.T) {
	t.Parallel()
	// A "function" that never polls for work.
	e := emulatortest.Start(t, emulator.Config{Command: []string{"sleep", "60"}, InitTimeout: 300 * time.Millisecond, Output: io.Discard})
	r := <-call(t, e, "x")
	if r.StatusCode != 502 || r.Header.Get("X-Amzn-Errortype") != "Sandbox.Timedout" {
		t.Fatalf("call to a function that never initialised: %d %v", r.StatusCode, r.Header)
	}
}

// TestRelativeCommand runs a binary named by a relative path with a folder
// in it (bin/fn, ./bin/fn), as docs/emulator.md's configuration does: the
// process runs in the binary's folder, so the path must not be resolved
// from there.
func TestRelativeCommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "bin", "fn")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./testdata/crasher").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	rel, err := filepath.Rel(wd, bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{rel, "./" + rel} {
		e := emulatortest.Start(t, emulator.Config{Command: []string{path}, Timeout: 10 * time.Second, Output: io.Discard})
		if r := <-call(t, e, "hello"); r.StatusCode != 200 || readAll(r) != "ok" {
			t.Errorf("Command %q: the call answered %d %v, want 200 ok", path, r.StatusCode, r.Header)
		}
	}
}

// TestInvokeModeNames: Start takes an invoke mode in any case, and
// "STREAM" as lambdagrpc does, and reports it by its canonical name.
func TestInvokeModeNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[emulator.InvokeMode]emulator.InvokeMode{
		"": emulator.Buffered, "buffered": emulator.Buffered, "response_stream": emulator.ResponseStream, "Stream": emulator.ResponseStream,
	} {
		e, err := emulator.Start(context.Background(), emulator.Config{InvokeMode: in})
		if err != nil {
			t.Fatalf("Start(InvokeMode %q): %v", in, err)
		}
		if got := e.Config().InvokeMode; got != want {
			t.Errorf("InvokeMode %q became %q, want %q", in, got, want)
		}
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	}
}

// TestStartChecksBeforeBinding: a mistake in the configuration is reported
// as itself, not as the busy address the emulator would have bound first.
func TestStartChecksBeforeBinding(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	for _, tc := range []struct {
		name string
		cfg  emulator.Config
		want string
	}{
		{"missing package", emulator.Config{Addr: addr, Package: "./testdata/does-not-exist"}, "not a Go package"},
		{"library package", emulator.Config{Addr: addr, Package: "../internal/wire"}, "not a main package"},
		{"front door kind", emulator.Config{Addr: addr, FrontDoors: []emulator.FrontDoor{{Kind: "carrier-pigeon"}}}, "unknown front door kind"},
		{"second function URL", emulator.Config{Addr: addr, FrontDoors: []emulator.FrontDoor{{Kind: emulator.FunctionURL}}}, "every function has its Function URL"},
		{"invoke mode", emulator.Config{Addr: addr, InvokeMode: "SOMETIMES"}, "unknown invoke mode"},
		{"auth type", emulator.Config{Addr: addr, AuthType: "MAGIC"}, "unknown auth type"},
		{"busy address", emulator.Config{Addr: addr}, "address already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := emulator.Start(context.Background(), tc.cfg)
			if err == nil {
				e.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start(%s) = %v, want an error containing %q", tc.name, err, tc.want)
			}
		})
	}
	// A set checks every function before the first one binds.
	_, err = emulator.StartSet(context.Background(), "", emulator.Config{Name: "a", Addr: addr}, emulator.Config{Name: "b", Package: "../internal/wire"})
	if err == nil || !strings.Contains(err.Error(), "not a main package") {
		t.Errorf("StartSet(busy, library) = %v, want an error containing %q", err, "not a main package")
	}
}

// TestFrontDoorStages checks that API Gateway doors put the stage where API
// Gateway does: in the URL of a named stage, out of a REST event's path and
// in its requestContext.path, in an HTTP API event's path.
func TestFrontDoorStages(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Timeout: 5 * time.Second, FrontDoors: []emulator.FrontDoor{
		{Kind: emulator.REST}, {Kind: emulator.HTTPAPI, Stage: "dev"}, {Kind: emulator.HTTPAPIv1, Stage: "v1"}, {Kind: emulator.ALB},
	}})
	rt := newRaw(t, e)
	cases := []struct {
		kind                 emulator.FrontDoorKind
		url                  string
		path, ctxPath, stage string
		pathKey, ctxPathOf   string
	}{
		{emulator.REST, "/prod", "/a/b", "/prod/a/b", "prod", "path", "path"},
		{emulator.HTTPAPI, "/dev", "/dev/a/b", "/dev/a/b", "dev", "rawPath", "http"},
		{emulator.HTTPAPIv1, "/v1", "/v1/a/b", "/v1/a/b", "v1", "path", "path"},
		{emulator.ALB, "", "/a/b", "", "", "path", ""},
	}
	for _, tc := range cases {
		base := e.FrontDoorURL(tc.kind)
		if !strings.HasSuffix(base, tc.url) || strings.Count(base, "/") != 2+strings.Count(tc.url, "/") {
			t.Errorf("%s: FrontDoorURL = %q, want it to end in %q", tc.kind, base, tc.url)
		}
		done := make(chan *http.Response, 1)
		go func() {
			resp, err := http.Post(base+"/a/b", "text/plain", strings.NewReader("x"))
			if err != nil {
				t.Errorf("%s: %v", tc.kind, err)
			}
			done <- resp
		}()
		d := rt.next()
		rc, _ := d.event["requestContext"].(map[string]any)
		if got := d.event[tc.pathKey]; got != tc.path {
			t.Errorf("%s: %s = %v, want %s", tc.kind, tc.pathKey, got, tc.path)
		}
		var ctxPath any = ""
		switch tc.ctxPathOf {
		case "path":
			ctxPath = rc["path"]
		case "http":
			ctxPath = rc["http"].(map[string]any)["path"]
		}
		if ctxPath != tc.ctxPath {
			t.Errorf("%s: requestContext path = %v, want %s", tc.kind, ctxPath, tc.ctxPath)
		}
		if got, _ := rc["stage"].(string); got != tc.stage {
			t.Errorf("%s: stage = %q, want %q", tc.kind, got, tc.stage)
		}
		id := d.header.Get("Lambda-Runtime-Aws-Request-Id")
		rt.post("invocation/"+id+"/response", nil, strings.NewReader(`{"statusCode":200,"body":""}`), nil)
		if resp := <-done; resp != nil {
			resp.Body.Close()
		}
	}
	// Outside the stage, API Gateway answers itself; the function never
	// sees the request.
	for kind, want := range map[emulator.FrontDoorKind]int{emulator.REST: http.StatusForbidden, emulator.HTTPAPI: http.StatusNotFound, emulator.HTTPAPIv1: http.StatusNotFound} {
		u := strings.TrimSuffix(e.FrontDoorURL(kind), "/"+map[emulator.FrontDoorKind]string{emulator.REST: "prod", emulator.HTTPAPI: "dev", emulator.HTTPAPIv1: "v1"}[kind])
		for _, p := range []string{"/a/b", "/prodx/a/b", "/"} {
			resp, err := http.Post(u+p, "text/plain", strings.NewReader("x"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s %s: HTTP %d, want %d", kind, p, resp.StatusCode, want)
			}
		}
	}
	if _, err := emulator.Start(context.Background(), emulator.Config{FrontDoors: []emulator.FrontDoor{{Kind: emulator.REST, Stage: "$default"}}}); err == nil || !strings.Contains(err.Error(), "stage") {
		t.Errorf("REST door with stage $default: %v, want an error about the stage", err)
	}
}

// TestFrontDoorPathEncoding checks that each door delivers the path as its
// AWS counterpart does: Function URLs (rawPath), REST APIs and ALBs (path)
// keep the client's percent-encoding; HTTP APIs decode it, in payload 2.0
// rawPath and payload 1.0 path alike.
func TestFrontDoorPathEncoding(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Timeout: 5 * time.Second, FrontDoors: []emulator.FrontDoor{
		{Kind: emulator.REST}, {Kind: emulator.HTTPAPI}, {Kind: emulator.HTTPAPIv1, Stage: "v1"}, {Kind: emulator.ALB}, {Kind: emulator.ALBMultiValue},
	}})
	rt := newRaw(t, e)
	const sent = "/a%2Fb%3Fc%23d%20e%25f/%41"
	const decoded = "/a/b?c#d e%f/A"
	cases := []struct {
		kind            emulator.FrontDoorKind
		key, want       string
		ctxKey, ctxWant string
	}{
		{emulator.FunctionURL, "rawPath", sent, "", ""},
		{emulator.HTTPAPI, "rawPath", decoded, "http", decoded},
		{emulator.HTTPAPIv1, "path", "/v1" + decoded, "path", "/v1" + decoded},
		{emulator.REST, "path", sent, "path", "/prod" + sent},
		{emulator.ALB, "path", sent, "", ""},
		{emulator.ALBMultiValue, "path", sent, "", ""},
	}
	for _, tc := range cases {
		done := make(chan struct{})
		go func() {
			defer close(done)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.FrontDoorURL(tc.kind), strings.NewReader("x"))
			req.URL.Opaque = "//" + req.URL.Host + req.URL.Path + sent + "?q=%3F"
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("%s: %v", tc.kind, err)
				return
			}
			resp.Body.Close()
		}()
		d := rt.next()
		if got := d.event[tc.key]; got != tc.want {
			t.Errorf("%s: %s = %q, want %q", tc.kind, tc.key, got, tc.want)
		}
		rc, _ := d.event["requestContext"].(map[string]any)
		switch tc.ctxKey {
		case "path":
			if got := rc["path"]; got != tc.ctxWant {
				t.Errorf("%s: requestContext.path = %q, want %q", tc.kind, got, tc.ctxWant)
			}
		case "http":
			if got := rc["http"].(map[string]any)["path"]; got != tc.ctxWant {
				t.Errorf("%s: requestContext.http.path = %q, want %q", tc.kind, got, tc.ctxWant)
			}
		}
		id := d.header.Get("Lambda-Runtime-Aws-Request-Id")
		rt.post("invocation/"+id+"/response", nil, strings.NewReader(`{"statusCode":200,"body":""}`), nil)
		<-done
	}
}
