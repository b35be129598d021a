package protocol

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// Conn is one call in its client's protocol, seen as messages: the method,
// the metadata, the timeout and the request messages in; response
// headers, messages and a status out. Its methods are called from one
// goroutine at a time.
type Conn struct {
	w      http.ResponseWriter
	r      *http.Request
	p      wireFormat // nil for native gRPC
	x      Transcoder // a transcoded call's client side (REST); else nil
	native bool       // native gRPC: not served here
	codec  string
	method string // "/package.Service/Method"

	// HasMethod tells whether the server has a handler for a method; a
	// Connect unary call to one it has not is answered 404. Nil: every
	// unknown method is.
	HasMethod func(method string) bool

	// The request.
	body      io.ReadCloser    // the messages as native gRPC frames
	bodyLen   int64            // the most bytes body holds; -1: unknown
	text      *wire.TextReader // the body's decoder in text mode
	unary     []byte           // a Connect unary request's message, in memory
	unaryIn   bool             // unary is set (it may be empty)
	unaryFlag byte             // its frame flags

	// The response.
	header    metadata.MD // sent with the first message or the status
	trailer   metadata.MD // sent with the status
	enc       string      // the response messages' encoding
	committed bool        // headers sent to w
	pending   []byte      // body bytes not yet flushed (text mode, Connect unary)
	overflow  bool        // the response outgrew the writer's limit
	abandoned bool        // the call's handler was left running
	ended     bool
	stop      func() // ends the call when the response outgrows its limit
}

// ErrResponseTooLarge is what writing a message past the response's limit
// returns.
var ErrResponseTooLarge = errors.New("response exceeds the response size limit")

// Open reads r's protocol. A request that is no call it can serve (an
// unknown content type, a wrong method, a codec nobody registered) is
// answered here and Open returns nil. A native gRPC request returns a Conn
// whose Native is true: only the gRPC server's own transport serves those.
func Open(w http.ResponseWriter, r *http.Request) *Conn {
	p, codec, native := match(r)
	if native {
		return &Conn{w: w, r: r, native: true}
	}
	if p == nil {
		if r.Method != http.MethodPost && r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, fmt.Sprintf("%s requests are not gRPC, gRPC-Web or Connect calls; use POST", r.Method), http.StatusMethodNotAllowed)
			return nil
		}
		w.Header().Set("Accept-Post", "application/grpc-web, application/grpc-web-text, application/proto, application/json, application/connect+proto, application/connect+json")
		http.Error(w, fmt.Sprintf("unsupported content type %q: send gRPC-Web or Connect", r.Header.Get("Content-Type")), http.StatusUnsupportedMediaType)
		return nil
	}
	c := &Conn{w: w, r: r, p: p, codec: codec, bodyLen: -1}
	if r.Method != http.MethodPost && (r.Method != http.MethodGet || !p.allowsGET()) {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, fmt.Sprintf("%s calls must use POST", p), http.StatusMethodNotAllowed)
		return nil
	}
	if !codecRegistered(codec) {
		if r.Method == http.MethodGet {
			c.codec = "json"
			c.Fail(status.Newf(codes.InvalidArgument, "unknown message encoding %q", codec))
			return nil
		}
		w.Header().Set("Accept-Post", "application/proto, application/json")
		http.Error(w, fmt.Sprintf("no codec is registered for %q", codec), http.StatusUnsupportedMediaType)
		return nil
	}
	return c
}

func codecRegistered(name string) bool {
	return encoding.GetCodecV2(name) != nil || encoding.GetCodec(name) != nil
}

// Native reports whether the call is native gRPC, which the gRPC server's
// ServeHTTP serves itself (see NativeRequest).
func (c *Conn) Native() bool { return c.native }

// NativeRequest is the request to hand the gRPC server for a native call.
// grpc-go routes by URL.Path, in which %2F is already a "/": it gets the
// path as sent, so an escaped separator stays part of a name, as over
// grpc-go's own transport.
func (c *Conn) NativeRequest() *http.Request {
	r := c.r
	if r.URL.RawPath == "" {
		return r
	}
	u := *r.URL
	u.Path, u.RawPath = r.URL.EscapedPath(), ""
	r2 := *r
	r2.URL = &u
	return &r2
}

// Route sets the method the call runs, "/package.Service/Method". A GET
// may only run a method without side effects: for any other Route answers
// 405 and returns false.
func (c *Conn) Route(method string) bool {
	c.method = method
	if c.r.Method != http.MethodGet {
		return true
	}
	var why string
	switch wire.MethodIdempotency(method) {
	case wire.SideEffects:
		why = "GET is only allowed for methods with idempotency_level = NO_SIDE_EFFECTS"
	case wire.OptionsUnreadable:
		why = "GET is only allowed for methods with idempotency_level = NO_SIDE_EFFECTS, and this server cannot read method options: " +
			"link google.golang.org/protobuf/types/descriptorpb into it (registering gRPC reflection does, or import the package for its side effects)"
	}
	// An unknown method is answered UNIMPLEMENTED by the server.
	if why != "" {
		c.w.Header().Set("Allow", http.MethodPost)
		http.Error(c.w, why, http.StatusMethodNotAllowed)
		return false
	}
	return true
}

