// Package bridge serves native gRPC (HTTP/2, h2c or TLS) and forwards every
// call to a Lambda-hosted service through the client package, so grpcurl,
// Postman and gRPC clients in any language can call a function as if it
// were an ordinary gRPC server.
//
// The bridge needs no generated code: it forwards any method as raw
// bytes. Server-streamed messages are forwarded as they arrive. Client and
// bidi streams are half-duplex, because a Lambda request body arrives whole:
// the bridge collects the client's messages until it half-closes, then
// makes one call. The reflection service's bidi stream is the exception:
// each of its requests is forwarded as a call of its own, so grpcurl's
// list and describe work.
package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/internal/forwardrole"
)

// DefaultMaxRequestBytes bounds the messages collected from a client or
// bidi stream before the one call that carries them: Lambda's 6 MB invoke
// payload holds about 4.5 MB of binary body once base64-encoded.
const DefaultMaxRequestBytes = 4_500_000

// DefaultMaxResponseBytes bounds each response message the bridge accepts
// from an upstream: 200 MiB, the most a streamed Lambda response carries.
// The bridge cannot know whether a Function URL streams, and a buffered one
// delivers at most 6,291,556 bytes of response document anyway, so the
// larger cap refuses nothing Lambda could deliver. Its cost is memory: one
// message is held whole while it is forwarded (the client grows the buffer
// as bytes arrive, so a lying length prefix costs no more than what came).
const DefaultMaxResponseBytes = 200 << 20

// Bridge forwards native gRPC calls to upstreams.
type Bridge struct {
	def       upstream
	services  map[string]upstream
	log       *slog.Logger
	maxReq    int
	maxResp   int
	callOpts  []grpc.CallOption // every upstream call's, set by New
	srv       *grpc.Server
	perCall   map[string]bool
	serverOpt []grpc.ServerOption
	errs      []error // configuration errors, reported by New

	// self and target name the bridge and its upstream in the errors
	// callers get; package proxy renames them (internal/forwardrole).
	self, target, targetLong string
}

func init() {
	forwardrole.Option = func(self, upstream string) any {
		return optionFunc(func(b *Bridge) { b.self, b.target, b.targetLong = self, upstream, "the "+upstream })
	}
}

type upstream struct {
	name string
	cc   grpc.ClientConnInterface
	// wire: cc is a *client.Conn, which marks the statuses its server
	// sent (client.IsWireError); another connection's errors cannot be
	// told apart, so they are all passed on.
	wire bool
}

func newUpstream(name string, cc grpc.ClientConnInterface) upstream {
	_, wire := cc.(*client.Conn)
	return upstream{name: name, cc: cc, wire: wire}
}

// Option configures a Bridge.
type Option interface{ apply(*Bridge) }

type optionFunc func(*Bridge)

func (f optionFunc) apply(b *Bridge) { f(b) }

// WithService routes the calls of one service ("package.Service") to cc,
// named by name in the bridge's log (never to callers). Other services go
// to the default upstream given to New. New reports an empty or malformed
// service name, a nil cc, and a service given twice.
func WithService(service, name string, cc grpc.ClientConnInterface) Option {
	return optionFunc(func(b *Bridge) {
		switch {
		case service == "" || strings.Contains(service, "/"):
			b.errf("bridge: WithService(%q): give a service's full name, such as \"package.Service\"", service)
		case cc == nil:
			b.errf("bridge: WithService(%q): the connection is nil", service)
		case b.services[service].cc != nil:
			b.errf("bridge: WithService(%q) given twice: the second would silently replace the first", service)
		default:
			b.services[service] = newUpstream(name, cc)
		}
	})
}

func (b *Bridge) errf(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf(format, args...))
}

// WithLogger logs one line per call (method, code, duration) and the
// bridge's events. The default discards them; New reports a nil logger.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(b *Bridge) {
		if l == nil {
			b.errf("bridge: WithLogger(nil): give a logger, or leave the option out to discard the log")
			return
		}
		b.log = l
	})
}

// WithMaxRequestBytes bounds what a client or bidi stream may send before
// half-closing, in bytes; it must be positive. The default is
// DefaultMaxRequestBytes.
func WithMaxRequestBytes(n int) Option {
	return optionFunc(func(b *Bridge) {
		if n <= 0 {
			b.errf("bridge: WithMaxRequestBytes(%d): the limit must be a positive number of bytes", n)
			return
		}
		b.maxReq = n
	})
}

