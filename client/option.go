package client

import (
	"fmt"
	"net/http"

	"google.golang.org/grpc"
	// WithConnectGET reads each method's idempotency_level from its
	// options, which protobuf-go can only do with descriptorpb linked.
	_ "google.golang.org/protobuf/types/descriptorpb"
)

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
// It cannot be combined with WithTransport, or given twice: New reports
// that, rather than let one silently replace the other.
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(c *Conn) {
		if hc == nil {
			c.optErr(fmt.Errorf("client: WithHTTPClient(nil): give an *http.Client, or leave the option out for the default"))
			return
		}
		c.setHTTPClient("WithHTTPClient", hc)
	})
}

// WithTransport sets the round tripper of the default HTTP client, for
// example one that signs requests. It cannot be combined with
// WithHTTPClient (set the transport on that client instead), or given
// twice: New reports that, rather than let one silently replace the other.
func WithTransport(rt http.RoundTripper) Option {
	return optionFunc(func(c *Conn) {
		if rt == nil {
			c.optErr(fmt.Errorf("client: WithTransport(nil): give an http.RoundTripper, or leave the option out for the default"))
			return
		}
		c.setHTTPClient("WithTransport", &http.Client{Transport: rt})
	})
}

// setHTTPClient records hc, set by the option named by, and reports a
// second option that would replace the first one's client.
func (c *Conn) setHTTPClient(by string, hc *http.Client) {
	switch {
	case c.hcBy == by:
		c.optErr(fmt.Errorf("client: %s given twice: the second would silently replace the first; give it once", by))
		return
	case c.hcBy != "":
		c.optErr(fmt.Errorf("client: %s and %s both set the HTTP client, and the later would silently replace the earlier: give one (set the round tripper on your http.Client's Transport)", c.hcBy, by))
		return
	}
	c.hc, c.hcBy = hc, by
}

// optErr records a configuration error for New to report.
func (c *Conn) optErr(err error) { c.optErrs = append(c.optErrs, err) }

// WithCompression compresses requests with the named grpc-go compressor
// ("gzip"; "identity" or "" for none). The default is no compression. New
// reports a compressor that is not registered. grpc.UseCompressor
// overrides it per call. Compressed responses are always accepted.
func WithCompression(name string) Option {
	return optionFunc(func(c *Conn) { c.compressor = name })
}

// WithConnectGET makes Connect unary calls to methods declared with
// idempotency_level = NO_SIDE_EFFECTS use HTTP GET, which caches can
// serve. The default is POST for every call. It needs
// WithProtocol(Connect): New reports it with another protocol, where it
// would do nothing.
func WithConnectGET() Option {
	return optionFunc(func(c *Conn) { c.useGET = true })
}

// WithUnaryInterceptor adds unary interceptors, run in the order given.
// The default is none; New reports a nil one.
func WithUnaryInterceptor(i ...grpc.UnaryClientInterceptor) Option {
	return optionFunc(func(c *Conn) {
		for n, f := range i {
			if f == nil {
				c.optErr(fmt.Errorf("client: WithUnaryInterceptor: interceptor %d of %d is nil", n+1, len(i)))
				return
			}
		}
		c.unary = append(c.unary, i...)
	})
}

// WithStreamInterceptor adds stream interceptors, run in the order given.
// The default is none; New reports a nil one.
func WithStreamInterceptor(i ...grpc.StreamClientInterceptor) Option {
	return optionFunc(func(c *Conn) {
		for n, f := range i {
			if f == nil {
				c.optErr(fmt.Errorf("client: WithStreamInterceptor: interceptor %d of %d is nil", n+1, len(i)))
				return
			}
		}
		c.stream = append(c.stream, i...)
	})
}

// WithMaxRecvMsgSize bounds the size of a received message, in bytes; it
// must be positive. The default is 4 MiB, as grpc-go's;
// grpc.MaxCallRecvMsgSize overrides it per call.
func WithMaxRecvMsgSize(n int) Option {
	return optionFunc(func(c *Conn) {
		if n <= 0 {
			c.optErr(fmt.Errorf("client: WithMaxRecvMsgSize(%d): the limit must be a positive number of bytes", n))
			return
		}
		c.maxRecv = n
	})
}
