package emulator_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/syncbuf"
)

// invokeAPI calls the emulator's Invoke API (or, with stream set,
// InvokeWithResponseStream) in the background with the given headers.
func invokeAPI(t *testing.T, e *emulator.Emulator, stream bool, payload string, hdr map[string]string) <-chan *http.Response {
	t.Helper()
	ch := make(chan *http.Response, 1)
	url := e.InvokeEndpoint() + "/2015-03-31/functions/" + e.Config().Name + "/invocations"
	if stream {
		url = e.InvokeEndpoint() + "/2021-11-15/functions/" + e.Config().Name + "/response-streaming-invocations"
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(payload))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("Invoke API: %v", err)
			close(ch)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		ch <- resp
	}()
	return ch
}

// TestInvokePayloadMustBeJSON: Lambda's Invoke refuses a payload that is
// not JSON with 400 InvalidRequestContentException, before any function
// runs; every Invoke answer carries x-amzn-RequestId, which for an
// invocation is the request id the function was given.
func TestInvokePayloadMustBeJSON(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Name: "fn", Timeout: 5 * time.Second})
	for _, payload := range []string{"not json", `{"a":`, "\x00\x01"} {
		r := <-invokeAPI(t, e, false, payload, nil)
		if r.StatusCode != http.StatusBadRequest || r.Header.Get("X-Amzn-Errortype") != "InvalidRequestContentException" {
			t.Errorf("payload %q: %d %s %q, want 400 InvalidRequestContentException", payload, r.StatusCode, r.Header.Get("X-Amzn-Errortype"), readAll(r))
		}
		if r.Header.Get("X-Amzn-Requestid") == "" {
			t.Errorf("payload %q: the error has no x-amzn-RequestId", payload)
		}
	}
	rt := newRaw(t, e)
	respc := invokeAPI(t, e, false, `{"ok":true}`, nil)
	d := rt.next()
	id := d.header.Get("Lambda-Runtime-Aws-Request-Id")
	if string(d.raw) != `{"ok":true}` {
		t.Errorf("the function got %q", d.raw)
	}
	rt.post("invocation/"+id+"/response", nil, strings.NewReader(`"done"`), nil)
	r := <-respc
	if r.StatusCode != http.StatusOK || readAll(r) != `"done"` {
		t.Fatalf("valid payload: %d", r.StatusCode)
	}
	if got := r.Header.Get("X-Amzn-Requestid"); got != id {
		t.Errorf("x-amzn-RequestId = %q, want the invocation's request id %q", got, id)
	}
}

var traceRoot = regexp.MustCompile(`^Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(;|$)`)

// TestTraceIDPropagation: the caller's X-Amzn-Trace-Id reaches the runtime
// (Root, Parent, Sampled) through every entry point; the Function URL
// event's x-amzn-trace-id has the same Root as Lambda-Runtime-Trace-Id,
// whether the caller sent a trace or the emulator made one.
func TestTraceIDPropagation(t *testing.T) {
	t.Parallel()
	const caller = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	e := emulatortest.Start(t, emulator.Config{Name: "fn", Timeout: 5 * time.Second,
		FrontDoors: []emulator.FrontDoor{{Kind: emulator.REST}, {Kind: emulator.ALB}}})
	rt := newRaw(t, e)
	answer := func(d delivered) {
		rt.post("invocation/"+d.header.Get("Lambda-Runtime-Aws-Request-Id")+"/response", nil, strings.NewReader(`{"statusCode":200}`), nil)
	}
	send := func(url, trace string) <-chan *http.Response {
		ch := make(chan *http.Response, 1)
		go func() {
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
			if trace != "" {
				req.Header.Set("X-Amzn-Trace-Id", trace)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("%s: %v", url, err)
				close(ch)
				return
			}
			resp.Body.Close()
			ch <- resp
		}()
		return ch
	}

	// Function URL, with the caller's trace.
	respc := send(e.URL()+"/x", caller)
	d := rt.next()
	if got := d.header.Get("Lambda-Runtime-Trace-Id"); got != caller {
		t.Errorf("Function URL: Lambda-Runtime-Trace-Id = %q, want the caller's %q", got, caller)
	}
	hdrs, _ := d.event["headers"].(map[string]any)
	if m := traceRoot.FindStringSubmatch(hdrs["x-amzn-trace-id"].(string)); m == nil || m[1] != "1-5759e988-bd862e3fe1be46a994272793" {
		t.Errorf("Function URL event: x-amzn-trace-id = %q, want the caller's Root", hdrs["x-amzn-trace-id"])
	}
	answer(d)
	<-respc

	// Function URL, no trace: one is made, and both sides agree on it.
	respc = send(e.URL()+"/x", "")
	d = rt.next()
	rtTrace := d.header.Get("Lambda-Runtime-Trace-Id")
	hdrs, _ = d.event["headers"].(map[string]any)
	evTrace, _ := hdrs["x-amzn-trace-id"].(string)
	m1, m2 := traceRoot.FindStringSubmatch(rtTrace), traceRoot.FindStringSubmatch(evTrace)
	if m1 == nil || m2 == nil || m1[1] != m2[1] {
		t.Errorf("made-up trace: Lambda-Runtime-Trace-Id %q and the event's x-amzn-trace-id %q do not share a well-formed Root", rtTrace, evTrace)
	}
	if !strings.Contains(rtTrace, ";Parent=") || !strings.Contains(rtTrace, ";Sampled=0") {
		t.Errorf("made-up trace %q lacks Parent or Sampled", rtTrace)
	}
	answer(d)
	<-respc

	// REST and ALB doors, and the Invoke API.
	for _, url := range []string{e.FrontDoorURL(emulator.REST) + "/x", e.FrontDoorURL(emulator.ALB) + "/x"} {
		respc = send(url, caller)
		d = rt.next()
		if got := d.header.Get("Lambda-Runtime-Trace-Id"); got != caller {
			t.Errorf("%s: Lambda-Runtime-Trace-Id = %q, want %q", url, got, caller)
		}
		answer(d)
		<-respc
	}
	ic := invokeAPI(t, e, false, "{}", map[string]string{"X-Amzn-Trace-Id": caller})
	d = rt.next()
	if got := d.header.Get("Lambda-Runtime-Trace-Id"); got != caller {
		t.Errorf("Invoke API: Lambda-Runtime-Trace-Id = %q, want %q", got, caller)
	}
	answer(d)
	<-ic

	// A caller's trace without Parent or Sampled keeps its Root.
	ic = invokeAPI(t, e, false, "{}", map[string]string{"X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793"})
	d = rt.next()
	if got := d.header.Get("Lambda-Runtime-Trace-Id"); !strings.HasPrefix(got, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=") {
		t.Errorf("Invoke API, Root only: Lambda-Runtime-Trace-Id = %q", got)
	}
	answer(d)
	<-ic
}

