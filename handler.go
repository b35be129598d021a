package lambdagrpc

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // gzip on every path, both ways
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/dispatch"
	"github.com/lambdagrpc/lambdagrpc/internal/frontend"
	"github.com/lambdagrpc/lambdagrpc/internal/protocol"
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
	srv      *grpc.Server
	dispatch dispatch.Dispatcher // nil when err is set
	cfg      *config
	log      *slog.Logger
	err      error // a configuration error: every call fails

	fronts   []frontend.Handler // started frontends (REST)
	services map[string]bool    // the server's services, when there are frontends
}

func newHandler(s *grpc.Server, cfg *config) *handler {
	if err := cfg.err(); err != nil {
		cfg.logger.Error("lambdagrpc: every call will fail until the configuration is fixed", "error", err)
		return &handler{srv: s, cfg: cfg, log: cfg.logger, err: err}
	}
	d := dispatch.New(s, dispatch.Config{Log: cfg.logger, ForceServeHTTP: cfg.viaServeHTTP || forceServeHTTP, RequestID: requestID})
	h := &handler{srv: s, dispatch: d, cfg: cfg, log: cfg.logger}
	if err := h.startFrontends(); err != nil {
		err = fmt.Errorf("lambdagrpc: invalid configuration: %w", err)
		cfg.logger.Error("lambdagrpc: every call will fail until the configuration is fixed", "error", err)
		return &handler{srv: s, cfg: cfg, log: cfg.logger, err: err}
	}
	return h
}

// misconfiguredMessage is what a caller of a misconfigured handler learns.
// The details went to the log when the handler was built: they are for the
// operator, not the caller.
const misconfiguredMessage = "the server is misconfigured (details are in the server's log)"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cfg.cors != nil && h.cfg.cors.handle(w, r) {
		return
	}
	if h.err != nil {
		protocol.Misconfigured(w, r, misconfiguredMessage)
		return
	}
	if h.fronts != nil && h.serveFrontends(w, r) {
		return
	}
	c := protocol.Open(w, r)
	switch {
	case c == nil:
		return // answered
	case c.Native():
		h.srv.ServeHTTP(w, c.NativeRequest())
		return
	}
	c.HasMethod = h.hasMethod
	method, ok := h.route(r.URL)
	if !ok {
		c.Fail(h.noRoute(r.URL))
		return
	}
	if c.Route(method) {
		h.serve(c)
	}
}

// serve runs a routed call under its deadline.
func (h *handler) serve(c *protocol.Conn) {
	ctx := c.Request().Context()
	timeout, st := c.Timeout()
	if st != nil {
		c.Fail(st)
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
		c.Fail(status.New(codes.DeadlineExceeded, "deadline exceeded: the call's deadline had passed before it started"))
		return
	}
	var cancel context.CancelFunc
	if !soft.IsZero() {
		ctx, cancel = context.WithDeadline(ctx, soft.Add(grace(soft.Sub(now))))
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	c.OnOverflow(cancel)
	if st := c.OpenBody(); st != nil {
		c.Fail(st)
		return
	}
	h.dispatch.Serve(ctx, c, soft, now)
}

// grace is the time between the deadline a handler sees and the moment its
// call is cut off: enough for a handler that notices its context to write
// its own status, small against the time left.
func grace(left time.Duration) time.Duration {
	return min(max(left/20, time.Millisecond), 100*time.Millisecond)
}

// hasMethod reports whether the server has a handler for path
// ("/package.Service/Method"). It is only asked on the UNIMPLEMENTED path,
// so it need not be fast.
func (h *handler) hasMethod(path string) bool {
	svc, method, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
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

// requestID returns the Lambda request ID of a call's context.
func requestID(ctx context.Context) (string, bool) {
	lc, ok := FromContext(ctx)
	if !ok {
		return "", false
	}
	return lc.RequestID, true
}
