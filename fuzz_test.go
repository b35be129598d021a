package lambdagrpc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
	"github.com/lambdagrpc/lambdagrpc/internal/eventseeds"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// FuzzInvoke sends arbitrary events through the whole translation to a real
// grpc server: it must never panic, and must answer valid JSON or an error.
func FuzzInvoke(f *testing.F) {
	eventseeds.Add(f, filepath.Join("testdata", "events"))
	s := grpc.NewServer()
	testsvc.Register(s)
	eh := NewEventHandler(s, WithLogger(slog.New(slog.DiscardHandler)))
	f.Fuzz(func(t *testing.T, event []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		out, err := eh.Invoke(ctx, event)
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON answer %q", out)
		}
	})
}

// FuzzDirectMatchesServeHTTP sends arbitrary gRPC-Web bodies, in Function
// URL events, to the same service on the direct path and on ServeHTTP: the
// status codes, messages and status codes in the trailers must agree.
func FuzzDirectMatchesServeHTTP(f *testing.F) {
	paths := []string{
		"/grpc.testing.TestService/UnaryCall",
		"/grpc.testing.TestService/StreamingOutputCall",
		"/grpc.testing.TestService/StreamingInputCall",
		"/grpc.testing.TestService/FullDuplexCall",
		"/public/x/grpc.testing.TestService/UnaryCall",
		"/grpc.testing.TestService%2FUnaryCall",
	}
	// Timeouts that have passed before the call starts, that cannot pass
	// during it, and that are malformed: a timeout that could run out
	// midway would make the two paths race, not differ.
	timeouts := []string{"", "1n", "0n", "0S", "0H", "99999999S", "99999999H", "1x", "-1S", "S"}
	for i := range paths {
		f.Add(uint8(i), uint8(0), []byte{})
		f.Add(uint8(i), uint8(0), wire.AppendFrame(nil, 0, nil))
		f.Add(uint8(i), uint8(0), wire.AppendFrame(nil, 0, []byte{0x0a, 0x02, 0x08, 0x03}))
		f.Add(uint8(i), uint8(0), append(wire.AppendFrame(nil, 0, []byte{0x12, 0x02, 0x08, 0x03}), 0, 0, 0, 0, 9, 1))
		f.Add(uint8(i), uint8(0), wire.AppendFrame(nil, 1, []byte{1, 2, 3}))
		for j := range timeouts {
			f.Add(uint8(i), uint8(j), wire.AppendFrame(nil, 0, []byte{0x0a, 0x02, 0x08, 0x03}))
		}
	}
	newEH := func(opts ...Option) *EventHandler {
		s := grpc.NewServer(grpc.MaxRecvMsgSize(1 << 12))
		testsvc.Register(s)
		return NewEventHandler(s, append(opts, WithLogger(slog.New(slog.DiscardHandler)))...)
	}
	direct, viaHTTP := newEH(), newEH(optionFunc(func(c *config) { c.viaServeHTTP = true }))
	f.Fuzz(func(t *testing.T, which, timeout uint8, body []byte) {
		hdr := map[string]string{"content-type": "application/grpc-web+proto"}
		if v := timeouts[int(timeout)%len(timeouts)]; v != "" {
			hdr["grpc-timeout"] = v
		}
		ev, err := json.Marshal(events.V2Request{
			Version:         "2.0",
			RawPath:         paths[int(which)%len(paths)],
			Headers:         hdr,
			RequestContext:  events.V2RequestContext{HTTP: events.V2HTTP{Method: "POST"}, DomainName: "x.lambda-url.us-east-1.on.aws"},
			Body:            base64.StdEncoding.EncodeToString(body),
			IsBase64Encoded: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		answer := func(eh *EventHandler) (int, [][]byte, string) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			out, err := eh.Invoke(ctx, ev)
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			var resp events.V2Response
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			raw, err := base64.StdEncoding.DecodeString(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			msgs, trailer, err := wire.SplitWeb(raw)
			if err != nil {
				t.Fatalf("bad response body %q: %v", raw, err)
			}
			code := trailer.Get("Grpc-Status")
			return resp.StatusCode, msgs, code
		}
		c1, m1, s1 := answer(direct)
		c2, m2, s2 := answer(viaHTTP)
		if c1 != c2 || s1 != s2 || !reflect.DeepEqual(m1, m2) {
			t.Fatalf("direct: HTTP %d, grpc-status %s, %d messages; ServeHTTP: HTTP %d, grpc-status %s, %d messages", c1, s1, len(m1), c2, s2, len(m2))
		}
	})
}
