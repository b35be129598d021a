package lambdagrpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// fakeRuntime is a minimal scripted Runtime API for unit tests of the
// runtime loop; the end-to-end tests use the emulator package.
type fakeRuntime struct {
	events  chan fakeEvent
	results sync.Map // request id -> chan result
	status  int      // answer to /response; 0 means 202

	mu         sync.Mutex
	initErrors []initError // posts to /runtime/init/error
}

// initError is one post to /runtime/init/error.
type initError struct {
	errType string // the Lambda-Runtime-Function-Error-Type header
	body    []byte
}

// initErrorsPosted returns the init errors posted so far.
func (f *fakeRuntime) initErrorsPosted() []initError {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.initErrors)
}

type fakeEvent struct {
	id       string
	payload  []byte
	deadline time.Time
}

type result struct {
	header  http.Header
	chunks  chan []byte // streamed bodies, chunk by chunk
	body    []byte
	trailer http.Header
	isError bool
}

func newFakeRuntime(t *testing.T) (*fakeRuntime, string) {
	f := &fakeRuntime{events: make(chan fakeEvent, 100)}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return f, strings.TrimPrefix(ts.URL, "http://")
}

func (f *fakeRuntime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == runtimeapi.PathInitError {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.initErrors = append(f.initErrors, initError{errType: r.Header.Get(runtimeapi.HeaderErrorType), body: body})
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if r.URL.Path == runtimeapi.PathNext {
		select {
		case ev := <-f.events:
			w.Header().Set(runtimeapi.HeaderRequestID, ev.id)
			w.Header().Set(runtimeapi.HeaderDeadlineMs, strconv.FormatInt(ev.deadline.UnixMilli(), 10))
			w.Header().Set(runtimeapi.HeaderTraceID, "Root=1-"+ev.id)
			w.Write(ev.payload)
		case <-r.Context().Done():
		}
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, runtimeapi.PathInvocation)
	id, kind, _ := strings.Cut(rest, "/")
	ch, _ := f.results.LoadOrStore(id, make(chan *result, 1))
	res := &result{header: r.Header.Clone(), isError: kind == "error", chunks: make(chan []byte, 1000)}
	if r.Header.Get(runtimeapi.HeaderResponseMode) == runtimeapi.ResponseModeStreamed {
		ch.(chan *result) <- res
		buf := make([]byte, 64<<10)
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				res.chunks <- bytes.Clone(buf[:n])
			}
			if err != nil {
				break
			}
		}
		res.trailer = r.Trailer.Clone()
		close(res.chunks)
	} else {
		res.body, _ = io.ReadAll(r.Body)
		close(res.chunks)
		ch.(chan *result) <- res
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (f *fakeRuntime) result(t *testing.T, id string) *result {
	t.Helper()
	ch, _ := f.results.LoadOrStore(id, make(chan *result, 1))
	select {
	case r := <-ch.(chan *result):
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("no result for %s", id)
		return nil
	}
}

func serveLambda(t *testing.T, addr string, opts ...lambdagrpc.Option) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts = append([]lambdagrpc.Option{lambdagrpc.WithRuntimeAPI(addr), lambdagrpc.WithLogger(quietLogger())}, opts...)
	go func() { done <- lambdagrpc.Serve(ctx, newTestServer(t), opts...) }()
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

func TestLambdaStreamedServerStream(t *testing.T) {
	t.Parallel()
	f, addr := newFakeRuntime(t)
	serveLambda(t, addr, lambdagrpc.WithInvokeMode(lambdagrpc.ResponseStream))
	// The handler holds its later messages until the test has seen the
	// first one arrive, which only a streamed response allows.
	gate, open := testsvc.NewGate()
	defer open()
	var ev map[string]any
	params := []*testpb.ResponseParameters{{Size: 10}, {Size: 10}, {Size: 10}}
	_ = json.Unmarshal(functionURLEvent(t, streamPath, mustMarshal(t, &testpb.StreamingOutputCallRequest{ResponseParameters: params})), &ev)
	ev["headers"].(map[string]any)[testsvc.Gate] = gate
	payload, _ := json.Marshal(ev)
	f.events <- fakeEvent{id: "s1", deadline: time.Now().Add(10 * time.Second), payload: payload}
	res := f.result(t, "s1")
	if ct := res.header.Get("Content-Type"); ct != runtimeapi.ContentTypeHTTPIntegration {
		t.Fatalf("Content-Type = %q", ct)
	}
	var all []byte
	for c := range res.chunks {
		all = append(all, c...)
		if i := bytes.Index(all, runtimeapi.PreludeDelimiter[:]); i >= 0 && len(all) >= i+8+wire.HeaderLen+12 {
			open()
		}
	}
	i := bytes.Index(all, runtimeapi.PreludeDelimiter[:])
	var prelude struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
	}
	if err := json.Unmarshal(all[:i], &prelude); err != nil || prelude.StatusCode != 200 || prelude.Headers["content-type"] != "application/grpc-web+proto" {
		t.Fatalf("prelude %q: %v", all[:i], err)
	}
	r := parseWeb(t, all[i+8:])
	if r.status.Code() != codes.OK || len(r.messages) != 3 {
		t.Fatalf("status %v, %d messages", r.status, len(r.messages))
	}
	if len(res.trailer.Get(runtimeapi.HeaderErrorType)) != 0 {
		t.Fatalf("error trailers on a good stream: %v", res.trailer)
	}
}