// Method returns the routed method.
func (c *Conn) Method() string { return c.method }

// Codec returns the name of the messages' codec ("proto", "json").
func (c *Conn) Codec() string { return c.codec }

// Request returns the HTTP request the call came in.
func (c *Conn) Request() *http.Request { return c.r }

// Timeout returns the client's timeout, -1 for none, or the status of a
// malformed one.
func (c *Conn) Timeout() (time.Duration, *status.Status) { return c.p.timeout(c.r) }

// Encodings returns the request messages' encoding ("" for none) and the
// encodings the client accepts, from the protocol's own headers.
func (c *Conn) Encodings() (enc, accept string) {
	enc, accept = c.p.encodings(c.r)
	if enc == "identity" {
		enc = ""
	}
	return enc, accept
}

// OnOverflow sets what ends the call when its response outgrows the
// response writer's limit.
func (c *Conn) OnOverflow(stop func()) { c.stop = stop }

// OpenBody prepares the request's messages, reading a Connect unary body
// into memory. A body the event source could not decode fails here.
func (c *Conn) OpenBody() *status.Status {
	if c.x != nil {
		return c.p.openBody(c) // the request message is in memory already
	}
	if eb, ok := c.r.Body.(*httpx.ErrorBody); ok {
		return status.New(codes.InvalidArgument, eb.Err().Error())
	}
	c.body, c.bodyLen = c.r.Body, max(c.r.ContentLength, -1)
	return c.p.openBody(c)
}

// Body returns the request's messages as native gRPC frames, for the gRPC
// server's ServeHTTP.
func (c *Conn) Body() io.ReadCloser {
	if c.x != nil && c.body == nil {
		c.body = &transcodedBody{c: c}
	}
	return c.body
}

// InMemory reports whether every request message is in memory already.
func (c *Conn) InMemory() bool {
	if c.unaryIn {
		return true
	}
	_, ok := c.body.(*httpx.MemoryBody)
	return ok
}

// Messages returns a reader of the request's messages that refuses any
// larger than max bytes. Messages in memory are decoded in place.
func (c *Conn) Messages(max int) wire.Reader {
	if c.unaryIn {
		c.encodeRequest()
		return *wire.NewMessageReader(c.unaryFlag, c.unary, max)
	}
	if mb, ok := c.body.(*httpx.MemoryBody); ok {
		// An event's body is never reused.
		return *wire.NewBytesReader(mb.Bytes(), max)
	}
	// With the body's length known, a frame that cannot fit is truncated
	// before anything is allocated; without it, the buffer grows as bytes
	// arrive.
	return *wire.NewReader(c.body, max).WithLength(c.bodyLen)
}

// EnableFullDuplex lets a handler answer before it has read the whole
// request body: net/http closes an HTTP/1 request body once the response
// starts unless told otherwise. It reports whether it did.
func (c *Conn) EnableFullDuplex() bool {
	if c.r.ProtoMajor != 1 {
		return false
	}
	return http.NewResponseController(c.w).EnableFullDuplex() == nil
}

// Metadata returns the metadata a handler sees: the client's headers, less
// those of HTTP and of the protocols, as grpc-go's ServeHTTP would present
// the native request that NativeHeader builds.
func (c *Conn) Metadata(accept string) (metadata.MD, error) {
	if c.x != nil {
		return c.transcodedMetadata(), nil
	}
	md := make(metadata.MD, len(c.r.Header)+3)
	// The values of the keys set here share one array.
	own := make([]string, 0, 3)
	own = append(own, nativeContentType(c.codec))
	md["content-type"] = own[0:1:1]
	if c.r.Host != "" {
		own = append(own, c.r.Host)
		md[":authority"] = own[len(own)-1 : len(own) : len(own)]
	}
	if accept != "" {
		own = append(own, accept)
		md["grpc-accept-encoding"] = own[len(own)-1 : len(own) : len(own)]
	}
	for k, vs := range c.r.Header {
		lk := strings.ToLower(k)
		if wire.IsHopHeader(lk) || wire.IsProtocolHeader(lk) || (wire.IsReservedHeader(lk) && lk != "user-agent") {
			continue
		}
		if !wire.IsBinaryKey(lk) {
			md[lk] = append(md[lk], vs...)
			continue
		}
		for _, v := range wire.SplitBinary(vs) {
			b, err := wire.DecodeBinary(v)
			if err != nil {
				return nil, fmt.Errorf("malformed binary metadata %q in header %q: %w", v, lk, err)
			}
			md[lk] = append(md[lk], string(b))
		}
	}
	return md, nil
}

// nativeContentType is the native gRPC content type of codec.
func nativeContentType(codec string) string {
	switch codec {
	case "proto":
		return "application/grpc+proto"
	case "json":
		return "application/grpc+json"
	}
	return "application/grpc+" + codec
}

