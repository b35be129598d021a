package eventsource

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeloop"
)

// queueEvents stands for a non-HTTP source: it takes the events whose
// payload names it, and answers with what it read.
type queueEvents struct{}

func (queueEvents) answer(ctx context.Context, iv *Invoker, inv *runtimeapi.Invocation, out *runtimeloop.Response) bool {
	if !bytes.Contains(inv.Payload, []byte(`"eventSource":"test:queue"`)) {
		return false
	}
	_ = iv.NewContext(ctx, inv, nil)
	out.Buffered("application/json", []byte(`{"batchItemFailures":[]}`))
	return true
}

// TestInvokerSources registers one more source, as a later kind of event
// would be added, and invokes the loop with its event, with an HTTP event
// and with one that no source takes.
func TestInvokerSources(t *testing.T) {
	sources = append(sources[:len(sources):len(sources)], queueEvents{})
	t.Cleanup(func() { sources = sources[:len(sources)-1] })

	e := emulatortest.Start(t, emulator.Config{Timeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	contexts := make(chan json.RawMessage, 8)
	iv := &Invoker{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, r.Method+" "+r.URL.Path)
		}),
		NewContext: func(ctx context.Context, _ *runtimeapi.Invocation, rc json.RawMessage) context.Context {
			contexts <- rc
			return ctx
		},
	}
	go func() {
		done <- runtimeloop.Run(ctx, runtimeloop.Config{Addr: e.RuntimeAPIAddr(), Logger: slog.New(slog.DiscardHandler)}, iv)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	invoke := func(payload string) (string, string) {
		t.Helper()
		resp, err := http.Post(e.InvokeEndpoint()+"/2015-03-31/functions/function/invocations", "application/json", strings.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.Header.Get("X-Amz-Function-Error")
	}

	if body, fail := invoke(`{"Records":[{"eventSource":"test:queue","body":"x"}]}`); fail != "" || body != `{"batchItemFailures":[]}` {
		t.Errorf("the queue event: %q (error %q)", body, fail)
	}
	body, fail := invoke(`{"version":"2.0","rawPath":"/a/b","requestContext":{"domainName":"x.lambda-url.us-east-1.on.aws","http":{"method":"POST"}}}`)
	var doc struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || fail != "" || doc.StatusCode != 200 || doc.Body != "POST /a/b" {
		t.Errorf("the HTTP event: %q (error %q, %v)", body, fail, err)
	}
	body, fail = invoke(`{"Records":[{"eventSource":"aws:kinesis"}]}`)
	var er runtimeapi.ErrorResponse
	if err := json.Unmarshal([]byte(body), &er); err != nil || fail == "" || er.ErrorType != "Runtime.InvalidEvent" ||
		er.ErrorMessage != "invalid HTTP event: not a Function URL, API Gateway or ALB event" {
		t.Errorf("the unknown event: %q (error %q)", body, fail)
	}
	if rc := <-contexts; rc != nil {
		t.Errorf("the queue event's requestContext %s", rc)
	}
	if rc := <-contexts; !bytes.Contains(rc, []byte("lambda-url")) {
		t.Errorf("the HTTP event's requestContext %s", rc)
	}
}
