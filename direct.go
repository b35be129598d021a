package lambdagrpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// The direct path hands a call to the user's *grpc.Server without
// (*grpc.Server).ServeHTTP. ServeHTTP runs every call on three goroutines
// (the handler's, a body reader's and a request monitor's) that hand each
// message and every write to one another over channels; for a small unary
// call on Lambda that costs more than everything else together. The direct
// path runs the server's own registered handler, with the server's own
// interceptor chains, stats handlers, codec, message size limits and unknown
// service handler, on one goroutine, reading request messages straight from
// the body and writing the native response into the same
// http.ResponseWriter that ServeHTTP would, so the protocol translation in
// handler.go is the same on both paths.
//
// Like installRecovery it reads a few unexported fields of the server. Each
// is checked by name, type and, for the service table, layout when the
// handler is built; if any differs (a grpc-go release changed them) or the
// server uses a feature the direct path does not carry (binary logging, the
// deprecated RPCCompressor and RPCDecompressor options, the xDS stream
// wrapper, golang.org/x/net/trace), the handler uses ServeHTTP instead.

// serviceInfo mirrors grpc-go's per-service table; newDispatcher checks
// that the layouts agree field by field before it reads one.
type serviceInfo struct {
	serviceImpl any
	streams     map[string]*grpc.StreamDesc
	mdata       any //nolint:unused // the layout must match grpc-go's
}

// baseCodec is what grpc-go calls a codec internally: encoding.CodecV2
// without its name. A codec forced with grpc.ForceServerCodec satisfies it.
type baseCodec interface {
	Marshal(v any) (mem.BufferSlice, error)
	Unmarshal(data mem.BufferSlice, v any) error
}

// dispatcher calls a *grpc.Server's handlers directly.
type dispatcher struct {
	log       *slog.Logger
	mu        *sync.Mutex
	services  *map[string]*serviceInfo
	conns     *unsafe.Pointer // a map, nil once the server is stopped
	drain     *bool           // set while the server stops gracefully
	unknown   **grpc.StreamDesc
	streamInt *grpc.StreamServerInterceptor
	stats     *stats.Handler
	maxRecv   *int
	maxSend   *int
	codec     baseCodec // forced by grpc.ForceServerCodec, or nil
	metrics   *callMetrics
}

// callMetrics points at the server's channelz call counters.
type callMetrics struct {
	started, succeeded, failed, lastStarted *atomic.Int64
}

// newDispatcher returns a dispatcher for s, or nil and the reason the
// direct path cannot serve it.
func newDispatcher(s *grpc.Server, log *slog.Logger) (*dispatcher, string) {
	if grpc.EnableTracing {
		return nil, "grpc.EnableTracing is set"
	}
	if os.Getenv("GRPC_BINARY_LOG_FILTER") != "" {
		return nil, "binary logging is configured"
	}
	sv := reflect.ValueOf(s).Elem()
	opts := sv.FieldByName("opts")
	if !opts.IsValid() {
		return nil, "grpc.Server has no opts field"
	}
	for _, name := range []string{"cp", "dc", "binaryLogger", "streamWrapper"} {
		f := opts.FieldByName(name)
		if !f.IsValid() {
			return nil, "grpc.Server options have no " + name + " field"
		}
		if !f.IsNil() {
			return nil, "the server sets " + name
		}
	}
	d := &dispatcher{
		log:       log,
		mu:        field[sync.Mutex](sv, "mu"),
		conns:     mapField(sv, "conns"),
		drain:     field[bool](sv, "drain"),
		unknown:   field[*grpc.StreamDesc](opts, "unknownStreamDesc"),
		streamInt: field[grpc.StreamServerInterceptor](opts, "streamInt"),
		stats:     field[stats.Handler](sv, "statsHandler"),
		maxRecv:   field[int](opts, "maxReceiveMessageSize"),
		maxSend:   field[int](opts, "maxSendMessageSize"),
	}
	if d.mu == nil || d.conns == nil || d.drain == nil || d.unknown == nil || d.streamInt == nil || d.stats == nil || d.maxRecv == nil || d.maxSend == nil {
		return nil, "grpc.Server's fields changed"
	}
	handlers := field[[]stats.Handler](opts, "statsHandlers")
	if handlers == nil {
		return nil, "grpc.Server's stats handlers field changed"
	}
	for _, h := range *handlers {
		t := reflect.TypeOf(h)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if strings.HasPrefix(t.PkgPath(), "google.golang.org/grpc/") {
			// grpc-go's own stats handlers (OpenTelemetry, CSM) find the
			// server through a context value only grpc-go can set.
			return nil, "the server has grpc-go's own stats handler " + t.String()
		}
	}
	if d.services = servicesField(sv); d.services == nil {
		return nil, "grpc.Server's service table changed"
	}
	if f := opts.FieldByName("codec"); !f.IsValid() || f.Kind() != reflect.Interface || !f.CanAddr() {
		return nil, "grpc.Server's codec field changed"
	} else if !f.IsNil() {
		c, ok := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(baseCodec)
		if !ok {
			return nil, "the server's codec has an unknown shape"
		}
		d.codec = c
	}
	d.metrics = channelzMetrics(sv)
	return d, ""
}

