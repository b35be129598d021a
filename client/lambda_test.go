package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/internal/testfn"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

var protocols = []client.Protocol{client.GRPCWeb, client.GRPCWebText, client.Connect}

// lambdaAnswer is what a call must end with when Lambda itself, not the
// function, answered it.
type lambdaAnswer struct {
	code codes.Code
	msg  []string // every one must appear in the status message
}

func checkLambdaAnswer(t *testing.T, what string, err error, want lambdaAnswer) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != want.code {
		t.Fatalf("%s: status %v %q, want %v", what, st.Code(), st.Message(), want.code)
	}
	for _, m := range want.msg {
		if !strings.Contains(st.Message(), m) {
			t.Errorf("%s: message %q, want it to contain %q", what, st.Message(), m)
		}
	}
}

// TestLambdaAnswersOnEveryProtocol makes the emulator's Function URL answer
// for Lambda itself (413 for a request over the payload limit, 429 for a
// throttled call, 502 for a failed invocation) and checks that every
// protocol reports them alike, though Lambda's JSON error bodies look like
// Connect errors.
func TestLambdaAnswersOnEveryProtocol(t *testing.T) {
	t.Parallel()
	e413 := testfn.Start(t, emulator.Config{Timeout: 10 * time.Second})
	for _, p := range protocols {
		t.Run("413/"+p.String(), func(t *testing.T) {
			t.Parallel()
			conn, _ := client.New(e413.URL(), client.WithProtocol(p))
			defer conn.Close()
			// Megabytes through base64 and JSON are slow under the race
			// detector on a busy machine: allow a minute.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// 5 MB of body is more than 6 MiB of event once base64-encoded.
			_, err := testpb.NewTestServiceClient(conn).UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, 5_000_000)}})
			checkLambdaAnswer(t, p.String(), err, lambdaAnswer{codes.ResourceExhausted, []string{"Lambda answered HTTP 413", "RequestTooLargeException"}})
		})
	}
	t.Run("429", func(t *testing.T) {
		t.Parallel()
		e := testfn.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: 10 * time.Second, ReservedConcurrency: 1})
		holder, _ := client.New(e.URL())
		defer holder.Close()
		gate, open := testsvc.NewGate()
		defer open()
		// The first message arrives while the handler waits at the gate:
		// from then on the one slot is taken.
		held, err := testpb.NewTestServiceClient(holder).StreamingOutputCall(metadata.AppendToOutgoingContext(ctx(t), testsvc.Gate, gate),
			&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := held.Recv(); err != nil {
			t.Fatal(err)
		}
		for _, p := range protocols {
			conn, _ := client.New(e.URL(), client.WithProtocol(p))
			_, err := testpb.NewTestServiceClient(conn).UnaryCall(ctx(t), &testpb.SimpleRequest{})
			checkLambdaAnswer(t, p.String(), err, lambdaAnswer{codes.ResourceExhausted, []string{"Lambda answered HTTP 429", "throttled", "TooManyRequestsException"}})
			conn.Close()
		}
		open()
		if _, err := held.Recv(); err != nil {
			t.Fatalf("the call that held the slot: %v", err)
		}
	})
	for _, p := range protocols {
		t.Run("502/"+p.String(), func(t *testing.T) {
			t.Parallel()
			// The runtime's response is refused (400, which a runtime
			// survives), so the invocation times out and the Function URL
			// answers 502.
			e := testfn.Start(t, emulator.Config{Timeout: time.Second})
			e.InjectFault(emulator.Fault{Endpoint: emulator.EndpointResponse, Status: http.StatusBadRequest})
			conn, _ := client.New(e.URL(), client.WithProtocol(p))
			defer conn.Close()
			_, err := testpb.NewTestServiceClient(conn).UnaryCall(ctx(t), &testpb.SimpleRequest{})
			checkLambdaAnswer(t, p.String(), err, lambdaAnswer{codes.Unavailable, []string{"Lambda answered HTTP 502", "Sandbox.Timedout"}})
		})
	}
}

