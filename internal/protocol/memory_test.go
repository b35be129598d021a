package protocol

import (
	"context"
	"io"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

func TestMessageConn(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	base := &http.Request{Method: http.MethodPost, ProtoMajor: 1, Host: "lambda", Body: http.NoBody}
	header := http.Header{"X-Trace": {"t"}}
	c := NewMessageConn(ctx, base, "/a.B/C", "json", []byte(`{"x":1}`), header)
	if base.URL != nil || base.Header != nil {
		t.Fatal("NewMessageConn changed its template")
	}
	if c.Method() != "/a.B/C" || c.Codec() != "json" || !c.Discards() || !c.InMemory() {
		t.Fatalf("method %q codec %q discards %v in memory %v", c.Method(), c.Codec(), c.Discards(), c.InMemory())
	}
	if c.Request().Context().Value(key{}) != "v" || c.Request().URL.Path != "/a.B/C" {
		t.Fatal("the request does not carry the call's context and method")
	}
	if d, _ := c.Timeout(); d != -1 {
		t.Fatalf("timeout %v, want none", d)
	}
	if st := c.OpenBody(); st != nil {
		t.Fatal(st)
	}
	md, err := c.Metadata("")
	if err != nil {
		t.Fatal(err)
	}
	if got := md["x-trace"]; len(got) != 1 || got[0] != "t" || md[":authority"][0] != "lambda" || md["content-type"][0] != "application/grpc+json" {
		t.Fatalf("metadata %v", md)
	}
	// The message as the direct path reads it, in place.
	r := c.Messages(1 << 20)
	if _, msg, err := r.Next(); err != nil || string(msg) != `{"x":1}` {
		t.Fatalf("message %q, %v", msg, err)
	}
	// And as one native frame, for the ServeHTTP path.
	framed, err := io.ReadAll(c.Body())
	if err != nil {
		t.Fatal(err)
	}
	if want := append(wire.AppendHeader(nil, 0, 7), `{"x":1}`...); string(framed) != string(want) {
		t.Fatalf("framed body %q, want %q", framed, want)
	}
	// The response is dropped; the status is kept.
	if err := c.SendMessage([]byte{0, 0, 0, 0, 1}, mem.BufferSlice{mem.SliceBuffer("x")}); err != nil {
		t.Fatal(err)
	}
	if c.Status() != nil {
		t.Fatal("a status before the call ended")
	}
	c.End(ctx, status.New(codes.NotFound, "gone"), nil, false)
	if st := c.Status(); st.Code() != codes.NotFound || st.Message() != "gone" {
		t.Fatalf("status %v", st)
	}
}

func TestMessageConnEndedByContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := NewMessageConn(ctx, &http.Request{Body: http.NoBody}, "/a.B/C", "proto", nil, nil)
	c.End(ctx, nil, nil, false)
	if st := c.Status(); st.Code() != codes.Canceled {
		t.Fatalf("status %v, want CANCELED", st)
	}
}