// mapField returns a pointer to the map-typed unexported field name of v.
func mapField(v reflect.Value, name string) *unsafe.Pointer {
	f := v.FieldByName(name)
	if !f.IsValid() || f.Kind() != reflect.Map || !f.CanAddr() {
		return nil
	}
	return (*unsafe.Pointer)(unsafe.Pointer(f.UnsafeAddr()))
}

// servicesField returns a pointer to s.services if its type has the layout
// of serviceInfo.
func servicesField(sv reflect.Value) *map[string]*serviceInfo {
	f := sv.FieldByName("services")
	if !f.IsValid() || !f.CanAddr() {
		return nil
	}
	t := f.Type()
	if t.Kind() != reflect.Map || t.Key().Kind() != reflect.String || t.Elem().Kind() != reflect.Pointer {
		return nil
	}
	real, mirror := t.Elem().Elem(), reflect.TypeFor[serviceInfo]()
	if real.Kind() != reflect.Struct || real.NumField() != mirror.NumField() || real.Size() != mirror.Size() {
		return nil
	}
	for i := range mirror.NumField() {
		a, b := real.Field(i), mirror.Field(i)
		if a.Name != b.Name || a.Type != b.Type || a.Offset != b.Offset {
			return nil
		}
	}
	return (*map[string]*serviceInfo)(unsafe.Pointer(f.UnsafeAddr()))
}

// channelzMetrics finds the server's channelz call counters; nil if their
// shape changed (the calls are then not counted there).
func channelzMetrics(sv reflect.Value) *callMetrics {
	cz := sv.FieldByName("channelz")
	if !cz.IsValid() || cz.Kind() != reflect.Pointer || cz.IsNil() {
		return nil
	}
	m := cz.Elem().FieldByName("ServerMetrics")
	if !m.IsValid() {
		return nil
	}
	m = reflect.NewAt(m.Type(), unsafe.Pointer(m.UnsafeAddr())).Elem()
	c := &callMetrics{
		started:     field[atomic.Int64](m, "CallsStarted"),
		succeeded:   field[atomic.Int64](m, "CallsSucceeded"),
		failed:      field[atomic.Int64](m, "CallsFailed"),
		lastStarted: field[atomic.Int64](m, "LastCallStartedTimestamp"),
	}
	if c.started == nil || c.succeeded == nil || c.failed == nil || c.lastStarted == nil {
		return nil
	}
	return c
}

// lookup finds the handler for "/service/method": the registered one, else
// the unknown service handler. ok is false if the server is stopped or
// stopping.
func (d *dispatcher) lookup(service, method string) (impl any, sd *grpc.StreamDesc, known, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if *d.conns == nil || *d.drain {
		return nil, nil, false, false
	}
	info, known := (*d.services)[service]
	if known {
		if sd := info.streams[method]; sd != nil {
			return info.serviceImpl, sd, true, true
		}
	}
	return nil, *d.unknown, known, true
}