// TestFunctionErrorType: the error type is the runtime's
// Lambda-Runtime-Function-Error-Type header, whatever string it is, and
// Runtime.Unknown without it, whatever the body says (aws-lambda-go sends
// no header, with bodies of two shapes). The body reaches the Invoke caller
// as the runtime sent it, with X-Amz-Function-Error: Unhandled; the
// Function URL's X-Amzn-Errortype and InvokeWithResponseStream's
// InvokeComplete ErrorCode say the same type.
func TestFunctionErrorType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, header, body, want string
	}{
		{"plain error, no header", "", `{"errorMessage":"boom","errorType":"errorString"}`, "Runtime.Unknown"},
		{"panic, no header", "", `{"errorMessage":"boom","errorType":"string","stackTrace":[{"path":"a.go","line":3,"label":"f"}],"shouldExit":true}`, "Runtime.Unknown"},
		{"header", "MyApp.Failure", `{"errorMessage":"boom","errorType":"errorString"}`, "MyApp.Failure"},
	}
	e := emulatortest.Start(t, emulator.Config{Name: "fn", Timeout: 5 * time.Second})
	rt := newRaw(t, e)
	fail := func(d delivered, header, body string) {
		hdr := map[string]string{"Content-Type": "application/json"}
		if header != "" {
			hdr["Lambda-Runtime-Function-Error-Type"] = header
		}
		if code, _ := rt.post("invocation/"+d.header.Get("Lambda-Runtime-Aws-Request-Id")+"/error", hdr, strings.NewReader(body), nil); code != http.StatusAccepted {
			t.Fatalf("/error: HTTP %d", code)
		}
	}
	for _, c := range cases {
		// Invoke.
		ic := invokeAPI(t, e, false, "{}", nil)
		fail(rt.next(), c.header, c.body)
		r := <-ic
		if got := readAll(r); r.Header.Get("X-Amz-Function-Error") != "Unhandled" || got != c.body {
			t.Errorf("%s: Invoke answered X-Amz-Function-Error %q and %s", c.name, r.Header.Get("X-Amz-Function-Error"), got)
		}
		// Function URL.
		fc := call(t, e, "x")
		fail(rt.next(), c.header, c.body)
		r = <-fc
		if r.StatusCode != http.StatusBadGateway || r.Header.Get("X-Amzn-Errortype") != c.want {
			t.Errorf("%s: Function URL answered %d with X-Amzn-Errortype %q, want 502 %q", c.name, r.StatusCode, r.Header.Get("X-Amzn-Errortype"), c.want)
		}
		// InvokeWithResponseStream.
		sc := invokeAPI(t, e, true, "{}", nil)
		fail(rt.next(), c.header, c.body)
		r = <-sc
		complete := invokeComplete(t, r.Body)
		if complete["ErrorCode"] != c.want || complete["ErrorDetails"] != c.body {
			t.Errorf("%s: InvokeComplete = %v, want ErrorCode %q", c.name, complete, c.want)
		}
	}
}

