package rest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

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
		if u, ok := w.(*unrouted); ok {
			w = u.ResponseWriter // matched: the call is REST's
		}
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
		req, err := proto.Marshal(msg)
		if err != nil {
			runtime.HTTPError(actx, e.mux, out, w, r, status.Errorf(codes.Internal, "cannot encode the request: %v", err))
			return
		}
		md, _ := metadata.FromOutgoingContext(actx)
		c := &call{e: e, b: b, w: w, r: r, ctx: actx, out: out, md: md}
		if _, ok := w.(httpx.LimitedWriter); ok {
			c.w = &lambdaWriter{ResponseWriter: w}
		}
		e.serve(protocol.OpenTranscoded(w, r, b.fullMethod, req, c))
	}
}

// lambdaWriter drops the Transfer-Encoding header grpc-gateway sets on
// streams: a Lambda response is not chunked by the function, and a front
// door answers with a length or streams it its own way.
type lambdaWriter struct{ http.ResponseWriter }

func (w *lambdaWriter) WriteHeader(code int) {
	w.Header().Del("Transfer-Encoding")
	w.ResponseWriter.WriteHeader(code)
}

func (w *lambdaWriter) Write(p []byte) (int, error) {
	w.Header().Del("Transfer-Encoding")
	return w.ResponseWriter.Write(p)
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

	resp   proto.Message // a unary call's response
	stream *stream       // a server stream's writer, once started
}

// Metadata is the metadata runtime.AnnotateContext made of the request.
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
		c.stream = c.startStream(clientHeader(header))
	}
	return c.stream.send(c.wrap(m))
}

// Flush: a stream is flushed after each message, as grpc-gateway does.
func (c *call) Flush() {}

// End writes a unary response or error, or ends a stream.
func (c *call) End(header, trailer metadata.MD, st *status.Status) {
	if !c.b.streaming {
		trailer = clientTrailer(trailer, st, len(header) == 0 && c.resp == nil)
	}
	header = clientHeader(header)
	if c.b.streaming {
		if c.stream == nil {
			c.stream = c.startStream(header)
		}
		c.stream.end(st.Err())
		return
	}
	ctx := runtime.NewServerMetadataContext(c.ctx, runtime.ServerMetadata{HeaderMD: header, TrailerMD: trailer})
	switch {
	case st.Code() != codes.OK:
		runtime.HTTPError(ctx, c.e.mux, c.out, c.w, c.r, st.Err())
	case c.resp == nil:
		runtime.HTTPError(ctx, c.e.mux, c.out, c.w, c.r, status.Error(codes.Internal, "the server sent no response message"))
	default:
		runtime.ForwardResponseMessage(ctx, c.e.mux, c.out, c.w, c.r, c.wrap(c.resp), c.e.mux.GetForwardResponseOptions()...)
	}
}

// clientHeader is the header metadata a grpc-go client sees: the
// server's, and the content type of its response.
func clientHeader(md metadata.MD) metadata.MD {
	out := make(metadata.MD, len(md)+1)
	for k, v := range md {
		out[k] = v
	}
	out["content-type"] = []string{"application/grpc"}
	return out
}

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