// serve runs the call w on the handler for path, reading request messages
// from body; deadline, if set, is the handler's. It returns when the call
// has written its status or ctx ends; a handler still running then is left
// to finish on its own, its writes discarded, as ServeHTTP does. (An
// abandoned handler may still read body: request bodies are never reused.)
func (d *dispatcher) serve(ctx context.Context, w *call, path string, body io.ReadCloser, deadline time.Time) {
	defer func() { _ = body.Close() }()
	st := &directStream{d: d, w: w, method: path, codecName: w.codec}
	switch mb, ok := body.(*httpx.MemoryBody); {
	case w.unaryIn:
		// A Connect unary message already in memory: decode it in place.
		st.frames = *wire.NewMessageReader(w.unaryFlag, w.unary, *d.maxRecv)
	case ok:
		// The event's body is not reused: decode messages in place.
		st.frames = *wire.NewBytesReader(mb.Bytes(), *d.maxRecv)
	default:
		// With the body's length known, a frame that cannot fit is
		// truncated before anything is allocated; without it, the buffer
		// grows as bytes arrive.
		st.frames = *wire.NewReader(body, *d.maxRecv).WithLength(w.bodyLen)
	}
	enc, accept := w.encodings()
	st.recvCompress = enc

	outer := ctx
	var cancel context.CancelFunc
	if !deadline.IsZero() {
		ctx, cancel = context.WithDeadline(ctx, deadline)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()

	w.native = &nativeResponse{}
	md, err := w.metadata(accept)
	if err != nil {
		// ServeHTTP answers HTTP 400, which becomes INVALID_ARGUMENT.
		w.native.st = status.New(codes.InvalidArgument, err.Error())
		return
	}
	ctx = metadata.NewIncomingContext(ctx, md)
	p := &peer.Peer{Addr: strAddr(w.r.RemoteAddr)}
	if la, ok := w.r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		p.LocalAddr = la
	}
	if w.r.TLS != nil {
		p.AuthInfo = credentials.TLSInfo{State: *w.r.TLS, CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}
	}
	ctx = peer.NewContext(ctx, p)
	st.ctx, st.statsCtx, st.cancel = ctx, ctx, cancel

	// What grpc-go's ServeHTTP reports to stats handlers: a connection per
	// request, then the call.
	sh := *d.stats
	if sh != nil {
		ctx = sh.TagConn(ctx, &stats.ConnTagInfo{RemoteAddr: p.Addr, LocalAddr: p.LocalAddr})
		sh.HandleConn(ctx, &stats.ConnBegin{})
		defer sh.HandleConn(ctx, &stats.ConnEnd{})
		st.ctx, st.statsCtx = ctx, ctx
	}
	service, method, ok := splitMethod(st.method)
	if !ok {
		st.writeStatus(status.Newf(codes.Unimplemented, "malformed method name: %q", st.method))
		return
	}
	if sh != nil {
		ctx = sh.TagRPC(ctx, &stats.RPCTagInfo{FullMethodName: st.method})
		sh.HandleRPC(ctx, &stats.InHeader{
			FullMethod:  st.method,
			RemoteAddr:  p.Addr,
			LocalAddr:   p.LocalAddr,
			Compression: st.recvCompress,
			Header:      md,
		})
		st.ctx, st.statsCtx = ctx, ctx
	}

	impl, sd, known, ok := d.lookup(service, method)
	switch {
	case !ok:
		st.writeStatus(status.New(codes.Unavailable, "the gRPC server has been stopped or is stopping"))
		return
	case sd == nil && !known:
		st.writeStatus(status.Newf(codes.Unimplemented, "unknown service %v", service))
		return
	case sd == nil:
		st.writeStatus(status.Newf(codes.Unimplemented, "unknown method %v for service %v", method, service))
		return
	}
	st.desc = sd
	if sd.ClientStreams && w.r.ProtoMajor == 1 {
		// net/http closes an HTTP/1 request body once the response starts
		// unless told otherwise, and a half-duplex stream's handler may
		// answer a message before it reads the next.
		_ = http.NewResponseController(w.w).EnableFullDuplex()
	}

	// The handler runs on a goroutine of its own so that the call can be
	// cut off when outer ends (the client goes away, the response outgrows
	// its limit, or the grace period after the handler's deadline runs
	// out) even if the handler ignores its context.
	done := make(chan struct{})
	go func() {
		defer close(done)
		st.run(impl, sh)
	}()
	select {
	case <-done:
	case <-outer.Done():
		st.abandon()
		w.abandoned = true
	}
}

