package lambdagrpc

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeloop"
)

// DefaultAddr is where [Serve] listens outside Lambda when neither
// [WithAddr] nor $PORT says otherwise.
const DefaultAddr = ":8080"

// Serve runs s until ctx is done or the process receives SIGTERM or SIGINT,
// then lets the calls in flight finish. It returns nil after such a clean
// shutdown.
//
// When AWS_LAMBDA_RUNTIME_API is set (or [WithRuntimeAPI] is given), Serve
// runs the Lambda Runtime API loop: every invocation is an HTTP event from a
// Function URL, API Gateway or an ALB, answered through [NewHandler]'s
// translation, buffered or streamed (see [WithInvokeMode]). With
// AWS_LAMBDA_MAX_CONCURRENCY set (Lambda Managed Instances) it runs that
// many invocations at once. Unless GOMEMLIMIT is set, it sets the Go
// runtime's soft memory limit to nine tenths of the function's memory, so
// that garbage is collected before Lambda would stop the function for
// exceeding it.
//
// Anywhere else Serve listens on TCP (see [WithAddr]) and serves native gRPC
// over HTTP/2 (h2c, or TLS with [WithTLSConfig]) and gRPC-Web and Connect
// over HTTP/1.1 and HTTP/2, all on one port.
//
// An invalid option is reported before anything is served: Serve returns an
// error that names the option (on Lambda, after reporting it to the Runtime
// API as an init error, so the function fails to start instead of failing
// every invocation).
func Serve(ctx context.Context, s *grpc.Server, opts ...Option) error {
	cfg := newConfig(opts)
	addr := cfg.runtimeAPI
	if addr == "" {
		addr = os.Getenv("AWS_LAMBDA_RUNTIME_API")
	}
	if err := cfg.err(); err != nil {
		if addr != "" {
			runtimeloop.ReportInitError(ctx, addr, err)
		}
		return err
	}
	ctx, stop := notifyContext(ctx)
	defer stop()
	h := newHandler(s, cfg)
	if h.err != nil { // a protocol of another package could not start
		if addr != "" {
			runtimeloop.ReportInitError(ctx, addr, h.err)
		}
		return h.err
	}
	if addr != "" {
		return serveLambda(ctx, h, cfg, addr)
	}
	return serveTCP(ctx, h, cfg)
}

// notifyContext is signal.NotifyContext for SIGTERM and SIGINT, except that
// it registers for the signals on a goroutine of its own: the first
// registration in a process costs a few hundred microseconds, which would
// otherwise delay a cold start's first /next. (A signal in the instant
// before the registration ends the process as it would have before Serve.)
// After the first signal the registration is dropped, so a second one ends
// the process at once.
func notifyContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		defer signal.Stop(sig)
		select {
		case <-sig:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		cancel()
		<-done
	}
}
