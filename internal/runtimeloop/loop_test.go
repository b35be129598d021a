package runtimeloop_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeloop"
)

// script is an Invoker that answers as its payload says, knowing nothing
// of HTTP events: the loop must not either.
type script struct{}

func (script) Invoke(ctx context.Context, inv *runtimeapi.Invocation, out *runtimeloop.Response) {
	if _, ok := ctx.Deadline(); !ok || inv.RequestID == "" {
		out.Error("Test.NoDeadline", "the call's context has no deadline, or the invocation no id")
		return
	}
	switch string(inv.Payload) {
	case `"error"`:
		out.Error("Test.Failed", "asked to fail")
	case `"nothing"`:
		// A bug: the loop answers for it.
	case `"stream"`, `"stream-failure"`:
		w := out.Stream("text/plain")
		for _, s := range []string{"one ", "two ", "three"} {
			if _, err := io.WriteString(w, s); err != nil {
				out.CloseStream(err, nil)
				return
			}
		}
		var failure *runtimeapi.StreamError
		if string(inv.Payload) == `"stream-failure"` {
			failure = &runtimeapi.StreamError{Type: "Test.Midway", Message: "failed after the first byte"}
		}
		out.CloseStream(nil, failure)
	default:
		out.Buffered("application/json", inv.Payload)
	}
}

func startLoop(t *testing.T) *emulator.Emulator {
	t.Helper()
	e := emulatortest.Start(t, emulator.Config{Timeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runtimeloop.Run(ctx, runtimeloop.Config{Addr: e.RuntimeAPIAddr(), Concurrency: 2, Logger: slog.New(slog.DiscardHandler)}, script{})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return e
}

func TestRunBufferedAndError(t *testing.T) {
	e := startLoop(t)
	invoke := func(payload string) (*http.Response, string) {
		resp, err := http.Post(e.InvokeEndpoint()+"/2015-03-31/functions/function/invocations", "application/json", strings.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := invoke(`{"echo":1}`); resp.Header.Get("X-Amz-Function-Error") != "" || body != `{"echo":1}` {
		t.Errorf("buffered: %q, error %q", body, resp.Header.Get("X-Amz-Function-Error"))
	}
	for payload, errType := range map[string]string{`"error"`: "Test.Failed", `"nothing"`: "Runtime.NoAnswer"} {
		resp, body := invoke(payload)
		var er runtimeapi.ErrorResponse
		if err := json.Unmarshal([]byte(body), &er); err != nil || resp.Header.Get("X-Amz-Function-Error") == "" || er.ErrorType != errType {
			t.Errorf("%s: %q (%v), error header %q; want %s", payload, body, err, resp.Header.Get("X-Amz-Function-Error"), errType)
		}
	}
}

func TestRunStreamed(t *testing.T) {
	e := startLoop(t)
	for _, tc := range []struct{ payload, errCode string }{{`"stream"`, ""}, {`"stream-failure"`, "Test.Midway"}} {
		resp, err := http.Post(e.InvokeEndpoint()+"/2021-11-15/functions/function/response-streaming-invocations", "application/json", strings.NewReader(tc.payload))
		if err != nil {
			t.Fatal(err)
		}
		var body []byte
		complete := map[string]string{}
		dec := eventstream.NewDecoder()
		for {
			m, err := dec.Decode(resp.Body, nil)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch m.Headers.Get(":event-type").String() {
			case "PayloadChunk":
				body = append(body, m.Payload...)
			case "InvokeComplete":
				if err := json.Unmarshal(m.Payload, &complete); err != nil {
					t.Fatal(err)
				}
			}
		}
		resp.Body.Close()
		if string(body) != "one two three" || complete["ErrorCode"] != tc.errCode {
			t.Errorf("%s: body %q, ErrorCode %q; want %q", tc.payload, body, complete["ErrorCode"], tc.errCode)
		}
	}
}