func splitMethod(m string) (service, method string, ok bool) {
	sm, found := strings.CutPrefix(m, "/")
	if !found {
		return "", "", false
	}
	pos := strings.LastIndexByte(sm, '/')
	if pos == -1 {
		return "", "", false
	}
	return sm[:pos], sm[pos+1:], true
}

type strAddr string

func (a strAddr) Network() string {
	if a != "" {
		return "tcp"
	}
	return ""
}

func (a strAddr) String() string { return string(a) }

// errIllegalHeaderWrite is grpc-go's answer to a header set or sent after
// the headers went out.
var errIllegalHeaderWrite = status.Error(codes.Internal, "transport: SendHeader called multiple times")

// directStream is one call on the direct path: the grpc.ServerStream its
// handler gets. Its methods are called from the handler's goroutine; the
// mutex orders them against abandon, called from the request's goroutine.
type directStream struct {
	d         *dispatcher
	w         *call
	ctx       context.Context // the handler's
	statsCtx  context.Context // the stats handler's: ctx without the transport stream
	cancel    context.CancelFunc
	method    string
	desc      *grpc.StreamDesc
	frames    wire.Reader // the request's messages
	codecName string
	codec     baseCodec

	recvCompress string
	decompressor encoding.Compressor
	sendCompress string
	compressor   encoding.Compressor

	recvFirst bool
	sendHdr   [wire.HeaderLen]byte // SendMsg's frame header, under mu

	mu         sync.Mutex
	header     metadata.MD
	trailer    metadata.MD
	headerSent bool
	done       bool // the status is written or the call was abandoned
}

// run calls the handler and writes its status, as grpc-go's processRPC
// does.
func (s *directStream) run(impl any, sh stats.Handler) {
	d := s.d
	if m := d.metrics; m != nil {
		m.started.Add(1)
		m.lastStarted.Store(time.Now().UnixNano())
	}
	var begin *stats.Begin
	if sh != nil {
		begin = &stats.Begin{BeginTime: time.Now(), IsClientStream: s.desc.ClientStreams, IsServerStream: s.desc.ServerStreams}
		sh.HandleRPC(s.statsCtx, begin)
	}
	var appErr error
	defer func() {
		if p := recover(); p != nil {
			// A panic outside the interceptor chain (a codec, a stats
			// handler): the interceptors installed by installRecovery could
			// not catch it.
			d.log.ErrorContext(s.ctx, "lambdagrpc: handler panicked", "method", s.method, "panic", p, "stack", string(debug.Stack()))
			appErr = status.Error(codes.Internal, panicMessage)
			s.writeStatus(status.Convert(appErr))
		}
		if sh != nil {
			end := &stats.End{BeginTime: begin.BeginTime, EndTime: time.Now()}
			if appErr != nil && !errors.Is(appErr, io.EOF) {
				end.Error = appErr
			}
			sh.HandleRPC(s.statsCtx, end)
		}
		if m := d.metrics; m != nil {
			if appErr != nil && !errors.Is(appErr, io.EOF) {
				m.failed.Add(1)
			} else {
				m.succeeded.Add(1)
			}
		}
	}()

	s.ctx = grpc.NewContextWithServerTransportStream(s.ctx, transportStream{s})
	if d.codec != nil {
		s.codec = d.codec
	} else {
		s.codec = codecFor(s.codecName)
	}
	if rc := s.recvCompress; rc != "" && rc != encoding.Identity {
		s.decompressor = encoding.GetCompressor(rc)
		if s.decompressor == nil {
			st := status.Newf(codes.Unimplemented, "grpc: Decompressor is not installed for grpc-encoding %q", rc)
			s.writeStatus(st)
			appErr = st.Err()
			return
		}
		// grpc-go answers in the encoding the request came in.
		s.compressor, s.sendCompress = s.decompressor, rc
	}

	if *d.streamInt == nil || (!s.desc.ClientStreams && !s.desc.ServerStreams) {
		appErr = s.desc.Handler(impl, s)
	} else {
		info := &grpc.StreamServerInfo{FullMethod: s.method, IsClientStream: s.desc.ClientStreams, IsServerStream: s.desc.ServerStreams}
		appErr = (*d.streamInt)(impl, s, info, s.desc.Handler)
	}
	if appErr != nil {
		st, ok := status.FromError(appErr)
		if !ok {
			st = status.FromContextError(appErr)
			appErr = st.Err()
		}
		s.writeStatus(st)
		return
	}
	s.writeStatus(statusOK)
}