// WithMaxResponseBytes bounds each response message from an upstream. The
// default is DefaultMaxResponseBytes. The bound travels to the upstream as
// grpc.MaxCallRecvMsgSize on every call, so it replaces each upstream
// Conn's own limit; 0 leaves those limits (client.WithMaxRecvMsgSize) in
// charge, as lambdagrpc bridge does to choose one per upstream. A message
// over the limit fails with RESOURCE_EXHAUSTED naming it. The caller's own
// receive limit (grpc.MaxCallRecvMsgSize in the caller) applies after.
// New reports a negative n.
func WithMaxResponseBytes(n int) Option {
	return optionFunc(func(b *Bridge) {
		if n < 0 {
			b.errf("bridge: WithMaxResponseBytes(%d): the limit must be a positive number of bytes, or 0 for each upstream's own", n)
			return
		}
		b.maxResp = n
	})
}

// WithServerOptions adds grpc-go server options, such as grpc.Creds for
// TLS. The default serves h2c (cleartext HTTP/2). They apply after the
// bridge's own, so grpc.MaxRecvMsgSize here replaces WithMaxRequestBytes'
// bound on one message (not on a stream's total). New reports a nil one.
func WithServerOptions(opts ...grpc.ServerOption) Option {
	return optionFunc(func(b *Bridge) {
		for i, o := range opts {
			if o == nil {
				b.errf("bridge: WithServerOptions: option %d of %d is nil", i+1, len(opts))
				return
			}
		}
		b.serverOpt = append(b.serverOpt, opts...)
	})
}

// WithPerMessage forwards each request message of the named bidi methods
// ("/package.Service/Method") as a call of its own, so a client that waits
// for an answer before sending the next request works. The reflection
// services' ServerReflectionInfo is always forwarded so. New reports a
// name of another form, which would never match.
func WithPerMessage(methods ...string) Option {
	return optionFunc(func(b *Bridge) {
		for _, m := range methods {
			svc, method, ok := strings.Cut(strings.TrimPrefix(m, "/"), "/")
			if !strings.HasPrefix(m, "/") || !ok || svc == "" || method == "" || strings.Contains(method, "/") {
				b.errf("bridge: WithPerMessage(%q): give the method's full name, \"/package.Service/Method\"", m)
				continue
			}
			b.perCall[m] = true
		}
	})
}

// WithName names the default upstream in the bridge's log, for example by
// its URL or function name; callers never see it. The default is
// "upstream".
func WithName(name string) Option {
	return optionFunc(func(b *Bridge) { b.def.name = name })
}

// New returns a bridge that forwards calls to upstream, typically a
// client.Conn. A status a client.Conn's server sent (client.IsWireError)
// reaches the caller unchanged; the Conn's own errors keep their code, and
// their words, which may quote Lambda or the transport, go to the log.
// Another grpc.ClientConnInterface's errors cannot be told apart, so once
// it has answered they are passed on unchanged. upstream may be nil when WithService routes every service
// the bridge should serve: calls to others are then UNIMPLEMENTED. New
// reports invalid options, each by name, rather than let them be ignored
// or replaced silently.
func New(upstreamConn grpc.ClientConnInterface, opts ...Option) (*Bridge, error) {
	b := &Bridge{
		def:    newUpstream("upstream", upstreamConn),
		self:   "bridge",
		target: "upstream",
		// The bridge may route services to several upstreams.
		targetLong: "the upstream that serves this method",
		services:   map[string]upstream{},
		log:        slog.New(slog.DiscardHandler),
		maxReq:     DefaultMaxRequestBytes,
		maxResp:    DefaultMaxResponseBytes,
		perCall: map[string]bool{
			"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      true,
			"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": true,
		},
	}
	for _, o := range opts {
		if o != nil {
			o.apply(b)
		}
	}
	if upstreamConn == nil && len(b.services) == 0 {
		b.errf("bridge: no upstream: give New one, or route services with WithService")
	}
	if err := errors.Join(b.errs...); err != nil {
		return nil, err
	}
	b.errs = nil
	b.callOpts = []grpc.CallOption{grpc.ForceCodecV2(rawCodec{})}
	if b.maxResp > 0 {
		b.callOpts = append(b.callOpts, grpc.MaxCallRecvMsgSize(b.maxResp))
	}
	sopts := append([]grpc.ServerOption{
		grpc.UnknownServiceHandler(b.handle),
		grpc.ForceServerCodecV2(rawCodec{}),
		grpc.MaxRecvMsgSize(b.maxReq),
		grpc.MaxSendMsgSize(1 << 30),
	}, b.serverOpt...)
	b.srv = grpc.NewServer(sopts...)
	return b, nil
}

