package client

import (
	"net/http"

	"google.golang.org/grpc"
	// WithConnectGET reads each method's idempotency_level from its
	// options, which protobuf-go can only do with descriptorpb linked.
	_ "google.golang.org/protobuf/types/descriptorpb"
)

// Protocol is the wire protocol a Conn speaks.
type Protocol int

const (
	// GRPCWeb is binary gRPC-Web (application/grpc-web+proto), the default.
	GRPCWeb Protocol = iota
	// GRPCWebText is base64 gRPC-Web (application/grpc-web-text).
	GRPCWebText
	// Connect is the Connect protocol: unary calls as plain HTTP, streams
	// with enveloped messages.
	Connect
)

func (p Protocol) String() string {
	switch p {
	case GRPCWeb:
		return "gRPC-Web"
	case GRPCWebText:
		return "gRPC-Web text"
	case Connect:
		return "Connect"
	}
	return "unknown"
}

// Option configures a Conn.
type Option interface{ apply(*Conn) }

type optionFunc func(*Conn)

func (f optionFunc) apply(c *Conn) { f(c) }

// WithProtocol sets the protocol. The default is GRPCWeb.
func WithProtocol(p Protocol) Option {
	return optionFunc(func(c *Conn) { c.protocol = p })
}

// WithCodec sets the codec by its grpc-go registry name: "proto" (the
// default) or "json" (registered by this package). grpc.CallContentSubtype
// overrides it per call.
func WithCodec(name string) Option {
	return optionFunc(func(c *Conn) { c.codec = name })
}

// WithHTTPClient sets the HTTP client. The default is a client with
// connection reuse, HTTP/2 over TLS when the server offers it, and no
// overall timeout (which would cut long streams; use context deadlines).
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(c *Conn) { c.hc = hc })
}

// WithTransport sets the round tripper of the default HTTP client, for
// example one that signs requests.
func WithTransport(rt http.RoundTripper) Option {
	return optionFunc(func(c *Conn) { c.hc = &http.Client{Transport: rt} })
}

// WithCompression compresses requests with the named grpc-go compressor
// ("gzip"). The default is no compression. grpc.UseCompressor overrides it
// per call. Compressed responses are always accepted.
func WithCompression(name string) Option {
	return optionFunc(func(c *Conn) { c.compressor = name })
}

// WithConnectGET makes Connect unary calls to methods declared with
// idempotency_level = NO_SIDE_EFFECTS use HTTP GET, which caches can
// serve. The default is POST for every call.
func WithConnectGET() Option {
	return optionFunc(func(c *Conn) { c.useGET = true })
}

// WithUnaryInterceptor adds unary interceptors, run in the order given.
func WithUnaryInterceptor(i ...grpc.UnaryClientInterceptor) Option {
	return optionFunc(func(c *Conn) { c.unary = append(c.unary, i...) })
}

// WithStreamInterceptor adds stream interceptors, run in the order given.
func WithStreamInterceptor(i ...grpc.StreamClientInterceptor) Option {
	return optionFunc(func(c *Conn) { c.stream = append(c.stream, i...) })
}

// WithMaxRecvMsgSize bounds the size of a received message. The default is
// 4 MiB, as grpc-go's; grpc.MaxCallRecvMsgSize overrides it per call.
func WithMaxRecvMsgSize(n int) Option {
	return optionFunc(func(c *Conn) { c.maxRecv = n })
}