var statusOK = status.New(codes.OK, "")

// codecFor returns the registered codec for a content subtype, as grpc-go
// picks it: a V1 codec first, then a V2 one, else proto.
func codecFor(name string) baseCodec {
	if name == "" {
		name = "proto"
	}
	if c := encoding.GetCodec(name); c != nil {
		return codecV1{c}
	}
	if c := encoding.GetCodecV2(name); c != nil {
		return c
	}
	return encoding.GetCodecV2("proto")
}

// codecV1 adapts an encoding.Codec.
type codecV1 struct{ c encoding.Codec }

func (c codecV1) Marshal(v any) (mem.BufferSlice, error) {
	b, err := c.c.Marshal(v)
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (c codecV1) Unmarshal(data mem.BufferSlice, v any) error {
	return c.c.Unmarshal(data.Materialize(), v)
}

// abandon ends the call for the request's goroutine: the handler's later
// writes are dropped.
func (s *directStream) abandon() {
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
}

// Context implements grpc.ServerStream.
func (s *directStream) Context() context.Context { return s.ctx }

// SetHeader implements grpc.ServerStream.
func (s *directStream) SetHeader(md metadata.MD) error {
	if md.Len() == 0 {
		return nil
	}
	if err := validateMetadata(md); err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return s.setHeader(md)
}

func (s *directStream) setHeader(md metadata.MD) error {
	if md.Len() == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headerSent || s.done {
		return errIllegalHeaderWrite
	}
	s.header = metadata.Join(s.header, md)
	return nil
}

// SendHeader implements grpc.ServerStream.
func (s *directStream) SendHeader(md metadata.MD) error {
	if err := validateMetadata(md); err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return s.sendHeader(md)
}

func (s *directStream) sendHeader(md metadata.MD) error {
	sent, err := func() (metadata.MD, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.headerSent || s.done {
			return nil, errIllegalHeaderWrite
		}
		s.header = metadata.Join(s.header, md)
		sent := s.writeHeaderLocked()
		s.w.WriteHeader(http.StatusOK)
		s.w.Flush()
		return sent, nil
	}()
	if err != nil {
		return err
	}
	s.outHeader(sent)
	return nil
}

// SetTrailer implements grpc.ServerStream.
func (s *directStream) SetTrailer(md metadata.MD) {
	if md.Len() == 0 {
		return
	}
	if err := validateMetadata(md); err != nil {
		s.d.log.Error("lambdagrpc: invalid trailer metadata", "method", s.method, "error", err)
	}
	_ = s.setTrailer(md)
}

func (s *directStream) setTrailer(md metadata.MD) error {
	if md.Len() == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return errIllegalHeaderWrite
	}
	s.trailer = metadata.Join(s.trailer, md)
	return nil
}

// writeHeaderLocked hands the response headers to the call, as grpc-go's
// ServeHTTP transport writes them on the first write, and returns them for
// outHeader, which the caller calls once it has let go of the lock.
func (s *directStream) writeHeaderLocked() metadata.MD {
	s.headerSent = true
	s.w.native.header = s.header
	s.w.native.enc = s.sendCompress
	return s.header
}

// outHeader tells the stats handler about headers sent.
func (s *directStream) outHeader(md metadata.MD) {
	if sh := *s.d.stats; sh != nil {
		sh.HandleRPC(s.statsCtx, &stats.OutHeader{Header: md.Copy(), Compression: s.sendCompress})
	}
}

