package rest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
	"github.com/lambdagrpc/lambdagrpc/internal/protocol"
)

// handler is the mux's handler of b: what protoc-gen-grpc-gateway
// generates for it, with the call run through the lambdagrpc handler
// instead of a client.
func (e *engine) handler(b *binding) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, pathParams map[string]string) {
		ctx := r.Context()
		in, out := runtime.MarshalerForRequest(e.mux, r)
		actx, err := runtime.AnnotateContext(ctx, e.mux, r, b.fullMethod, runtime.WithHTTPPathPattern(b.template))
		if err != nil {
			runtime.HTTPError(ctx, e.mux, out, w, r, err)
			return
		}
		msg, err := b.request(in, r, pathParams)
		if err != nil {
			runtime.HTTPError(runtime.NewServerMetadataContext(actx, runtime.ServerMetadata{}), e.mux, out, w, r, err)
			return
		}
		var req []byte
		if !protocol.Encodable(msg) {
			// Marshal says why, as grpc-go's client says it (a string
			// that is not UTF-8, a required field not set).
			if req, err = proto.Marshal(msg); err != nil {
				runtime.HTTPError(actx, e.mux, out, w, r, status.Errorf(codes.Internal, "grpc: error while marshaling: %v", err))
				return
			}
		}
		md, _ := metadata.FromOutgoingContext(actx)
		if _, ok := r.Header["Host"]; ok {
			// An event's headers hold the Host, which net/http keeps out
			// of Header: grpc-gateway never sees it there.
			delete(md, "grpcgateway-host")
		}
		c := &call{e: e, b: b, w: w, r: r, ctx: actx, out: out, md: md}
		if lw, ok := w.(httpx.LimitedWriter); ok {
			c.lambda = &lambdaWriter{ResponseWriter: w, lw: lw}
			c.w = c.lambda
		}
		if req != nil {
			e.serve(protocol.OpenTranscoded(w, r, b.fullMethod, req, c))
			return
		}
		// The dispatcher takes the message as it is when it can.
		c.req = msg
		e.serve(protocol.OpenTranscodedMessage(w, r, b.fullMethod, c))
	}
}

// lambdaWriter is a Lambda response's writer as the runtime sees it. It
// drops the Transfer-Encoding header grpc-gateway sets on streams (a Lambda
// response is not chunked by the function: a front door answers with a
// length or streams it its own way), and refuses a write past the
// response's limit, keeping room for the error that says so.
type lambdaWriter struct {
	http.ResponseWriter
	lw       httpx.LimitedWriter
	overflow bool // a write did not fit
}

func (w *lambdaWriter) WriteHeader(code int) {
	w.Header().Del("Transfer-Encoding")
	w.ResponseWriter.WriteHeader(code)
}

func (w *lambdaWriter) Write(p []byte) (int, error) {
	if w.overflow || !w.lw.Fits(p) {
		w.overflow = true
		return 0, protocol.ErrResponseTooLarge
	}
	w.Header().Del("Transfer-Encoding")
	return w.ResponseWriter.Write(p)
}

// tooLarge is the status of a response past the limit.
func (w *lambdaWriter) tooLarge() *status.Status {
	return status.New(codes.ResourceExhausted, w.lw.LimitError())
}

// staged holds a unary response until it is known to fit: a buffered
// Lambda response commits its status with its headers. Headers set after
// the body (HTTP trailers, which a Lambda response cannot carry) are
// dropped, as the response writer would drop them.
type staged struct {
	header   http.Header // as the runtime sets it
	sent     http.Header // as it was when the status or body was written
	trailers bool        // the runtime may add headers after the body
	code     int
	body     []byte
}

func (s *staged) Header() http.Header { return s.header }

func (s *staged) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
		s.sent = s.header
		if s.trailers {
			s.sent = s.header.Clone()
		}
	}
}

// Write keeps p: the runtime writes a marshaled body once and never
// touches it again, so it need not be copied; a second write copies.
func (s *staged) Write(p []byte) (int, error) {
	s.WriteHeader(http.StatusOK)
	if s.body == nil {
		s.body = p
	} else {
		s.body = append(slices.Clip(s.body), p...)
	}
	return len(p), nil
}

// flush writes the held response to w.
func (s *staged) flush(w http.ResponseWriter) {
	s.WriteHeader(http.StatusOK)
	if s.trailers {
		h := w.Header()
		for k, v := range s.sent {
			h[k] = v
		}
	}
	w.WriteHeader(s.code)
	_, _ = w.Write(s.body)
}