// TestLambdaAnswersReplayed replays Lambda's own answers byte for byte (see
// the spec's "Errors produced by Lambda/front doors") to every protocol,
// unary and streaming.
func TestLambdaAnswersReplayed(t *testing.T) {
	t.Parallel()
	type answer struct {
		status int
		header map[string]string
		body   string
	}
	json := "application/json"
	cases := []struct {
		name string
		answer
		want lambdaAnswer
	}{
		{"Function URL 413 request", answer{413, map[string]string{"Content-Type": json, "X-Amzn-Errortype": "RequestTooLargeException"},
			`{"Message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}`},
			lambdaAnswer{codes.ResourceExhausted, []string{"Lambda answered HTTP 413", "request", "RequestTooLargeException"}}},
		{"Function URL 413 response", answer{413, map[string]string{"Content-Type": json, "X-Amzn-Errortype": "Function.ResponseSizeTooLarge", "X-Amzn-Requestid": "r1"},
			`{"Message":"Response payload size exceeded maximum allowed payload size (6291556 bytes)."}`},
			lambdaAnswer{codes.ResourceExhausted, []string{"Lambda answered HTTP 413", "response", "RESPONSE_STREAM", "Function.ResponseSizeTooLarge"}}},
		{"Function URL 429", answer{429, map[string]string{"Content-Type": json, "X-Amzn-Errortype": "TooManyRequestsException"}, `{"Message":"Rate Exceeded."}`},
			lambdaAnswer{codes.ResourceExhausted, []string{"Lambda answered HTTP 429", "throttled"}}},
		{"Function URL 502", answer{502, map[string]string{"Content-Type": json, "X-Amzn-Errortype": "Function.Unhandled", "X-Amzn-Requestid": "r2"}, `{"Message":"Internal Server Error"}`},
			lambdaAnswer{codes.Unavailable, []string{"Lambda answered HTTP 502", "Function.Unhandled"}}},
		{"API Gateway 502", answer{502, map[string]string{"Content-Type": json, "X-Amzn-Errortype": "InternalServerErrorException"}, `{"message":"Internal server error"}`},
			lambdaAnswer{codes.Unavailable, []string{"Lambda answered HTTP 502"}}},
		{"Invoke API function error", answer{200, map[string]string{"Content-Type": json, "X-Amz-Function-Error": "Unhandled"}, `{"errorMessage":"boom","errorType":"Runtime.ExitError"}`},
			lambdaAnswer{codes.Unavailable, []string{"Lambda", "function", "Unhandled"}}},
	}
	for _, tc := range cases {
		for _, p := range protocols {
			for _, streaming := range []bool{false, true} {
				name := tc.name + "/" + p.String()
				if streaming {
					name += "/stream"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						_, _ = io.Copy(io.Discard, r.Body)
						for k, v := range tc.header {
							w.Header().Set(k, v)
						}
						w.WriteHeader(tc.status)
						io.WriteString(w, tc.body)
					}))
					defer ts.Close()
					conn, _ := client.New(ts.URL, client.WithProtocol(p))
					defer conn.Close()
					c := testpb.NewTestServiceClient(conn)
					var err error
					if streaming {
						var s testpb.TestService_StreamingOutputCallClient
						if s, err = c.StreamingOutputCall(ctx(t), &testpb.StreamingOutputCallRequest{}); err == nil {
							_, err = s.Recv()
						}
					} else {
						_, err = c.UnaryCall(ctx(t), &testpb.SimpleRequest{})
					}
					checkLambdaAnswer(t, name, err, tc.want)
				})
			}
		}
	}
}

// TestHTTPErrorRedacted checks that an answer without a gRPC status is a
// *client.HTTPError whose redacted status keeps the code and the client's
// summary but drops the answer's own words (here, an ARN).
func TestHTTPErrorRedacted(t *testing.T) {
	t.Parallel()
	arn := "arn:aws:lambda:eu-west-1:123456789012:function:f"
	for _, h := range []http.HandlerFunc{
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"Message":"Function not found: `+arn+`"}`)
		},
		func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "upstream "+arn+" is down")
		},
	} {
		ts := httptest.NewServer(h)
		conn, _ := client.New(ts.URL, client.WithProtocol(client.Connect))
		_, err := testpb.NewTestServiceClient(conn).UnaryCall(ctx(t), &testpb.SimpleRequest{})
		conn.Close()
		ts.Close()
		var he *client.HTTPError
		if !errors.As(err, &he) {
			t.Fatalf("UnaryCall = %v, want a *client.HTTPError", err)
		}
		if full := status.Convert(err).Message(); !strings.Contains(full, arn) {
			t.Errorf("the status %q lacks the answer's own words", full)
		}
		r := he.Redacted()
		if r.Code() != status.Code(err) || strings.Contains(r.Message(), arn) || !strings.Contains(r.Message(), "HTTP") {
			t.Errorf("Redacted() = %v %q, want code %v, the summary and no ARN", r.Code(), r.Message(), status.Code(err))
		}
	}
}