// writeStatus ends the call with st, once; later statuses are dropped.
// Like grpc-go's, it ends the handler's context: the call is over.
func (s *directStream) writeStatus(st *status.Status) {
	trailer, ok := func() (metadata.MD, bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.done {
			return nil, false
		}
		s.done = true
		if !s.headerSent {
			// A status with no message before it goes out alone
			// (trailers-only): no OutHeader event.
			s.writeHeaderLocked()
		}
		s.w.Flush()
		s.w.native.st = st
		s.w.native.trailer = s.trailer
		return s.trailer, true
	}()
	if !ok {
		return
	}
	s.cancel()
	if sh := *s.d.stats; sh != nil {
		sh.HandleRPC(s.statsCtx, &stats.OutTrailer{Trailer: trailer.Copy()})
	}
}

// SendMsg implements grpc.ServerStream.
func (s *directStream) SendMsg(m any) (err error) {
	defer func() {
		if err != nil && !errors.Is(err, io.EOF) {
			s.writeStatus(status.Convert(err))
		}
	}()
	var data mem.BufferSlice
	if m != nil { // grpc-go sends an untyped nil as an empty message
		if data, err = s.codec.Marshal(m); err != nil {
			return status.Errorf(codes.Internal, "grpc: error while marshaling: %v", err)
		}
		defer data.Free()
	}
	dataLen := data.Len()
	if uint(dataLen) > math.MaxUint32 {
		return status.Errorf(codes.ResourceExhausted, "grpc: message too large (%d bytes)", dataLen)
	}
	payload, flags := data, byte(0)
	if s.compressor != nil && dataLen > 0 {
		chunks := make([][]byte, len(data))
		for i, b := range data {
			chunks[i] = b.ReadOnlyData()
		}
		out, err := wire.Compress(s.compressor, chunks...)
		if err != nil {
			return status.Errorf(codes.Internal, "grpc: error while compressing: %v", err)
		}
		payload, flags = mem.BufferSlice{mem.SliceBuffer(out)}, wire.FlagCompressed
	}
	payloadLen := payload.Len()
	if payloadLen > *s.d.maxSend {
		return status.Errorf(codes.ResourceExhausted, "trying to send message larger than max (%d vs. %d)", payloadLen, *s.d.maxSend)
	}

	var sent metadata.MD
	var headerNow, ended bool
	var werr error
	func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.done {
			ended = true
			return
		}
		if !s.headerSent {
			sent, headerNow = s.writeHeaderLocked(), true
		}
		_, werr = s.w.Write(wire.AppendHeader(s.sendHdr[:0], flags, payloadLen))
		for _, b := range payload {
			if werr != nil {
				break
			}
			_, werr = s.w.Write(b.ReadOnlyData())
		}
		if werr == nil {
			s.w.Flush()
		}
	}()
	if ended {
		return s.endedError()
	}
	if headerNow {
		s.outHeader(sent)
	}
	if werr != nil {
		return s.writeError(werr)
	}
	if sh := *s.d.stats; sh != nil {
		sh.HandleRPC(s.statsCtx, &stats.OutPayload{
			Payload:          m,
			Length:           dataLen,
			WireLength:       payloadLen + wire.HeaderLen,
			CompressedLength: payloadLen,
			SentTime:         time.Now(),
		})
	}
	return nil
}

// writeError explains a failed write of a response message.
func (s *directStream) writeError(err error) error {
	if errors.Is(err, errResponseTooLarge) {
		return status.Error(codes.ResourceExhausted, err.Error())
	}
	if cerr := s.ctx.Err(); cerr != nil {
		return status.FromContextError(cerr).Err()
	}
	return status.Errorf(codes.Unavailable, "writing the response: %v", err)
}

// endedError is what writing to a call that has ended returns.
func (s *directStream) endedError() error {
	if err := s.ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return status.Error(codes.Unavailable, "transport is closing")
}