// Unwrap lets http.ResponseController flush the writer.
func (w *lambdaWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// call is one REST call's client side: it writes the response as
// grpc-gateway's generated handler does.
type call struct {
	e   *engine
	b   *binding
	w   http.ResponseWriter
	r   *http.Request
	ctx context.Context // annotated, as the generated handler's
	out runtime.Marshaler
	md  metadata.MD

	lambda *lambdaWriter // c.w on Lambda, else nil

	req    proto.Message // the request, if not encoded before the call
	resp   proto.Message // a unary call's response
	stream *stream       // a server stream's writer, once started
}

// RequestMessage is the request message, not yet encoded.
func (c *call) RequestMessage() proto.Message { return c.req }

// Metadata is the metadata runtime.AnnotateContext made of the request:
// a copy of its own (metadata.FromOutgoingContext copies), which the
// dispatcher completes and hands to the handler.
func (c *call) Metadata() metadata.MD { return c.md }

// Message decodes one response message.
func (c *call) Message(header metadata.MD, b []byte) error {
	m := c.b.out.New().Interface()
	if err := proto.Unmarshal(b, m); err != nil {
		return status.Errorf(codes.Internal, "cannot decode the %s response: %v", c.b.out.Descriptor().FullName(), err)
	}
	if !c.b.streaming {
		if c.resp != nil {
			return status.Error(codes.Internal, "the server sent more than one response message to a unary call")
		}
		c.resp = m
		return nil
	}
	if c.stream == nil {
		c.stream = c.startStream(clientHeader(header, false))
	}
	return c.stream.send(c.wrap(m))
}

// Takes reports whether a unary call's response m is of the Go type and
// descriptor the call decodes its response into.
func (c *call) Takes(m proto.Message) bool {
	return !c.b.streaming && reflect.TypeOf(m) == c.b.outType && m.ProtoReflect().Descriptor() == c.b.out.Descriptor()
}

// TakeMessage keeps the response m as it is.
func (c *call) TakeMessage(_ metadata.MD, m proto.Message) error {
	if c.resp != nil {
		return status.Error(codes.Internal, "the server sent more than one response message to a unary call")
	}
	c.resp = m
	return nil
}

// Flush: a stream is flushed after each message, as grpc-gateway does.
func (c *call) Flush() {}

// End writes a unary response or error, or ends a stream.
func (c *call) End(header, trailer metadata.MD, st *status.Status) {
	// A response with neither header metadata nor a message is "trailers
	// only" in gRPC: the client sees no header metadata at all.
	trailersOnly := len(header) == 0 && c.resp == nil && c.stream == nil
	if !c.b.streaming {
		trailer = clientTrailer(trailer, st, trailersOnly)
	}
	header = clientHeader(header, trailersOnly)
	if c.b.streaming {
		if c.stream == nil {
			c.stream = c.startStream(header)
		}
		c.stream.end(st.Err())
		if c.lambda != nil && c.lambda.overflow {
			c.streamTooLarge()
		}
		return
	}
	ctx := runtime.NewServerMetadataContext(c.ctx, runtime.ServerMetadata{HeaderMD: header, TrailerMD: trailer})
	if c.lambda == nil {
		c.unary(ctx, c.w, st)
		return
	}
	// grpc-gateway only adds trailers when the request accepts them.
	s := &staged{header: c.w.Header(), trailers: strings.Contains(strings.ToLower(c.r.Header.Get("TE")), "trailers")}
	if s.trailers {
		s.header = make(http.Header)
	}
	c.unary(ctx, s, st)
	if c.lambda.lw.Fits(s.body) {
		s.flush(c.w)
		return
	}
	runtime.HTTPError(c.ctx, c.e.mux, c.out, c.lambda.ResponseWriter, c.r, c.lambda.tooLarge().Err())
}

// unary writes a unary call's response or error to w.
func (c *call) unary(ctx context.Context, w http.ResponseWriter, st *status.Status) {
	switch {
	case st.Code() != codes.OK:
		runtime.HTTPError(ctx, c.e.mux, c.out, w, c.r, st.Err())
	case c.resp == nil:
		runtime.HTTPError(ctx, c.e.mux, c.out, w, c.r, status.Error(codes.Internal, "the server sent no response message"))
	default:
		runtime.ForwardResponseMessage(ctx, c.e.mux, c.out, w, c.r, c.wrap(c.resp), c.e.mux.GetForwardResponseOptions()...)
	}
}

// clientHeader is the header metadata a grpc-go client sees: the
// server's, and the content type of its response, unless it was trailers
// only.
func clientHeader(md metadata.MD, trailersOnly bool) metadata.MD {
	if trailersOnly {
		return md
	}
	if len(md) == 0 {
		return grpcContentType
	}
	out := make(metadata.MD, len(md)+1)
	for k, v := range md {
		out[k] = v
	}
	out["content-type"] = []string{"application/grpc"}
	return out
}

// grpcContentType is the header metadata of a response whose server sent
// none: the runtime only reads it.
var grpcContentType = metadata.MD{"content-type": {"application/grpc"}}

// clientTrailer is the trailer metadata a grpc-go client sees: the
// server's, the status details, and the content type when the response
// was trailers only.
func clientTrailer(md metadata.MD, st *status.Status, trailersOnly bool) metadata.MD {
	p := st.Proto()
	if !trailersOnly && len(p.GetDetails()) == 0 {
		return md
	}
	out := make(metadata.MD, len(md)+2)
	for k, v := range md {
		out[k] = v
	}
	if trailersOnly {
		out["content-type"] = []string{"application/grpc"}
	}
	if len(p.GetDetails()) > 0 {
		if b, err := proto.Marshal(p); err == nil {
			out["grpc-status-details-bin"] = []string{string(b)}
		}
	}
	return out
}

// streamTooLarge ends a stream that outgrew the Lambda response's limit
// with an error chunk saying so, in the room kept for it; a buffered
// response drops the messages it held first.
func (c *call) streamTooLarge() {
	c.lambda.lw.Discard()
	buf, err := c.out.Marshal(map[string]proto.Message{"error": c.lambda.tooLarge().Proto()})
	if err != nil {
		return
	}
	_, _ = c.lambda.ResponseWriter.Write(append(buf, '\n'))
}

// wrap applies the binding's response_body.
func (c *call) wrap(m proto.Message) proto.Message {
	if c.b.responseBody == nil {
		return m
	}
	return responseBody{Message: m, field: c.b.responseBody}
}

// stream writes a server stream with runtime.ForwardResponseStream, which
// pulls the messages: it runs on a goroutine of its own, and each message
// is handed to it and written before send returns.
type stream struct {
	items chan item
	ack   chan struct{}
	done  chan struct{}
}

type item struct {
	m   proto.Message
	err error
}

// errStreamEnded is what sending to a stream the runtime stopped writing
// returns (the client went away).
var errStreamEnded = errors.New("the REST response stream has ended")

func (c *call) startStream(header metadata.MD) *stream {
	s := &stream{items: make(chan item), ack: make(chan struct{}), done: make(chan struct{})}
	ctx := runtime.NewServerMetadataContext(c.ctx, runtime.ServerMetadata{HeaderMD: header})
	first := true
	recv := func() (proto.Message, error) {
		if !first {
			s.ack <- struct{}{}
		}
		first = false
		it := <-s.items
		return it.m, it.err
	}
	go func() {
		defer close(s.done)
		// The stream's writer runs outside the call's recovery: a panic
		// here ends the response, not the process.
		defer func() { _ = recover() }()
		runtime.ForwardResponseStream(ctx, c.e.mux, c.out, c.w, c.r, recv, c.e.mux.GetForwardResponseOptions()...)
	}()
	return s
}

func (s *stream) send(m proto.Message) error {
	select {
	case s.items <- item{m: m}:
	case <-s.done:
		return errStreamEnded
	}
	select {
	case <-s.ack:
		return nil
	case <-s.done:
		return errStreamEnded
	}
}

// end ends the stream with err (nil: io.EOF) and waits for the runtime
// to finish writing.
func (s *stream) end(err error) {
	if err == nil {
		err = io.EOF
	}
	select {
	case s.items <- item{err: err}:
	case <-s.done:
	}
	<-s.done
}

// responseBody is a response whose JSON is one of its fields, as the
// wrapper protoc-gen-grpc-gateway generates for a response_body.
type responseBody struct {
	proto.Message
	field protoreflect.FieldDescriptor
}

// XXX_ResponseBody returns the field's value as the generated wrapper's Go
// value marshals: a message, a slice of messages, or a scalar.
func (r responseBody) XXX_ResponseBody() any { //nolint:revive // the name the runtime looks for
	m := r.ProtoReflect()
	f := r.field
	switch {
	case f.IsList():
		l := m.Get(f).List()
		if f.Message() != nil {
			if l.Len() == 0 {
				return []proto.Message(nil)
			}
			s := make([]proto.Message, l.Len())
			for i := range s {
				s[i] = l.Get(i).Message().Interface()
			}
			return s
		}
		if l.Len() == 0 {
			return []any(nil)
		}
		s := make([]any, l.Len())
		for i := range s {
			s[i] = l.Get(i).Interface()
		}
		return s
	case f.IsMap():
		mp := m.Get(f).Map()
		s := make(map[string]any, mp.Len())
		mp.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
			if f.MapValue().Message() != nil {
				s[k.String()] = v.Message().Interface()
			} else {
				s[k.String()] = v.Interface()
			}
			return true
		})
		return s
	case f.Message() != nil:
		// Unset: a generated message's nil pointer, "{}".
		return m.Get(f).Message().Interface()
	case f.Enum() != nil:
		return enumName{n: m.Get(f).Enum(), d: f.Enum()}
	default:
		return m.Get(f).Interface()
	}
}

// enumName marshals as a generated enum's String does.
type enumName struct {
	n protoreflect.EnumNumber
	d protoreflect.EnumDescriptor
}

// MarshalJSON writes the value's name, or its number when it has none.
func (e enumName) MarshalJSON() ([]byte, error) {
	if v := e.d.Values().ByNumber(e.n); v != nil {
		return []byte(`"` + string(v.Name()) + `"`), nil
	}
	return []byte(strconv.Itoa(int(e.n))), nil
}
