package dispatch

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"
	"unsafe"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/gopool"
	"github.com/lambdagrpc/lambdagrpc/internal/protocol"
)

// direct hands a call to the user's *grpc.Server without
// (*grpc.Server).ServeHTTP. ServeHTTP runs every call on three goroutines
// (the handler's, a body reader's and a request monitor's) that hand each
// message and every write to one another over channels; for a small unary
// call on Lambda that costs more than everything else together. The direct
// path runs the server's own registered handler, with the server's own
// interceptor chains, stats handlers, codec, message size limits and unknown
// service handler, on one goroutine, reading request messages straight from
// the Conn and writing the response to it.

// baseCodec is what grpc-go calls a codec internally: encoding.CodecV2
// without its name. A codec forced with grpc.ForceServerCodec satisfies it.
type baseCodec interface {
	Marshal(v any) (mem.BufferSlice, error)
	Unmarshal(data mem.BufferSlice, v any) error
}

// direct calls a *grpc.Server's handlers directly.
type direct struct {
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

// newDirect returns the direct dispatcher for s, or nil and the reason the
// direct path cannot serve it.
func newDirect(s *grpc.Server, log *slog.Logger) (*direct, string) {
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
	d := &direct{
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

// lookup finds the handler for "/service/method": the registered one, else
// the unknown service handler. ok is false if the server is stopped or
// stopping.
func (d *direct) lookup(service, method string) (impl any, sd *grpc.StreamDesc, known, ok bool) {
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

// Direct reports true.
func (d *direct) Direct() bool { return true }

// Serve runs c on the handler for its method. It returns when the call has
// written its status or ctx ends; a handler still running then is left to
// finish on its own, its writes discarded, as ServeHTTP does. (An abandoned
// handler may still read the request: request bodies are never reused.)
func (d *direct) Serve(ctx context.Context, c *protocol.Conn, deadline, _ time.Time) {
	st := &directStream{d: d, c: c, method: c.Method(), codecName: c.Codec()}
	d.serve(ctx, st, deadline)
	s, trailer, hasDeadline := st.result()
	c.End(ctx, s, trailer, hasDeadline)
}

func (d *direct) serve(ctx context.Context, st *directStream, deadline time.Time) {
	c := st.c
	defer func() { _ = c.Body().Close() }()
	if c.RequestMessage() == nil {
		st.frames = c.Messages(*d.maxRecv)
	} else {
		// The message may be taken as it is (recvMessage), unencoded.
		st.framesLater = true
	}
	st.inMemory = c.InMemory()
	enc, accept := c.Encodings()
	st.recvCompress = enc

	outer := ctx
	var cancel context.CancelFunc
	if !deadline.IsZero() {
		st.hasDeadline = true
		ctx, cancel = context.WithDeadline(ctx, deadline)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()

	md, err := c.Metadata(accept)
	if err != nil {
		// ServeHTTP answers HTTP 400, which becomes INVALID_ARGUMENT.
		st.st = status.New(codes.InvalidArgument, err.Error())
		return
	}
	ctx = metadata.NewIncomingContext(ctx, md)
	r := c.Request()
	p := &peer.Peer{Addr: strAddr(r.RemoteAddr)}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		p.LocalAddr = la
	}
	if r.TLS != nil {
		p.AuthInfo = credentials.TLSInfo{State: *r.TLS, CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}
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
	if sd.ClientStreams {
		// A half-duplex stream's handler may answer a message before it
		// reads the next.
		c.EnableFullDuplex()
	}

	// The handler runs on a goroutine of its own so that the call can be
	// cut off when outer ends (the client goes away, the response outgrows
	// its limit, or the grace period after the handler's deadline runs
	// out) even if the handler ignores its context.
	st.impl, st.sh = impl, sh
	done := doneChans.Get().(chan struct{})
	st.finished = done
	gopool.Run(st)
	select {
	case <-done:
		doneChans.Put(done)
	case <-outer.Done():
		st.abandon()
		c.Abandon()
	}
}

// doneChans holds the channels on which handler goroutines say they have
// finished. Each is buffered, so that a handler whose call was cut off
// never waits to say so, and goes back once received from.
var doneChans = sync.Pool{New: func() any { return make(chan struct{}, 1) }}

// Run runs the handler, on the goroutine serve hands the call to, and then
// says so on s.finished.
func (s *directStream) Run() {
	defer func() { s.finished <- struct{}{} }()
	s.run(s.impl, s.sh)
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