// RecvMsg implements grpc.ServerStream.
func (s *directStream) RecvMsg(m any) (err error) {
	defer func() {
		if err != nil && !errors.Is(err, io.EOF) {
			s.writeStatus(status.Convert(err))
		}
	}()
	if err := s.recv(m, true); err != nil {
		if errors.Is(err, io.EOF) && !s.desc.ClientStreams && !s.recvFirst {
			return status.Error(codes.Internal, "cardinality violation: received no request message from non-client-streaming RPC")
		}
		return err
	}
	s.recvFirst = true
	if s.desc.ClientStreams {
		return nil
	}
	// A unary or server-streaming call has exactly one request message. As
	// in grpc-go, a second one is decoded (into m) but not counted.
	if err := s.recv(m, false); errors.Is(err, io.EOF) {
		return nil
	} else if err != nil {
		return err
	}
	return status.Error(codes.Internal, "cardinality violation: received multiple request messages for non-client-streaming RPC")
}

// recv reads, checks, decompresses and decodes the next request message.
// It returns io.EOF at a clean end of the body. The stats handler hears of
// the message if count is set.
func (s *directStream) recv(m any, count bool) error {
	flags, buf, err := s.frames.Next()
	if err != nil {
		var tl *wire.FrameTooLargeError
		switch {
		case errors.Is(err, io.EOF):
			return io.EOF
		case errors.As(err, &tl):
			return status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", tl.Length, tl.Max)
		case errors.Is(err, wire.ErrTruncated):
			return readError(io.ErrUnexpectedEOF)
		}
		return readError(err)
	}
	switch flags {
	case 0:
	case wire.FlagCompressed:
		if s.recvCompress == "" || s.recvCompress == encoding.Identity {
			return status.Error(codes.Internal, "grpc: compressed flag set with identity or empty encoding")
		}
	default:
		return status.Errorf(codes.Internal, "grpc: received unexpected payload format %d", flags)
	}
	data := buf
	if flags == wire.FlagCompressed {
		var err error
		if data, err = s.decompress(buf); err != nil {
			return err
		}
	}
	if err := s.codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(data)}, m); err != nil {
		return status.Errorf(codes.Internal, "grpc: failed to unmarshal the received message: %v", err)
	}
	if sh := *s.d.stats; sh != nil && count {
		sh.HandleRPC(s.statsCtx, &stats.InPayload{
			RecvTime:         time.Now(),
			Payload:          m,
			Length:           len(data),
			WireLength:       len(buf) + wire.HeaderLen,
			CompressedLength: len(buf),
		})
	}
	return nil
}

func (s *directStream) decompress(p []byte) ([]byte, error) {
	max := *s.d.maxRecv
	out, tooLarge, err := wire.Decompress(s.decompressor, p, max)
	switch {
	case err != nil:
		return nil, status.Errorf(codes.Internal, "grpc: failed to decompress the message: %v", err)
	case tooLarge:
		return nil, status.Errorf(codes.ResourceExhausted, "grpc: received message after decompression larger than max %d", max)
	}
	return out, nil
}

// readError maps a failure to read the request body to a status.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return status.Error(codes.Internal, io.ErrUnexpectedEOF.Error())
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Errorf(codes.Internal, "reading the request: %v", err)
}

// validateMetadata checks metadata as grpc-go does before sending it.
func validateMetadata(md metadata.MD) error {
	for k, vs := range md {
		if k == "" {
			return errors.New("there is an empty key in the header")
		}
		if k[0] == ':' {
			continue
		}
		for i := range len(k) {
			c := k[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '-' && c != '_' {
				return fmt.Errorf("header key %q contains illegal characters not in [0-9a-z-_.]", k)
			}
		}
		if strings.HasSuffix(k, "-bin") {
			continue
		}
		for _, v := range vs {
			for i := range len(v) {
				if v[i] < 0x20 || v[i] > 0x7e {
					return fmt.Errorf("header key %q contains value with non-printable ASCII characters", k)
				}
			}
		}
	}
	return nil
}

// transportStream is the grpc.ServerTransportStream in a direct call's
// context, through which grpc.SetHeader, grpc.SendHeader, grpc.SetTrailer
// and grpc.Method reach the call.
type transportStream struct{ s *directStream }

func (t transportStream) Method() string                  { return t.s.method }
func (t transportStream) SetHeader(md metadata.MD) error  { return t.s.setHeader(md) }
func (t transportStream) SendHeader(md metadata.MD) error { return t.s.sendHeader(md) }
func (t transportStream) SetTrailer(md metadata.MD) error { return t.s.setTrailer(md) }
