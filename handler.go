package lambdagrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // gzip on every path, both ways
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// NewHandler returns an http.Handler that serves the services registered on
// s to gRPC-Web (binary and text) and Connect (unary, GET and streaming)
// clients over HTTP/1.1 or HTTP/2, and to native gRPC clients over HTTP/2.
//
// Every call is handled by s itself, so its interceptors, stats handlers,
// message size limits and registered services all apply. NewHandler adds
// one interceptor to s, outermost in both chains, that turns a panic in a
// handler or interceptor into an INTERNAL status (the panic is logged with
// its stack), so call NewHandler before s starts serving.
//
// Client and bidirectional streams are half-duplex: every request message
// must be in the request body, and responses start after the body ends.
//
// Calls are routed by the request path "/package.Service/Method" and
// nothing else: a path with more segments, or with any character that a
// protobuf name cannot hold (an escape such as %2F among them), names no
// method and is answered UNIMPLEMENTED (HTTP 404 over Connect unary).
// Below a path prefix, see [WithPathPrefix].
//
// An invalid option is a configuration error: NewHandler logs it once, at
// Error, and the handler answers every call INTERNAL, saying the server is
// misconfigured, rather than serving with a setting nobody chose. [Serve]
// returns the same error before it serves.
func NewHandler(s *grpc.Server, opts ...Option) http.Handler {
	return newHandler(s, newConfig(opts))
}

// forceServeHTTP sends every call through grpc.Server.ServeHTTP; the
// package's tests set it (-servehttp) to run the whole suite on that path.
var forceServeHTTP bool

type handler struct {
	srv    *grpc.Server
	direct *dispatcher // nil: every call goes through srv.ServeHTTP
	cfg    *config
	log    *slog.Logger
	err    error // a configuration error: every call fails
}

func newHandler(s *grpc.Server, cfg *config) *handler {
	if err := cfg.err(); err != nil {
		cfg.logger.Error("lambdagrpc: every call will fail until the configuration is fixed", "error", err)
		return &handler{srv: s, cfg: cfg, log: cfg.logger, err: err}
	}
	installRecovery(s, cfg.logger)
	d, why := newDispatcher(s, cfg.logger)
	if cfg.viaServeHTTP || forceServeHTTP {
		d, why = nil, "WithServeHTTP"
	}
	if d == nil {
		cfg.logger.Debug("lambdagrpc: calls go through grpc.Server.ServeHTTP", "reason", why)
	}
	return &handler{srv: s, direct: d, cfg: cfg, log: cfg.logger}
}

// maxUnaryBody bounds how much of a Connect unary request body is read into
// memory before the server's own message size limit can apply.
const maxUnaryBody = 64 << 20

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cfg.cors != nil && h.cfg.cors.handle(w, r) {
		return
	}
	proto, codec := classify(r)
	if h.err != nil {
		h.misconfigured(w, r, proto)
		return
	}
	switch proto {
	case protoUnknown:
		if r.Method != http.MethodPost && r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, fmt.Sprintf("%s requests are not gRPC, gRPC-Web or Connect calls; use POST", r.Method), http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Accept-Post", "application/grpc-web, application/grpc-web-text, application/proto, application/json, application/connect+proto, application/connect+json")
		http.Error(w, fmt.Sprintf("unsupported content type %q: send gRPC-Web or Connect", r.Header.Get("Content-Type")), http.StatusUnsupportedMediaType)
		return
	case protoGRPC:
		// Native gRPC needs HTTP/2 end to end; the server answers anything
		// else with a clear error itself. grpc-go routes by URL.Path, in
		// which %2F is already a "/": hand it the path as sent, so an
		// escaped separator stays part of a name, as over grpc-go's own
		// transport.
		if r.URL.RawPath != "" {
			u := *r.URL
			u.Path, u.RawPath = r.URL.EscapedPath(), ""
			r2 := *r
			r2.URL = &u
			r = &r2
		}
		h.srv.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodPost && (r.Method != http.MethodGet || proto != protoConnectUnary) {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, fmt.Sprintf("%s calls must use POST", proto), http.StatusMethodNotAllowed)
		return
	}
	if !codecRegistered(codec) {
		if proto == protoConnectUnary && r.Method == http.MethodGet {
			c := &call{h: h, w: w, r: r, proto: proto, codec: "json"}
			c.fail(status.Newf(codes.InvalidArgument, "unknown message encoding %q", codec))
			return
		}
		w.Header().Set("Accept-Post", "application/proto, application/json")
		http.Error(w, fmt.Sprintf("no codec is registered for %q", codec), http.StatusUnsupportedMediaType)
		return
	}
	method, ok := h.route(r.URL)
	if !ok {
		c := &call{h: h, w: w, r: r, proto: proto, codec: codec}
		c.fail(h.noRoute(r.URL))
		return
	}
	if r.Method == http.MethodGet {
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
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, why, http.StatusMethodNotAllowed)
			return
		}
	}
	c := &call{h: h, w: w, r: r, proto: proto, codec: codec, method: method}
	c.serve()
}

