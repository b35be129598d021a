// Package proxy lets a function front a gRPC service that runs elsewhere
// (on ECS, EC2 or on premises) with nothing registered locally: the server
// NewServer returns forwards every call it receives over a client
// connection to the backend, so lambdagrpc.Serve answers gRPC-Web and
// Connect for the backend's services unchanged, and REST too once the
// backend's descriptors are known (Reflect, or ReadDescriptorSet, handed to
// the rest package's resolver setting).
//
// Messages travel as bytes: the proxy needs no generated code. A
// server-streamed response is forwarded message by message as it arrives.
// Client and bidi streams are half-duplex, because a Lambda request body
// arrives whole: the proxy sends the backend every message of the request,
// half-closes, then forwards the answer.
package proxy

import (
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/bridge"
	"github.com/lambdagrpc/lambdagrpc/internal/forwardrole"
)

// Option configures NewServer.
type Option interface{ apply(*config) }

type config struct {
	bridge []bridge.Option
	errs   []error
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithLogger logs one line per forwarded call (method, code, duration) and
// the causes of failed calls, which callers do not see. The default
// discards them; NewServer reports a nil logger.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l == nil {
			c.errs = append(c.errs, errors.New("proxy: WithLogger(nil): give a logger, or leave the option out to discard the log"))
			return
		}
		c.bridge = append(c.bridge, bridge.WithLogger(l))
	})
}

// WithMaxResponseBytes bounds each response message from the backend, in
// bytes; it must be positive. The default is bridge.DefaultMaxResponseBytes.
func WithMaxResponseBytes(n int) Option {
	return optionFunc(func(c *config) {
		if n <= 0 {
			c.errs = append(c.errs, fmt.Errorf("proxy: WithMaxResponseBytes(%d): the limit must be a positive number of bytes", n))
			return
		}
		c.bridge = append(c.bridge, bridge.WithMaxResponseBytes(n))
	})
}

// NewServer returns a *grpc.Server with no services registered that
// forwards every call, whatever its method, to backend, typically a
// *grpc.ClientConn from grpc.NewClient: pass it to lambdagrpc.Serve,
// NewHandler or NewEventHandler as any server. The backend's statuses,
// details included, and its headers and trailers reach the caller; the
// caller's metadata reaches the backend, less what belongs to HTTP and the
// gRPC protocol. When the backend cannot be reached the caller gets
// UNAVAILABLE and the log the cause. The server is not meant to be given
// services of its own or served with Serve: it is a front.
func NewServer(backend grpc.ClientConnInterface, opts ...Option) (*grpc.Server, error) {
	if backend == nil {
		return nil, errors.New("proxy: NewServer: the backend connection is nil")
	}
	c := &config{bridge: []bridge.Option{bridge.WithName("backend"), forwardrole.Option("proxy", "backend").(bridge.Option)}}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	b, err := bridge.New(backend, c.bridge...)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	return b.Server(), nil
}
