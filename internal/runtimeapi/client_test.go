package runtimeapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeAPI is a scripted Runtime API for the client's unit tests; the
// emulator package tests the real behaviour end to end.
type fakeAPI struct {
	t        *testing.T
	next     http.HandlerFunc
	response http.HandlerFunc
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == PathNext:
		f.next(w, r)
	case strings.HasPrefix(r.URL.Path, PathInvocation) || r.URL.Path == PathInitError:
		f.response(w, r)
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(404)
	}
}

func start(t *testing.T, f *fakeAPI) *Client {
	f.t = t
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	c := NewClient(strings.TrimPrefix(ts.URL, "http://"), 1, "test")
	t.Cleanup(c.Close)
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestNextParsesHeaders(t *testing.T) {
	t.Parallel()
	deadline := time.Now().Add(3 * time.Second).Truncate(time.Millisecond)
	c := start(t, &fakeAPI{next: func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set(HeaderRequestID, "req-1")
		h.Set(HeaderDeadlineMs, strconvI(deadline.UnixMilli()))
		h.Set(HeaderFunctionARN, "arn:aws:lambda:eu-west-1:123456789012:function:f")
		h.Set(HeaderTraceID, "Root=1-abc;Parent=def;Sampled=1")
		h.Set(HeaderClientContext, `{"custom":{"a":"b"}}`)
		h.Set(HeaderCognitoIdentity, `{"cognitoIdentityId":"id"}`)
		h.Set(HeaderTenantID, "tenant-7")
		h.Set(HeaderInvocationID, "inv-9")
		io.WriteString(w, `{"event":true}`)
	}})
	inv, err := c.Next(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := Invocation{RequestID: "req-1", InvocationID: "inv-9", FunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:f",
		TraceID: "Root=1-abc;Parent=def;Sampled=1", ClientContext: `{"custom":{"a":"b"}}`, CognitoIdentity: `{"cognitoIdentityId":"id"}`,
		TenantID: "tenant-7", Deadline: deadline}
	got := *inv
	got.Payload = nil
	if !got.Deadline.Equal(want.Deadline) {
		t.Errorf("Deadline = %v, want %v", got.Deadline, want.Deadline)
	}
	got.Deadline = want.Deadline
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Next() = %+v, want %+v", got, want)
	}
	if string(inv.Payload) != `{"event":true}` {
		t.Errorf("Payload = %q", inv.Payload)
	}
}

func strconvI(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestRespondEchoesInvocationID(t *testing.T) {
	t.Parallel()
	got := make(chan http.Header, 2)
	c := start(t, &fakeAPI{response: func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		w.WriteHeader(http.StatusAccepted)
	}})
	if err := c.Respond(ctx(t), &Invocation{RequestID: "r", InvocationID: "inv-1"}, "application/json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if h := <-got; h.Get(HeaderInvocationID) != "inv-1" {
		t.Errorf("%s = %q, want inv-1", HeaderInvocationID, h.Get(HeaderInvocationID))
	}
	if err := c.Respond(ctx(t), &Invocation{RequestID: "r"}, "application/json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if h := <-got; len(h.Values(HeaderInvocationID)) != 0 {
		t.Errorf("%s sent although /next had none", HeaderInvocationID)
	}
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code                  int
		stale, large, isFatal bool
	}{
		{code: 410, stale: true}, {code: 413, large: true}, {code: 500, isFatal: true}, {code: 403},
	} {
		c := start(t, &fakeAPI{response: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.code)
			io.WriteString(w, `{"errorType":"T","errorMessage":"M"}`)
		}})
		err := c.Respond(ctx(t), &Invocation{RequestID: "r"}, "", nil)
		se, ok := IsStatus(err)
		if !ok {
			t.Fatalf("%d: error %v is not a StatusError", tc.code, err)
		}
		if se.Stale() != tc.stale || se.TooLarge() != tc.large || se.Fatal() != tc.isFatal || se.ErrorType != "T" || se.Message != "M" {
			t.Errorf("%d: %+v", tc.code, se)
		}
	}
}

func TestRespondStreamChunksAndTrailers(t *testing.T) {
	t.Parallel()
	firstChunk := make(chan string, 1)
	done := make(chan http.Header, 1)
	c := start(t, &fakeAPI{response: func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderResponseMode) != ResponseModeStreamed || len(r.TransferEncoding) == 0 {
			t.Errorf("mode %q, transfer encoding %v", r.Header.Get(HeaderResponseMode), r.TransferEncoding)
		}
		buf := make([]byte, 64)
		n, _ := r.Body.Read(buf)
		firstChunk <- string(buf[:n])
		io.Copy(io.Discard, r.Body)
		done <- r.Trailer.Clone()
		w.WriteHeader(http.StatusAccepted)
	}})
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- c.RespondStream(ctx(t), &Invocation{RequestID: "r"}, ContentTypeHTTPIntegration, pr, func() *StreamError {
			return &StreamError{Type: "Function.Broken", Message: "midway"}
		})
	}()
	pw.Write([]byte("first"))
	// The first chunk must arrive while the body is still open.
	select {
	case got := <-firstChunk:
		if got != "first" {
			t.Fatalf("first chunk %q", got)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the first chunk did not arrive before the body ended")
	}
	pw.Write([]byte("second"))
	pw.Close()
	tr := <-done
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if tr.Get(HeaderErrorType) != "Function.Broken" {
		t.Fatalf("trailers %v", tr)
	}
	b, err := base64.StdEncoding.DecodeString(tr.Get(HeaderErrorBody))
	if err != nil {
		t.Fatal(err)
	}
	var er ErrorResponse
	if err := json.Unmarshal(b, &er); err != nil || er.ErrorMessage != "midway" || er.ErrorType != "Function.Broken" {
		t.Fatalf("error body %s: %v", b, err)
	}
}

func TestErrorRequests(t *testing.T) {
	t.Parallel()
	paths := make(chan string, 2)
	c := start(t, &fakeAPI{response: func(w http.ResponseWriter, r *http.Request) {
		var er ErrorResponse
		if err := json.NewDecoder(r.Body).Decode(&er); err != nil || er.ErrorType != r.Header.Get(HeaderErrorType) {
			t.Errorf("error body %+v (%v), type header %q", er, err, r.Header.Get(HeaderErrorType))
		}
		paths <- r.URL.Path
		w.WriteHeader(http.StatusAccepted)
	}})
	if err := c.ReportError(ctx(t), &Invocation{RequestID: "abc"}, "Runtime.X", "m"); err != nil {
		t.Fatal(err)
	}
	if err := c.ReportInitError(ctx(t), "Runtime.Y", "m"); err != nil {
		t.Fatal(err)
	}
	if p := <-paths; p != PathInvocation+"abc"+SuffixError {
		t.Errorf("error path %q", p)
	}
	if p := <-paths; p != PathInitError {
		t.Errorf("init error path %q", p)
	}
}

func TestNoProxy(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	c := start(t, &fakeAPI{next: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderRequestID, "r")
		io.WriteString(w, "{}")
	}})
	if _, err := c.Next(ctx(t)); err != nil {
		t.Fatalf("Next went through the proxy: %v", err)
	}
}