// Server returns the *grpc.Server that forwards the calls, to serve it
// another way than Serve: package proxy hands it to lambdagrpc.Serve, so a
// function forwards its calls to a backend.
func (b *Bridge) Server() *grpc.Server { return b.srv }

// Serve serves native gRPC on lis until Stop or GracefulStop.
func (b *Bridge) Serve(lis net.Listener) error { return b.srv.Serve(lis) }

// GracefulStop stops accepting calls and waits for those in flight.
func (b *Bridge) GracefulStop() { b.srv.GracefulStop() }

// Stop closes every connection at once.
func (b *Bridge) Stop() { b.srv.Stop() }

// rawCodec passes message bytes through untouched.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	p, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("bridge: cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(*p)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("bridge: cannot unmarshal into %T", v)
	}
	*p = data.Materialize()
	return nil
}

var bidi = &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}

func (b *Bridge) upstreamFor(method string) upstream {
	if svc, _, ok := strings.Cut(strings.TrimPrefix(method, "/"), "/"); ok {
		if u, found := b.services[svc]; found {
			return u
		}
	}
	return b.def
}

// outgoing is the client's metadata minus what belongs to its HTTP/2
// connection and the gRPC protocol.
func outgoing(md metadata.MD) metadata.MD {
	out := make(metadata.MD, len(md))
	for k, vs := range md {
		switch {
		case strings.HasPrefix(k, ":"), strings.HasPrefix(k, "grpc-"),
			k == "content-type", k == "user-agent", k == "te", k == "connection", k == "host", k == "content-length":
			continue
		}
		out[k] = vs
	}
	return out
}

func (b *Bridge) handle(_ any, ss grpc.ServerStream) error {
	start := time.Now()
	method, _ := grpc.MethodFromServerStream(ss)
	up := b.upstreamFor(method)
	var err error
	if up.cc == nil {
		svc, _, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
		err = status.Errorf(codes.Unimplemented, "no upstream serves service %s: add it to the bridge's configuration", svc)
	} else {
		err = b.forward(ss, method, up)
	}
	code := status.Code(err)
	b.log.Info("bridge: call", "method", method, "upstream", up.name, "code", code.String(), "duration", time.Since(start).Round(time.Microsecond))
	return err
}

func (b *Bridge) forward(ss grpc.ServerStream, method string, up upstream) error {
	in, _ := metadata.FromIncomingContext(ss.Context())
	ctx := metadata.NewOutgoingContext(ss.Context(), outgoing(in))
	if b.perCall[method] {
		for {
			var req []byte
			err := ss.RecvMsg(&req)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := b.call(ctx, ss, method, up, [][]byte{req}, false); err != nil {
				return err
			}
		}
	}
	var reqs [][]byte
	total := 0
	for {
		var req []byte
		err := ss.RecvMsg(&req)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		total += len(req)
		if total > b.maxReq {
			return status.Errorf(codes.ResourceExhausted, "the stream's request messages exceed %d bytes: a Lambda invocation carries every message of a client stream in one request", b.maxReq)
		}
		reqs = append(reqs, req)
	}
	return b.call(ctx, ss, method, up, reqs, true)
}