func TestLambdaDeadlineBeforeLambdaKills(t *testing.T) {
	t.Parallel()
	f, addr := newFakeRuntime(t)
	// The 2s margin leaves a loaded machine time to end the stream.
	serveLambda(t, addr, lambdagrpc.WithInvokeMode(lambdagrpc.ResponseStream), lambdagrpc.WithDeadlineMargin(2*time.Second))
	// The handler ignores its context and would run for 10s; Lambda's
	// deadline is in 4s. The stream must end with DEADLINE_EXCEEDED before
	// that.
	deadline := time.Now().Add(4 * time.Second)
	params := []*testpb.ResponseParameters{{Size: 1}, {Size: 1, IntervalUs: 10000000}}
	f.events <- fakeEvent{id: "d1", deadline: deadline,
		payload: functionURLEvent(t, streamPath, mustMarshal(t, &testpb.StreamingOutputCallRequest{ResponseParameters: params}))}
	res := f.result(t, "d1")
	var all []byte
	for c := range res.chunks {
		all = append(all, c...)
	}
	if now := time.Now(); now.After(deadline) {
		t.Fatalf("the response ended %v after the Lambda deadline", now.Sub(deadline))
	}
	i := bytes.Index(all, runtimeapi.PreludeDelimiter[:])
	r := parseWeb(t, all[i+8:])
	if r.status.Code() != codes.DeadlineExceeded || len(r.messages) != 1 {
		t.Fatalf("status %v after %d messages, want DEADLINE_EXCEEDED after 1", r.status, len(r.messages))
	}
}

func TestLambdaConcurrency(t *testing.T) {
	t.Parallel()
	f, addr := newFakeRuntime(t)
	serveLambda(t, addr, lambdagrpc.WithMaxConcurrency(16))
	const n, concurrency = 64, 16
	// The first 16 wait at a barrier only 16 invocations in flight together
	// can pass; the rest are ordinary.
	barrier := testsvc.NewBarrier(concurrency)
	for i := range n {
		k, v := testsvc.Sleep, "1"
		if i < concurrency {
			k, v = testsvc.Barrier, barrier
		}
		f.events <- fakeEvent{id: fmt.Sprint("c", i), deadline: time.Now().Add(20 * time.Second), payload: eventWithHeader(t, k, v)}
	}
	for i := range n {
		res := f.result(t, fmt.Sprint("c", i))
		var doc anyResponse
		if err := json.Unmarshal(res.body, &doc); err != nil || doc.StatusCode != 200 {
			t.Fatalf("invocation %d: %s (%v)", i, res.body, err)
		}
		if r := parseWeb(t, doc.body(t)); r.status.Code() != codes.OK {
			t.Fatalf("invocation %d: %v (a barrier invocation that times out means fewer than %d ran at once)", i, r.status, concurrency)
		}
	}
}

func eventWithHeader(t *testing.T, k, v string) []byte {
	var ev map[string]any
	if err := json.Unmarshal(functionURLEvent(t, unaryPath, nil), &ev); err != nil {
		t.Fatal(err)
	}
	ev["headers"].(map[string]any)[k] = v
	b, _ := json.Marshal(ev)
	return b
}

func TestLambdaBadEventAndStaleResponse(t *testing.T) {
	t.Parallel()
	f, addr := newFakeRuntime(t)
	f.status = http.StatusGone
	serveLambda(t, addr)
	f.events <- fakeEvent{id: "bad", deadline: time.Now().Add(5 * time.Second), payload: []byte("not an event")}
	if res := f.result(t, "bad"); !res.isError {
		t.Fatalf("a malformed event was answered with a response, want /error")
	}
	// The 410 answers did not stop the loop: the next invocation is served.
	f.events <- fakeEvent{id: "good", deadline: time.Now().Add(5 * time.Second), payload: functionURLEvent(t, unaryPath, nil)}
	if res := f.result(t, "good"); res.isError {
		t.Fatalf("good invocation answered with /error: %s", res.body)
	}
}

func TestLambdaFatalRuntimeError(t *testing.T) {
	t.Parallel()
	f, addr := newFakeRuntime(t)
	f.status = http.StatusInternalServerError
	errc := make(chan error, 1)
	go func() {
		errc <- lambdagrpc.Serve(context.Background(), newTestServer(t), lambdagrpc.WithRuntimeAPI(addr), lambdagrpc.WithLogger(quietLogger()))
	}()
	f.events <- fakeEvent{id: "x", deadline: time.Now().Add(5 * time.Second), payload: functionURLEvent(t, unaryPath, nil)}
	f.result(t, "x")
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "500") {
			t.Fatalf("Serve returned %v, want the 500", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve kept running after a non-recoverable Runtime API error")
	}
}
