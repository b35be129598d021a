package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // gzip on every path, both ways
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/jsoncodec"
)

func init() { jsoncodec.Register() }

// Conn calls one server. It is safe for concurrent use.
type Conn struct {
	base       string
	hc         *http.Client
	protocol   Protocol
	codec      string
	compressor string
	useGET     bool
	maxRecv    int
	unary      []grpc.UnaryClientInterceptor
	stream     []grpc.StreamClientInterceptor

	// The protocol's wire formats: for unary calls and for streams.
	unaryFormat, streamFormat wireFormat

	hcBy    string  // the option that set hc, to report a second one
	optErrs []error // configuration errors, reported by New
}

var _ grpc.ClientConnInterface = (*Conn)(nil)

// defaultMaxRecv matches grpc-go's default receive limit.
const defaultMaxRecv = 4 << 20

// New returns a Conn for the server at target, an http or https URL; a
// path in it (an API Gateway stage) prefixes every method's path.
func New(target string, opts ...Option) (*Conn, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("client: target %q: %w", target, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("client: target %q must be an http:// or https:// URL", target)
	}
	c := &Conn{base: strings.TrimRight(u.String(), "/"), codec: "proto", maxRecv: defaultMaxRecv}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	unary, stream, ok := c.protocol.wireFormats()
	if !ok {
		c.optErr(fmt.Errorf("client: WithProtocol(%d): unknown protocol; use client.GRPCWeb, client.GRPCWebText or client.Connect", c.protocol))
	}
	if codecFor(c.codec) == nil {
		c.optErr(fmt.Errorf("client: WithCodec(%q): no codec of that name is registered", c.codec))
	}
	if c.compressor == "identity" {
		c.compressor = ""
	}
	if c.compressor != "" && encoding.GetCompressor(c.compressor) == nil {
		c.optErr(fmt.Errorf("client: WithCompression(%q): no compressor of that name is registered (import its package, such as google.golang.org/grpc/encoding/gzip)", c.compressor))
	}
	if c.useGET && (!ok || !unary.allowsGET()) {
		c.optErr(fmt.Errorf("client: WithConnectGET needs WithProtocol(client.Connect); with %s it would do nothing", c.protocol))
	}
	if err := errors.Join(c.optErrs...); err != nil {
		return nil, err
	}
	c.optErrs = nil
	c.unaryFormat, c.streamFormat = unary, stream
	if c.hc == nil {
		c.hc = &http.Client{Transport: defaultTransport()}
	}
	return c, nil
}

func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = true
	// gzip is negotiated per message by the protocols themselves.
	t.DisableCompression = true
	return t
}

// Close releases idle connections of the default client.
func (c *Conn) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// Invoke performs a unary call.
func (c *Conn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	invoke := func(ctx context.Context, method string, req, reply any, _ *grpc.ClientConn, opts ...grpc.CallOption) error {
		s := c.newStream(ctx, &grpc.StreamDesc{}, method, opts)
		if err := s.SendMsg(req); err != nil {
			return err
		}
		if err := s.RecvMsg(reply); err != nil {
			return err
		}
		return s.finishUnary()
	}
	for i := len(c.unary) - 1; i >= 0; i-- {
		next, ic := invoke, c.unary[i]
		invoke = func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
			return ic(ctx, method, req, reply, cc, next, opts...)
		}
	}
	return invoke(ctx, method, args, reply, nil, opts...)
}

// NewStream starts a streaming call. Client and bidi streams are
// half-duplex: see the package documentation.
func (c *Conn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	streamer := func(ctx context.Context, desc *grpc.StreamDesc, _ *grpc.ClientConn, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		return c.newStream(ctx, desc, method, opts), nil
	}
	for i := len(c.stream) - 1; i >= 0; i-- {
		next, ic := streamer, c.stream[i]
		streamer = func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return ic(ctx, desc, cc, method, next, opts...)
		}
	}
	return streamer(ctx, desc, nil, method, opts...)
}

// statusError converts any error into a status error, context errors by
// their code.
func statusError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return status.FromContextError(err).Err()
	}
	return status.Error(codes.Unavailable, err.Error())
}
