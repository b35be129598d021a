package protocol

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
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

// messageCall is a Conn of the memory protocol with what it keeps, all
// allocated at once: its response writer is the messageState, and its
// request's URL is u.
type messageCall struct {
	c Conn
	m messageState
	u url.URL
}

// messageState is a message call's response writer, to which nothing is
// written, and its state: the status it ended with and its request framed
// for a server that reads native gRPC frames.
type messageState struct {
	result *status.Status
	framed framedMessage
}

// NewMessageConn returns the call of one request message, msg, encoded
// with codec ("proto", "json"), to method ("/package.Service/Method"), in
// ctx, with header as its metadata (a client's request headers). Its
// request is a copy of base, which says the rest (host, protocol version);
// its body is not read. The response's messages are dropped: the call's
// outcome is [Conn.Status]. Like a Conn that Open returns, it is opened
// (OpenBody) before it is served.
func NewMessageConn(ctx context.Context, base *http.Request, method, codec string, msg []byte, header http.Header) *Conn {
	mc := &messageCall{}
	mc.u.Path = method
	r := base.WithContext(ctx)
	r.URL, r.RequestURI, r.Header = &mc.u, method, header
	mc.c = Conn{w: &mc.m, r: r, p: memory, codec: codec, method: method, bodyLen: -1}
	mc.c.unary, mc.c.unaryIn = msg, true
	return &mc.c
}

// Status returns the status a message call (NewMessageConn) ended with;
// nil while it runs, and for other calls.
func (c *Conn) Status() *status.Status {
	if m, ok := c.w.(*messageState); ok {
		return m.result
	}
	return nil
}

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
// (the ServeHTTP path); the frame is built only if such a server reads it.
func (*memoryProtocol) openBody(c *Conn) *status.Status {
	m := c.w.(*messageState)
	m.framed.msg = c.unary
	c.body, c.bodyLen = &m.framed, int64(wire.HeaderLen+len(c.unary))
	return nil
}

func (*memoryProtocol) commit(*Conn) {}

func (*memoryProtocol) write(*Conn, []byte) error { return nil }

func (*memoryProtocol) flush(*Conn) {}

func (*memoryProtocol) end(c *Conn, st *status.Status) {
	if st == nil {
		st = status.New(codes.Internal, "the server ended the call without a status")
	}
	c.w.(*messageState).result = st
}

// Header, Write and WriteHeader make a messageState the call's response
// writer; nothing is written to it, as nothing is sent.
func (*messageState) Header() http.Header         { return http.Header{} }
func (*messageState) Write(p []byte) (int, error) { return len(p), nil }
func (*messageState) WriteHeader(int)             {}

// framedMessage reads a message call's request as one native gRPC frame,
// built on the first read.
type framedMessage struct {
	msg []byte
	r   io.Reader
}

func (f *framedMessage) Read(p []byte) (int, error) {
	if f.r == nil {
		hdr := wire.AppendHeader(nil, 0, len(f.msg))
		f.r = io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(f.msg))
	}
	return f.r.Read(p)
}

func (*framedMessage) Close() error { return nil }
