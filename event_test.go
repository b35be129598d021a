package lambdagrpc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// anyResponse holds the fields of every source's response document.
type anyResponse struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Cookies           []string            `json:"cookies"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

func invoke(t testing.TB, eh *lambdagrpc.EventHandler, event []byte) anyResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := eh.Invoke(ctx, event)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if !json.Valid(out) {
		t.Fatalf("response is not JSON: %q", out)
	}
	var r anyResponse
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r anyResponse) body(t testing.TB) []byte {
	t.Helper()
	if !r.IsBase64Encoded {
		return []byte(r.Body)
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		t.Fatalf("body is not base64: %v", err)
	}
	return b
}

func TestEventSources(t *testing.T) {
	t.Parallel()
	eh := lambdagrpc.NewEventHandler(newTestServer(t), lambdagrpc.WithLogger(quietLogger()))
	cases := []struct {
		file       string
		multi      bool
		alb        bool
		text       bool
		wantHeader []string // x-echo-header values as the response carries them
	}{
		{file: "functionurl.json", wantHeader: []string{"a, b"}},
		{file: "httpapi-v2.json", text: true, wantHeader: []string{"v"}},
		{file: "httpapi-v1.json", multi: true, wantHeader: []string{"first", "second"}},
		{file: "rest.json", multi: true, wantHeader: []string{"first", "second"}},
		{file: "alb.json", alb: true, wantHeader: []string{"v"}},
		{file: "alb-multivalue.json", alb: true, multi: true, wantHeader: []string{"first", "second"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			event, err := os.ReadFile(filepath.Join("testdata", "events", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			r := invoke(t, eh, event)
			if r.StatusCode != 200 {
				t.Fatalf("statusCode = %d, want 200", r.StatusCode)
			}
			if tc.alb != (r.StatusDescription == "200 OK") {
				t.Errorf("statusDescription = %q", r.StatusDescription)
			}
			var echoed []string
			var ct string
			if tc.multi {
				if r.Headers != nil {
					t.Errorf("multi-value event answered with single-value headers %v", r.Headers)
				}
				echoed, ct = r.MultiValueHeaders["x-echo-header"], strings.Join(r.MultiValueHeaders["content-type"], ",")
			} else {
				if r.MultiValueHeaders != nil {
					t.Errorf("single-value event answered with multi-value headers")
				}
				echoed, ct = []string{r.Headers["x-echo-header"]}, r.Headers["content-type"]
			}
			if strings.Join(echoed, "|") != strings.Join(tc.wantHeader, "|") {
				t.Errorf("x-echo-header = %q, want %q", echoed, tc.wantHeader)
			}
			body := r.body(t)
			if tc.text {
				if r.IsBase64Encoded || ct != "application/grpc-web-text+proto" {
					t.Fatalf("text response: isBase64Encoded %v, content type %q", r.IsBase64Encoded, ct)
				}
				if body, err = wire.DecodeText(nil, body); err != nil {
					t.Fatal(err)
				}
			} else if !r.IsBase64Encoded || ct != "application/grpc-web+proto" {
				t.Fatalf("binary response: isBase64Encoded %v, content type %q", r.IsBase64Encoded, ct)
			}
			res := parseWeb(t, body)
			if res.status.Code() != codes.OK || len(res.messages) != 1 {
				t.Fatalf("status %v, %d messages", res.status, len(res.messages))
			}
			var out testpb.SimpleResponse
			if err := proto.Unmarshal(res.messages[0], &out); err != nil || string(out.GetPayload().GetBody()) != "hi" {
				t.Fatalf("response %v: %v", &out, err)
			}
		})
	}
}

func TestEventBinaryMetadataSplit(t *testing.T) {
	t.Parallel()
	eh := lambdagrpc.NewEventHandler(newTestServer(t), lambdagrpc.WithLogger(quietLogger()))
	event, err := os.ReadFile(filepath.Join("testdata", "events", "functionurl.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := invoke(t, eh, event)
	// The front door joined two binary values with a comma; each must reach
	// the handler as its own value and come back in the trailers.
	res := parseWeb(t, r.body(t))
	got := res.trailer.Values("X-Echo-Bin")
	if len(got) != 2 {
		t.Fatalf("x-echo-bin trailers = %q, want two values", got)
	}
	for i, want := range [][]byte{{0, 1}, {2, 3}} {
		b, err := wire.DecodeBinary(got[i])
		if err != nil || string(b) != string(want) {
			t.Errorf("value %d = %q (%v), want %v", i, got[i], err, want)
		}
	}
}

func TestEventErrors(t *testing.T) {
	t.Parallel()
	eh := lambdagrpc.NewEventHandler(newTestServer(t), lambdagrpc.WithLogger(quietLogger()))
	for _, event := range []string{`not json`, `{"hello":"world"}`, `[]`, `{"version":"2.0","requestContext":{"http":{}}}`} {
		if _, err := eh.Invoke(context.Background(), []byte(event)); err == nil {
			t.Errorf("Invoke(%s) succeeded, want an error", event)
		}
	}
	// A decodable event with a broken body gets an answer in its protocol.
	bad := `{"version":"2.0","rawPath":"/grpc.testing.TestService/UnaryCall","headers":{"content-type":"application/grpc-web"},` +
		`"requestContext":{"http":{"method":"POST"}},"body":"***","isBase64Encoded":true}`
	r := invoke(t, eh, []byte(bad))
	res := parseWeb(t, r.body(t))
	if res.status.Code() != codes.InvalidArgument || !strings.Contains(res.status.Message(), "base64") {
		t.Fatalf("status %v, want INVALID_ARGUMENT naming base64", res.status)
	}
}

func TestEventResponseTooLarge(t *testing.T) {
	t.Parallel()
	eh := lambdagrpc.NewEventHandler(newTestServer(t), lambdagrpc.WithLogger(quietLogger()))
	req := mustMarshal(t, &testpb.SimpleRequest{ResponseSize: 5 << 20})
	event, _ := json.Marshal(map[string]any{
		"version": "2.0", "rawPath": unaryPath,
		"headers":        map[string]string{"content-type": "application/grpc-web"},
		"requestContext": map[string]any{"http": map[string]string{"method": "POST"}},
		"body":           base64.StdEncoding.EncodeToString(wire.AppendFrame(nil, 0, req)), "isBase64Encoded": true,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := eh.Invoke(ctx, event)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > 6291556 {
		t.Fatalf("response of %d bytes exceeds the limit", len(out))
	}
	var r anyResponse
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	res := parseWeb(t, r.body(t))
	if res.status.Code() != codes.ResourceExhausted || !strings.Contains(res.status.Message(), "6291556") || !strings.Contains(res.status.Message(), "RESPONSE_STREAM") {
		t.Fatalf("status %v, want RESOURCE_EXHAUSTED naming the limit and streaming", res.status)
	}
	if len(res.messages) != 0 {
		t.Fatalf("%d messages survived", len(res.messages))
	}
}