// call is one gRPC-Web or Connect request in flight. It is the
// http.ResponseWriter the gRPC server writes its native response into, and
// translates that response for the client as it arrives.
type call struct {
	h      *handler
	w      http.ResponseWriter
	r      *http.Request
	proto  protocol
	codec  string
	method string // "/package.Service/Method"; "" when the path names none

	hdr       http.Header     // what the gRPC server writes (ServeHTTP)
	native    *nativeResponse // what the direct path writes instead of hdr
	abandoned bool            // the direct path left its handler running
	committed bool            // headers sent to w
	httpErr   int             // non-200 status written by the gRPC server itself
	errBody   []byte          // its body
	pending   []byte          // body bytes not yet flushed (text mode, Connect unary)
	overflow  bool            // response exceeded the writer's limit
	cancel    context.CancelFunc
	text      *wire.TextReader // request body decoder in text mode
	bodyLen   int64            // the most bytes the native request body holds; -1: unknown
	unary     []byte           // a Connect unary request's message, when it is in memory
	unaryIn   bool             // unary is set (it may be empty)
	unaryFlag byte             // its frame flags
	deadline  bool             // a deadline applies to the call
}

func (c *call) serve() {
	ctx := c.r.Context()
	timeout, st := c.timeout()
	if st != nil {
		c.fail(st)
		return
	}
	// The handler's deadline is the earlier of the client's timeout and the
	// transport's (Lambda's) deadline less a grace period; the call is cut
	// off at the end of that grace period, so a handler that ignores its
	// context still ends with DEADLINE_EXCEEDED before Lambda stops the
	// function.
	now := time.Now()
	var soft time.Time
	if timeout >= 0 {
		soft = now.Add(timeout)
		ctx = context.WithValue(ctx, clientDeadlineKey{}, soft)
	}
	if hard, ok := ctx.Deadline(); ok {
		if s := hard.Add(-grace(hard.Sub(now))); soft.IsZero() || s.Before(soft) {
			soft = s
		}
	}
	if !soft.IsZero() && !time.Now().Before(soft) {
		// The deadline passed before the call could start (a timeout of 0
		// or a few nanoseconds, or a Lambda deadline already inside its
		// margin). grpc-go's transports end such a call DEADLINE_EXCEEDED;
		// decide it here so both dispatch paths answer alike, and run no
		// handler that could only be cut off.
		c.fail(status.New(codes.DeadlineExceeded, "deadline exceeded: the call's deadline had passed before it started"))
		return
	}
	var cancel context.CancelFunc
	if !soft.IsZero() {
		c.deadline = true
		ctx, cancel = context.WithDeadline(ctx, soft.Add(grace(soft.Sub(now))))
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	c.cancel = cancel

	if eb, ok := c.r.Body.(*httpx.ErrorBody); ok {
		c.fail(status.New(codes.InvalidArgument, eb.Err().Error()))
		return
	}
	body, path, st := c.requestBody()
	if st != nil {
		c.fail(st)
		return
	}
	if d := c.h.direct; d != nil {
		d.serve(ctx, c, path, body, soft)
		c.finish(ctx)
		return
	}
	if c.r.ProtoMajor == 1 && !c.unaryIn {
		if _, inMemory := c.r.Body.(*httpx.MemoryBody); !inMemory {
			// net/http closes an HTTP/1 request body once the response
			// starts unless told otherwise, and a client-stream or bidi
			// handler may answer before it has read every message (the
			// direct path does the same for those methods). This path
			// cannot tell the method's kind before the server does; for
			// the others the flag changes nothing. An event's body is in
			// memory and stays readable.
			if http.NewResponseController(c.w).EnableFullDuplex() == nil {
				// In full duplex, net/http drains a body left open only
				// after it has stopped watching the connection, and then
				// starts watching it again while it reads the next
				// request ("invalid concurrent Body.Read call"). The
				// server leaves it open when it rejects a request before
				// reading it: close it while the call is still ours.
				defer func() { _ = c.r.Body.Close() }()
			}
		}
	}
	c.hdr = make(http.Header, 8)
	req := &http.Request{
		Method:        http.MethodPost,
		URL:           &url.URL{Path: path},
		RequestURI:    path,
		Proto:         "HTTP/2.0",
		ProtoMajor:    2,
		Header:        c.requestHeader(soft, now),
		Body:          body,
		ContentLength: -1,
		Host:          c.r.Host,
		RemoteAddr:    c.r.RemoteAddr,
		TLS:           c.r.TLS,
	}
	req = req.WithContext(ctx)
	c.h.srv.ServeHTTP(c, req)
	c.finish(ctx)
}

// grace is the time between the deadline a handler sees and the moment its
// call is cut off: enough for a handler that notices its context to write
// its own status, small against the time left.
func grace(left time.Duration) time.Duration {
	return min(max(left/20, time.Millisecond), 100*time.Millisecond)
}

// timeout parses the client's timeout; -1 means none.
func (c *call) timeout() (time.Duration, *status.Status) {
	if c.proto == protoConnectUnary || c.proto == protoConnectStream {
		v := c.r.Header.Get("Connect-Timeout-Ms")
		if v == "" {
			return -1, nil
		}
		d, err := wire.ParseConnectTimeout(v)
		if err != nil {
			return 0, status.Newf(codes.InvalidArgument, "invalid connect-timeout-ms %q: %v", v, err)
		}
		return d, nil
	}
	v := c.r.Header.Get("Grpc-Timeout")
	if v == "" {
		return -1, nil
	}
	d, err := wire.ParseTimeout(v)
	if err != nil {
		return 0, status.Newf(codes.InvalidArgument, "invalid grpc-timeout: %v", err)
	}
	return d, nil
}

func (c *call) requestBody() (io.ReadCloser, string, *status.Status) {
	path := c.method
	c.bodyLen = max(c.r.ContentLength, -1)
	switch c.proto {
	case protoWebText:
		c.bodyLen = wire.DecodedTextLen(c.r.ContentLength)
		c.text = wire.NewTextReader(c.r.Body)
		return struct {
			io.Reader
			io.Closer
		}{c.text, c.r.Body}, path, nil
	case protoConnectUnary:
		var msg []byte
		compressed := false
		if c.r.Method == http.MethodGet {
			q := c.r.URL.Query()
			m := q.Get("message")
			if q.Get("base64") == "1" {
				b, err := wire.DecodeBinary(m)
				if err != nil {
					return nil, "", status.Newf(codes.InvalidArgument, "message query parameter is not base64: %v", err)
				}
				msg = b
			} else {
				msg = []byte(m)
			}
			compressed = q.Get("compression") != "" && q.Get("compression") != "identity"
		} else {
			ce := c.r.Header.Get("Content-Encoding")
			flags := byte(0)
			if ce != "" && ce != "identity" {
				flags = wire.FlagCompressed
			}
			mb, inMemory := c.r.Body.(*httpx.MemoryBody)
			switch n := c.r.ContentLength; {
			case inMemory:
				// The event's body: the message is in memory already.
				msg = mb.Bytes()
			case n >= 0 && n <= maxUnaryBody:
				// The length is known: frame the body without copying it.
				hdr := wire.AppendHeader(nil, flags, int(n))
				c.bodyLen = n + wire.HeaderLen
				return struct {
					io.Reader
					io.Closer
				}{io.MultiReader(bytes.NewReader(hdr), io.LimitReader(c.r.Body, n)), c.r.Body}, path, nil
			default:
				b, err := io.ReadAll(io.LimitReader(c.r.Body, maxUnaryBody+1))
				if err != nil {
					return nil, "", status.Newf(codes.Internal, "reading the request body: %v", err)
				}
				if len(b) > maxUnaryBody {
					return nil, "", status.Newf(codes.ResourceExhausted, "request body exceeds %d bytes", maxUnaryBody)
				}
				msg = b
			}
			compressed = flags != 0
		}
		c.unary, c.unaryIn = msg, true
		if compressed {
			c.unaryFlag = wire.FlagCompressed
		}
		// The direct path reads c.unary itself; ServeHTTP gets it framed,
		// without a copy.
		hdr := wire.AppendHeader(nil, c.unaryFlag, len(msg))
		c.bodyLen = int64(wire.HeaderLen + len(msg))
		return io.NopCloser(io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(msg))), path, nil
	}
	return c.r.Body, path, nil
}

