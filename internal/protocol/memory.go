package protocol

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// memoryProtocol is a call that came as a message, not as an HTTP request:
// a queued record's. Its one request message is in memory, its metadata is
// the request's headers, and nobody reads its response: the messages are
// dropped and only the status is kept (see [Conn.Status]). No HTTP request
// is matched to it; [NewMessageConn] opens one.
type memoryProtocol struct{}

var memory wireFormat = &memoryProtocol{}

// NewMessageConn returns the call of one request message, msg, encoded
// with codec ("proto", "json"), to method ("/package.Service/Method"). r
// carries the call's context, metadata (its headers, as a client's) and
// host; its body is not read. The response's messages are dropped: the
// call's outcome is [Conn.Status]. Like a Conn that Open returns, it is
// opened (OpenBody) before it is served.
func NewMessageConn(r *http.Request, method, codec string, msg []byte) *Conn {
	c := &Conn{w: discardWriter{}, r: r, p: memory, codec: codec, method: method, bodyLen: -1}
	c.unary, c.unaryIn = msg, true
	return c
}

// Status returns the status the call ended with; nil while it runs.
func (c *Conn) Status() *status.Status { return c.result }

// Discards reports whether the response's messages are dropped unread, so
// that a server need not encode them.
func (c *Conn) Discards() bool { return c.p == memory }

func (*memoryProtocol) String() string { return "message" }

func (*memoryProtocol) match(*http.Request, string) (string, bool) { return "", false }

func (*memoryProtocol) allowsGET() bool { return false }

// timeout is none: the call's deadline is its context's.
func (*memoryProtocol) timeout(*http.Request) (time.Duration, *status.Status) { return -1, nil }

// encodings: the message is not compressed, and nothing is sent back.
func (*memoryProtocol) encodings(*http.Request) (enc, accept string) { return "", "" }

// openBody frames the message for a server that reads native gRPC frames
// (the ServeHTTP path) only when such a server reads it.
func (*memoryProtocol) openBody(c *Conn) *status.Status {
	c.framed = framedMessage{c: c}
	c.body, c.bodyLen = &c.framed, int64(wire.HeaderLen+len(c.unary))
	return nil
}

func (*memoryProtocol) commit(*Conn) {}

func (*memoryProtocol) write(*Conn, []byte) error { return nil }

func (*memoryProtocol) flush(*Conn) {}

func (*memoryProtocol) end(c *Conn, st *status.Status) {
	if st == nil {
		st = status.New(codes.Internal, "the server ended the call without a status")
	}
	c.result = st
}

// framedMessage reads a message call's request as one native gRPC frame,
// built on the first read.
type framedMessage struct {
	c *Conn
	r io.Reader
}

func (f *framedMessage) Read(p []byte) (int, error) {
	if f.r == nil {
		hdr := wire.AppendHeader(nil, 0, len(f.c.unary))
		f.r = io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(f.c.unary))
	}
	return f.r.Read(p)
}

func (*framedMessage) Close() error { return nil }

// discardWriter is a message call's response writer: nothing is written to
// it, as nothing is sent.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}