// call makes one upstream call with reqs and forwards its answer. With
// final, the upstream's trailers become the call's.
func (b *Bridge) call(ctx context.Context, ss grpc.ServerStream, method string, up upstream, reqs [][]byte, final bool) error {
	cs, err := up.cc.NewStream(ctx, bidi, method, b.callOpts...)
	if err != nil {
		return b.upstreamError(method, up, err)
	}
	for _, r := range reqs {
		if err := cs.SendMsg(&r); err != nil {
			return b.upstreamError(method, up, err)
		}
	}
	if err := cs.CloseSend(); err != nil {
		return b.upstreamError(method, up, err)
	}
	headerSent := false
	sendHeader := func() {
		if headerSent {
			return
		}
		headerSent = true
		if h, err := cs.Header(); err == nil && len(h) > 0 {
			_ = ss.SendHeader(outgoing(h))
		}
	}
	for {
		var resp []byte
		err := cs.RecvMsg(&resp)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if _, herr := cs.Header(); herr != nil {
				// No answer at all: the upstream could not be reached.
				return b.upstreamError(method, up, err)
			}
			var he *client.HTTPError
			if errors.As(err, &he) {
				// Lambda's own answer, or an HTTP error from something
				// else: its words may name the function's ARN or internal
				// hosts, so the caller gets the client's summary only.
				b.log.Warn("bridge: the upstream answered without a gRPC status", "method", method, "upstream", up.name, "error", err.Error())
				st := he.Redacted()
				return status.Error(st.Code(), st.Message()+"; the bridge's log has the details")
			}
			var tl *client.MessageTooLargeError
			if errors.As(err, &tl) {
				// The bridge's own limit, not the caller's, nor the
				// upstream's status.
				size := "decompressed"
				if tl.Size >= 0 {
					size = strconv.Itoa(tl.Size) + " bytes"
				}
				return status.Errorf(codes.ResourceExhausted, "the upstream's response message (%s) is larger than the bridge's limit of %d bytes: raise the limit with lambdagrpc bridge --max-response-bytes, or bridge.WithMaxResponseBytes", size, tl.Limit)
			}
			if final {
				sendHeader()
				ss.SetTrailer(outgoing(cs.Trailer()))
			}
			if client.IsWireError(err) || !up.wire {
				// The upstream's own status, passed on unchanged.
				return err
			}
			return b.brokenAnswer(method, up, err)
		}
		sendHeader()
		if err := ss.SendMsg(&resp); err != nil {
			return err
		}
	}
	if final {
		sendHeader()
		ss.SetTrailer(outgoing(cs.Trailer()))
	}
	return nil
}

// upstreamError is what the caller learns when the upstream could not be
// called: the code (the client's: UNAVAILABLE for a refused connection,
// the context's for a deadline or cancellation) and where to look, but no
// URL, address or ARN, which may be internal; the bridge's log names the
// upstream and has the cause.
func (b *Bridge) upstreamError(method string, up upstream, err error) error {
	st := b.logFailure("bridge: upstream call failed", method, up, err)
	switch st.Code() {
	case codes.DeadlineExceeded:
		return status.Errorf(codes.DeadlineExceeded, "the call's deadline passed before the %s answered", b.target)
	case codes.Canceled:
		return status.Errorf(codes.Canceled, "the call was cancelled before the %s answered", b.target)
	case codes.Unavailable:
		return status.Errorf(codes.Unavailable, "the %s could not reach %s; the %s's log has the cause", b.self, b.targetLong, b.self)
	}
	return status.Errorf(st.Code(), "the %s's call to %s failed (%s); the %s's log has the cause", b.self, b.targetLong, st.Code(), b.self)
}

// logFailure logs a failed call with its upstream and whole error, at Info
// when the caller ended it (deadline, cancellation) and Warn otherwise, and
// returns the error's status.
func (b *Bridge) logFailure(msg, method string, up upstream, err error) *status.Status {
	st := status.Convert(err)
	level := slog.LevelWarn
	if st.Code() == codes.Canceled || st.Code() == codes.DeadlineExceeded {
		level = slog.LevelInfo // the caller's doing, not the upstream's
	}
	b.log.Log(context.Background(), level, msg, "method", method, "upstream", up.name, "code", st.Code().String(), "error", st.Message())
	return st
}

// brokenAnswer is what the caller learns when the upstream's answer began
// but ended without a status of the upstream's own: the client's error (a
// cut connection, a malformed answer, a function that failed mid-stream)
// keeps its code, but its words, which may quote Lambda's error details
// (naming the function's ARN) or the transport (addresses), go only to the
// bridge's log, with the upstream.
func (b *Bridge) brokenAnswer(method string, up upstream, err error) error {
	st := b.logFailure("bridge: the upstream's answer broke off", method, up, err)
	switch st.Code() {
	case codes.DeadlineExceeded:
		return status.Error(codes.DeadlineExceeded, "the call's deadline passed before the upstream finished answering")
	case codes.Canceled:
		return status.Error(codes.Canceled, "the call was cancelled before the upstream finished answering")
	}
	return status.Errorf(st.Code(), "the upstream's answer broke off (%s); the bridge's log has the cause", st.Code())
}