// NativeHeader builds the native gRPC request header: the client's
// metadata plus what the protocol says about codec, compression and time.
func (c *Conn) NativeHeader(deadline, now time.Time) http.Header {
	if c.x != nil {
		return c.transcodedHeader(deadline, now)
	}
	h := make(http.Header, len(c.r.Header)+4)
	for k, vs := range c.r.Header {
		lk := strings.ToLower(k)
		if wire.IsHopHeader(lk) || wire.IsProtocolHeader(lk) {
			continue
		}
		if wire.IsBinaryKey(lk) {
			vs = wire.SplitBinary(vs)
		}
		h[k] = vs
	}
	h.Set("Content-Type", "application/grpc+"+c.codec)
	h.Set("Te", "trailers")
	if !deadline.IsZero() {
		h.Set("Grpc-Timeout", wire.FormatTimeout(deadline.Sub(now)))
	}
	enc, accept := c.Encodings()
	if enc != "" {
		h.Set("Grpc-Encoding", enc)
	}
	if accept != "" {
		h.Set("Grpc-Accept-Encoding", accept)
	}
	return h
}

// SetHeader sets the response's header metadata and the encoding of its
// messages ("" for none). Only the first call counts.
func (c *Conn) SetHeader(md metadata.MD, enc string) {
	if c.committed {
		return
	}
	c.header, c.enc = md, enc
}

// SendHeader sends the response headers, unless the protocol holds them
// until the call ends.
func (c *Conn) SendHeader() {
	if !c.overflow {
		c.p.commit(c)
	}
}

// SendMessage writes one response message: hdr is its 5-byte frame
// header, payload its bytes.
func (c *Conn) SendMessage(hdr []byte, payload mem.BufferSlice) error {
	if c.overflow {
		return ErrResponseTooLarge
	}
	if c.x != nil && len(c.pending) == 0 {
		return c.sendTranscoded(hdr, payload)
	}
	if err := c.p.write(c, hdr); err != nil {
		return err
	}
	for _, b := range payload {
		if err := c.p.write(c, b.ReadOnlyData()); err != nil {
			return err
		}
	}
	return nil
}

// Write writes p, a piece of a native gRPC response body (length-prefixed
// messages, cut anywhere), as SendMessage writes whole messages: for a
// server that writes its native response itself.
func (c *Conn) Write(p []byte) (int, error) {
	if c.overflow {
		return 0, ErrResponseTooLarge
	}
	if err := c.p.write(c, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush hands what was written to the client.
func (c *Conn) Flush() {
	if !c.overflow {
		c.p.flush(c)
	}
}

// Abandon records that the call's handler was left running: it may still
// read the request.
func (c *Conn) Abandon() { c.abandoned = true }

// End ends the response with st and trailer. A nil st means the server
// ended the call without one, which ctx (the call's) and the client's
// context explain; a call whose response outgrew its limit, or whose text
// body was malformed, ends with that instead. hasDeadline says whether a
// deadline applied to the call.
func (c *Conn) End(ctx context.Context, st *status.Status, trailer metadata.MD, hasDeadline bool) {
	switch {
	case c.overflow:
		msg := ErrResponseTooLarge.Error()
		if lw, ok := c.w.(httpx.LimitedWriter); ok {
			// A buffered response has sent nothing yet: drop what it holds
			// so the client gets a clean error. Streamed messages already
			// sent stay sent; the status says why the rest is missing.
			lw.Discard()
			msg = lw.LimitError()
		}
		st = status.New(codes.ResourceExhausted, msg)
		c.pending = nil
	case c.text != nil && !c.abandoned && c.text.Err() != nil:
		// (An abandoned handler may still be reading c.text.) The server
		// saw a broken stream; the client should learn why.
		st = status.New(codes.InvalidArgument, c.text.Err().Error())
	case st == nil:
		st = statusFromContext(ctx, c.r.Context(), hasDeadline)
	}
	c.finish(st, trailer)
}

// Fail ends a call that never reached the gRPC server.
func (c *Conn) Fail(st *status.Status) { c.finish(st, nil) }

func (c *Conn) finish(st *status.Status, trailer metadata.MD) {
	if c.ended {
		return
	}
	c.ended = true
	c.trailer = trailer
	c.p.end(c, st)
}

// statusFromContext explains a call the server ended without a status: its
// context ended first.
func statusFromContext(call, client context.Context, hasDeadline bool) *status.Status {
	switch {
	case client.Err() != nil && !errors.Is(client.Err(), context.DeadlineExceeded):
		return status.New(codes.Canceled, "the client canceled the call")
	case errors.Is(call.Err(), context.DeadlineExceeded) || (hasDeadline && call.Err() != nil):
		return status.New(codes.DeadlineExceeded, "deadline exceeded: the call was still running at its deadline")
	case call.Err() != nil:
		return status.New(codes.Canceled, "the call was canceled")
	}
	return status.New(codes.Internal, "the server ended the call without a status")
}