// requestHeader builds the native gRPC request header: the client's
// metadata plus what the protocol says about codec, compression and time.
func (c *call) requestHeader(deadline, now time.Time) http.Header {
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
	enc, accept := c.encodings()
	if enc != "" {
		h.Set("Grpc-Encoding", enc)
	}
	if accept != "" {
		h.Set("Grpc-Accept-Encoding", accept)
	}
	return h
}

// encodings returns the request's message encoding ("" for none) and the
// encodings the client accepts, from the protocol's own headers.
func (c *call) encodings() (enc, accept string) {
	switch c.proto {
	case protoWeb, protoWebText:
		enc, accept = c.r.Header.Get("Grpc-Encoding"), c.r.Header.Get("Grpc-Accept-Encoding")
	case protoConnectStream:
		enc, accept = c.r.Header.Get("Connect-Content-Encoding"), c.r.Header.Get("Connect-Accept-Encoding")
	case protoConnectUnary:
		if c.r.Method == http.MethodGet {
			enc = c.r.URL.Query().Get("compression")
		} else {
			enc = c.r.Header.Get("Content-Encoding")
		}
		accept = c.r.Header.Get("Accept-Encoding")
	}
	if enc == "identity" {
		enc = ""
	}
	return enc, accept
}

// metadata returns the metadata a handler sees: the client's headers, less
// those of HTTP and of the protocols, as grpc-go's ServeHTTP would present
// the native request that requestHeader builds.
func (c *call) metadata(accept string) (metadata.MD, error) {
	md := make(metadata.MD, len(c.r.Header)+3)
	md["content-type"] = []string{"application/grpc+" + c.codec}
	if c.r.Host != "" {
		md[":authority"] = []string{c.r.Host}
	}
	if accept != "" {
		md["grpc-accept-encoding"] = []string{accept}
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

// Header implements http.ResponseWriter for the gRPC server.
func (c *call) Header() http.Header {
	if c.hdr == nil {
		c.hdr = make(http.Header)
	}
	return c.hdr
}

// nativeResponse is the response's metadata and status as the direct path
// hands them over: what ServeHTTP would have written into hdr, unencoded.
type nativeResponse struct {
	header  metadata.MD    // sent with the first message (or the status)
	trailer metadata.MD    // sent with the status
	st      *status.Status // nil until the call ends with a status
	enc     string         // the response messages' encoding
}

// encoding returns the response messages' encoding.
func (c *call) encoding() string {
	if c.native != nil {
		return c.native.enc
	}
	return c.hdr.Get("Grpc-Encoding")
}

// WriteHeader implements http.ResponseWriter for the gRPC server. Anything
// but 200 means the server rejected the request before running a handler.
func (c *call) WriteHeader(code int) {
	if code != http.StatusOK && c.httpErr == 0 && !c.committed {
		c.httpErr = code
		return
	}
	if c.proto == protoConnectUnary {
		// A Connect unary response's status line depends on the call's
		// outcome, so nothing is sent before the call ends.
		return
	}
	c.commit()
}

// Write implements http.ResponseWriter for the gRPC server: p is part of
// the native gRPC response body, a sequence of length-prefixed messages.
func (c *call) Write(p []byte) (int, error) {
	if c.httpErr != 0 {
		c.errBody = append(c.errBody, p...)
		return len(p), nil
	}
	if c.overflow {
		return 0, errResponseTooLarge
	}
	switch c.proto {
	case protoConnectUnary, protoWebText:
		c.pending = append(c.pending, p...)
		if c.proto == protoConnectUnary && !c.fits(c.pending) {
			c.tooLarge()
			return 0, errResponseTooLarge
		}
		return len(p), nil
	}
	if !c.fits(p) {
		c.tooLarge()
		return 0, errResponseTooLarge
	}
	c.commit()
	return c.w.Write(p)
}

// Flush implements http.Flusher for the gRPC server, which flushes after
// every message.
func (c *call) Flush() {
	if c.httpErr != 0 || c.overflow {
		return
	}
	switch c.proto {
	case protoConnectUnary:
		return
	case protoWebText:
		if len(c.pending) == 0 {
			if c.committed {
				return
			}
			c.commit()
			flush(c.w)
			return
		}
		out := wire.AppendText(nil, c.pending)
		if !c.fits(out) {
			c.tooLarge()
			return
		}
		c.commit()
		c.pending = c.pending[:0]
		_, _ = c.w.Write(out)
	default:
		c.commit()
	}
	flush(c.w)
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// hasMethod reports whether the server has a handler for path
// ("/package.Service/Method"). It is only asked on the UNIMPLEMENTED path,
// so it need not be fast.
func (h *handler) hasMethod(path string) bool {
	svc, method, ok := splitMethod(path)
	if !ok {
		return false
	}
	info, ok := h.srv.GetServiceInfo()[svc]
	if !ok {
		return false
	}
	for _, m := range info.Methods {
		if m.Name == method {
			return true
		}
	}
	return false
}

func codecRegistered(name string) bool {
	return encoding.GetCodecV2(name) != nil || encoding.GetCodec(name) != nil
}

var errResponseTooLarge = errors.New("response exceeds the response size limit")

func (c *call) fits(p []byte) bool {
	lw, ok := c.w.(httpx.LimitedWriter)
	return !ok || lw.Fits(p)
}

// tooLarge ends the call: the rest of the response cannot be delivered.
func (c *call) tooLarge() {
	c.overflow = true
	c.pending = nil
	c.cancel()
}

// commit sends the response headers once.
func (c *call) commit() {
	if c.committed {
		return
	}
	c.committed = true
	out := c.w.Header()
	c.copyHeaders(out)
	out.Set("Content-Type", c.proto.responseContentType(c.codec))
	if enc := c.encoding(); enc != "" {
		switch c.proto {
		case protoWeb, protoWebText:
			out.Set("Grpc-Encoding", enc)
		case protoConnectStream:
			out.Set("Connect-Content-Encoding", enc)
		}
	}
	c.w.WriteHeader(http.StatusOK)
}

// copyHeaders copies the application's response metadata.
func (c *call) copyHeaders(out http.Header) {
	if n := c.native; n != nil {
		for k, vs := range n.header {
			switch {
			case wire.IsReservedHeader(k), k == "grpc-status-details-bin", k == "trailer", k == "date":
				continue
			}
			for _, v := range vs {
				out.Add(k, wire.EncodeValue(k, v))
			}
		}
		return
	}
	for k, vs := range c.hdr {
		if isStatusHeader(k) || strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		switch k {
		case "Content-Type", "Trailer", "Grpc-Encoding", "Date":
			continue
		}
		out[k] = vs
	}
}

func isStatusHeader(k string) bool {
	return k == "Grpc-Status" || k == "Grpc-Message" || k == "Grpc-Status-Details-Bin"
}

// trailers returns the application's trailing metadata.
func (c *call) trailers() http.Header {
	var t http.Header
	if n := c.native; n != nil {
		details := len(n.st.Proto().GetDetails()) > 0
		for k, vs := range n.trailer {
			if wire.IsReservedHeader(k) || (details && k == "grpc-status-details-bin") {
				continue
			}
			if t == nil {
				t = make(http.Header, len(n.trailer)+3)
			}
			ck := http.CanonicalHeaderKey(k)
			for _, v := range vs {
				t[ck] = append(t[ck], wire.EncodeValue(k, v))
			}
		}
		return t
	}
	for k, vs := range c.hdr {
		if after, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			if t == nil {
				t = make(http.Header)
			}
			t[http.CanonicalHeaderKey(after)] = vs
		}
	}
	return t
}

// finish ends the response once the gRPC server is done with the call.
func (c *call) finish(ctx context.Context) {
	var st *status.Status
	switch {
	case c.overflow:
		msg := errResponseTooLarge.Error()
		if lw, ok := c.w.(httpx.LimitedWriter); ok {
			// A buffered response has sent nothing yet: drop what it holds so
			// the client gets a clean error. Streamed messages already sent
			// stay sent; the status says why the rest is missing.
			lw.Discard()
			msg = lw.LimitError()
		}
		st = status.New(codes.ResourceExhausted, msg)
		c.pending = nil
		c.hdr = stripStatus(c.hdr)
		if c.native != nil {
			c.native.st = st
		}
	case c.text != nil && !c.abandoned && c.text.Err() != nil:
		// (An abandoned handler may still be reading c.text.)
		// The server saw a broken stream; the client should learn why.
		st = status.New(codes.InvalidArgument, c.text.Err().Error())
	case c.httpErr != 0:
		msg := strings.TrimSpace(string(c.errBody))
		code := wire.CodeFromHTTP(c.httpErr)
		if c.httpErr == http.StatusBadRequest || c.httpErr == http.StatusUnsupportedMediaType {
			code = codes.InvalidArgument
		}
		st = status.New(code, msg)
	case c.native != nil:
		if st = c.native.st; st == nil {
			st = statusFromContext(ctx, c.r.Context(), c.deadline)
			c.native.st = st
		}
	default:
		var ok bool
		var err error
		st, ok, err = wire.StatusFromHeader(c.hdr)
		if err != nil {
			c.h.log.Error("lambdagrpc: the server wrote a malformed status", "method", c.r.URL.Path, "error", err)
		}
		if !ok {
			st = statusFromContext(ctx, c.r.Context(), c.deadline)
		}
	}
	c.end(st)
}

func stripStatus(h http.Header) http.Header {
	for k := range h {
		if isStatusHeader(k) {
			delete(h, k)
		}
	}
	return h
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

// fail ends a call that never reached the gRPC server.
func (c *call) fail(st *status.Status) {
	if c.hdr == nil {
		c.hdr = make(http.Header)
	}
	c.end(st)
}

// end writes the status in the protocol's way.
func (c *call) end(st *status.Status) {
	switch c.proto {
	case protoConnectUnary:
		c.endConnectUnary(st)
	case protoConnectStream:
		c.commit()
		es := wire.EndStream{Metadata: metadataMap(c.trailers())}
		if st.Code() != codes.OK {
			es.Error = wire.NewConnectError(st)
		}
		payload, _ := json.Marshal(&es)
		c.writeBody(wire.AppendFrame(nil, wire.FlagConnectEndStream, payload))
	default:
		t := c.trailers()
		if t == nil {
			t = make(http.Header, 3)
		}
		wire.SetStatusHeader(t, st)
		block := wire.AppendTrailerBlock(nil, t)
		frame := wire.AppendFrame(nil, wire.FlagWebTrailer, block)
		c.commit()
		if c.proto == protoWebText {
			var out []byte
			if len(c.pending) > 0 {
				out = wire.AppendText(out, c.pending)
			}
			frame = wire.AppendText(out, frame)
			c.pending = nil
		}
		c.writeBody(frame)
	}
}

func (c *call) writeBody(p []byte) {
	_, _ = c.w.Write(p)
	flush(c.w)
}

func (c *call) endConnectUnary(st *status.Status) {
	out := c.w.Header()
	c.copyHeaders(out)
	for k, vs := range c.trailers() {
		out["Trailer-"+k] = vs
	}
	if st.Code() == codes.OK {
		flags, msg, _, ok, _ := wire.NextFrame(c.pending, 0)
		if ok {
			out.Set("Content-Type", c.proto.responseContentType(c.codec))
			if flags&wire.FlagCompressed != 0 {
				out.Set("Content-Encoding", c.encoding())
			}
			c.committed = true
			c.w.WriteHeader(http.StatusOK)
			_, _ = c.w.Write(msg)
			return
		}
		st = status.New(codes.Internal, "the server sent no response message")
	}
	body, _ := json.Marshal(wire.NewConnectError(st))
	out.Del("Content-Encoding")
	out.Set("Content-Type", "application/json")
	c.committed = true
	code := wire.ConnectHTTPStatus(st.Code())
	if st.Code() == codes.Unimplemented && !c.h.hasMethod(c.method) {
		// Connect answers a path that names no method like any unknown URL.
		code = http.StatusNotFound
	}
	c.w.WriteHeader(code)
	_, _ = c.w.Write(body)
}

func metadataMap(h http.Header) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	m := make(map[string][]string, len(h))
	for k, vs := range h {
		m[strings.ToLower(k)] = vs
	}
	return m
}
