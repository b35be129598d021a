package lambdagrpc

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
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
// many invocations at once.
//
// Anywhere else Serve listens on TCP (see [WithAddr]) and serves native gRPC
// over HTTP/2 (h2c, or TLS with [WithTLSConfig]) and gRPC-Web and Connect
// over HTTP/1.1 and HTTP/2, all on one port.
func Serve(ctx context.Context, s *grpc.Server, opts ...Option) error {
	cfg := newConfig(opts)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	h := newHandler(s, cfg)
	addr := cfg.runtimeAPI
	if addr == "" {
		addr = os.Getenv("AWS_LAMBDA_RUNTIME_API")
	}
	if addr != "" {
		return serveLambda(ctx, h, cfg, addr)
	}
	return serveTCP(ctx, h, cfg)
}
