package emulator_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
)

func TestSetRoutesByName(t *testing.T) {
	t.Parallel()
	s, err := emulator.StartSet(t.Context(), "", emulator.Config{Name: "a"}, emulator.Config{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var runtimes sync.WaitGroup
	defer runtimes.Wait()
	for _, name := range []string{"a", "b"} {
		rt := newRaw(t, s.Function(name))
		runtimes.Go(func() {
			d := rt.next()
			rt.post("invocation/"+d.header.Get("Lambda-Runtime-Aws-Request-Id")+"/response", nil, strings.NewReader(`"from `+name+`"`), nil)
		})
	}
	for _, name := range []string{"b", "a"} {
		resp, err := http.Post(s.InvokeEndpoint()+"/2015-03-31/functions/"+name+"/invocations", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != `"from `+name+`"` {
			t.Errorf("invoking %s answered %s", name, b)
		}
	}
	if _, err := emulator.StartSet(t.Context(), "", emulator.Config{Name: "x"}, emulator.Config{Name: "x"}); err == nil {
		t.Error("two functions with one name were accepted")
	}
}

func TestFunctionURLCORS(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{CORS: &emulator.CORS{
		AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"POST"}, AllowHeaders: []string{"*"}, ExposeHeaders: []string{"grpc-status"}, MaxAge: 60,
	}})
	req, _ := http.NewRequest(http.MethodOptions, e.URL()+"/x", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-grpc-web")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Access-Control-Allow-Origin") != "https://app.example" || h.Get("Access-Control-Allow-Methods") != "POST" ||
		h.Get("Access-Control-Allow-Headers") != "content-type,x-grpc-web" || h.Get("Access-Control-Max-Age") != "60" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, h)
	}
	// The URL's headers replace the function's.
	rt := newRaw(t, e)
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		d := rt.next()
		rt.post("invocation/"+d.header.Get("Lambda-Runtime-Aws-Request-Id")+"/response", nil,
			strings.NewReader(`{"statusCode":200,"headers":{"access-control-allow-origin":"*"},"body":"x"}`), nil)
	}()
	// The runtime's post must finish before the test (and its emulator) do.
	defer func() { <-posted }()
	req, _ = http.NewRequest(http.MethodPost, e.URL()+"/x", strings.NewReader("{}"))
	req.Header.Set("Origin", "https://app.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || resp.Header.Get("Access-Control-Expose-Headers") != "grpc-status" {
		t.Fatalf("response CORS headers %v", resp.Header)
	}
}

func TestThrottling(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{ReservedConcurrency: 1, Timeout: 5 * time.Second})
	rt := newRaw(t, e)
	first := call(t, e, "x")
	d := rt.next()
	// The one allowed invocation is in flight: the next call is throttled.
	second := <-call(t, e, "y")
	if second.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("over reserved concurrency: %d, want 429", second.StatusCode)
	}
	resp, err := http.Post(e.InvokeEndpoint()+"/2015-03-31/functions/function/invocations", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Amzn-Errortype") != "TooManyRequestsException" {
		t.Fatalf("Invoke over reserved concurrency: %d %v", resp.StatusCode, resp.Header)
	}
	rt.post("invocation/"+d.header.Get("Lambda-Runtime-Aws-Request-Id")+"/response", nil, strings.NewReader(`{"statusCode":200,"body":"ok"}`), nil)
	if r := <-first; r.StatusCode != 200 {
		t.Fatalf("the admitted call: %d", r.StatusCode)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		d := rt.next()
		rt.post("invocation/"+d.header.Get("Lambda-Runtime-Aws-Request-Id")+"/response", nil, strings.NewReader(`{"statusCode":200,"body":"ok"}`), nil)
	})
	if r := <-call(t, e, "z"); r.StatusCode != 200 {
		t.Fatalf("after the slot freed: %d", r.StatusCode)
	}
	wg.Wait()
}