// invokeComplete reads an InvokeWithResponseStream answer to its
// InvokeComplete event.
func invokeComplete(t *testing.T, body io.Reader) map[string]string {
	t.Helper()
	dec := eventstream.NewDecoder()
	for {
		msg, err := dec.Decode(body, nil)
		if err != nil {
			t.Fatalf("no InvokeComplete event: %v", err)
		}
		if msg.Headers.Get(":event-type").String() == "InvokeComplete" {
			var out map[string]string
			if err := json.Unmarshal(msg.Payload, &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
}

// TestTimeoutLogLine: a timed-out invocation's log says "Task timed out
// after N.NN seconds" before its END and REPORT lines, in the function's
// output and in the log tail Invoke returns.
func TestTimeoutLogLine(t *testing.T) {
	t.Parallel()
	var out syncbuf.Buffer
	e := emulatortest.Start(t, emulator.Config{Name: "fn", Timeout: 250 * time.Millisecond, Output: &out})
	rt := newRaw(t, e)
	ic := invokeAPI(t, e, false, "{}", map[string]string{"X-Amz-Log-Type": "Tail"})
	d := rt.next()
	r := <-ic
	if r.Header.Get("X-Amz-Function-Error") != "Unhandled" {
		t.Fatalf("timed-out invocation: %v", r.Header)
	}
	tail, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Amz-Log-Result"))
	if err != nil {
		t.Fatal(err)
	}
	id := d.header.Get("Lambda-Runtime-Aws-Request-Id")
	want := regexp.MustCompile(`(?m)^\S+ ` + id + ` Task timed out after 0\.25 seconds\nEND RequestId: ` + id + `\nREPORT RequestId: ` + id)
	if !want.Match(tail) {
		t.Errorf("log tail:\n%s\nwant the timeout line before END and REPORT", tail)
	}
	if !want.MatchString(strings.ReplaceAll(out.String(), "[fn] ", "")) {
		t.Errorf("function output:\n%s\nwant the timeout line before END and REPORT", out.String())
	}
}

// TestReportLine: REPORT lines say the process's peak memory, and the
// first invocation of a process its init duration, as Lambda's do.
func TestReportLine(t *testing.T) {
	t.Parallel()
	var out syncbuf.Buffer
	e := emulatortest.Start(t, emulator.Config{Name: "fn", Package: "./testdata/crasher", Timeout: 10 * time.Second, Output: &out})
	for range 2 {
		if r := <-call(t, e, "hello"); r.StatusCode != http.StatusOK {
			t.Fatalf("call: %d", r.StatusCode)
		}
	}
	reports := regexp.MustCompile(`REPORT RequestId: \S+\tDuration: [0-9.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB(\tMax Memory Used: (\d+) MB)?(\tInit Duration: [0-9.]+ ms)?\n`).FindAllStringSubmatch(out.String(), -1)
	if len(reports) != 2 {
		t.Fatalf("output:\n%s\nwant two REPORT lines", out.String())
	}
	// Peak memory comes from /proc, which only Linux has.
	if runtime.GOOS == "linux" && (reports[0][2] == "" || reports[0][2] == "0" || reports[1][2] == "") {
		t.Errorf("output:\n%s\nwant Max Memory Used, above 0 MB, on every REPORT line", out.String())
	}
	if reports[0][3] == "" || reports[1][3] != "" {
		t.Errorf("output:\n%s\nwant Init Duration on the cold start's REPORT only", out.String())
	}
}

// TestStreamedErrorTrailerType: a streamed response that ends with an error
// body trailer and no error type trailer is a function error of type
// Runtime.Unknown, as a buffered /error without the header is.
func TestStreamedErrorTrailerType(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Name: "fn", Timeout: 5 * time.Second})
	rt := newRaw(t, e)
	sc := invokeAPI(t, e, true, "{}", nil)
	d := rt.next()
	body := `{"errorMessage":"boom","errorType":"errorString"}`
	trailer := http.Header{"Lambda-Runtime-Function-Error-Body": nil}
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte("partial"))
		trailer.Set("Lambda-Runtime-Function-Error-Body", base64.StdEncoding.EncodeToString([]byte(body)))
		pw.Close()
	}()
	rt.post("invocation/"+d.header.Get("Lambda-Runtime-Aws-Request-Id")+"/response",
		map[string]string{"Lambda-Runtime-Function-Response-Mode": "streaming", "Content-Type": "text/plain"}, pr, trailer)
	r := <-sc
	if c := invokeComplete(t, r.Body); c["ErrorCode"] != "Runtime.Unknown" || c["ErrorDetails"] != body {
		t.Errorf("InvokeComplete = %v, want ErrorCode Runtime.Unknown with the body", c)
	}
}
