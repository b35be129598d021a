// Package testfn runs the test service (internal/testsvc, with health and
// reflection) as a function on the emulator, in process but through the
// emulator's real Runtime API and front doors, for end-to-end tests.
package testfn

import (
	"context"
	"log/slog"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

// Start starts an emulator with cfg and serves the test service as its
// function in cfg's invoke mode and concurrency, until the test ends. opts
// are added to lambdagrpc.Serve's.
func Start(t testing.TB, cfg emulator.Config, opts ...lambdagrpc.Option) *emulator.Emulator {
	t.Helper()
	e := emulatortest.Start(t, cfg)
	s := grpc.NewServer()
	testsvc.Register(s)
	healthpb.RegisterHealthServer(s, health.NewServer())
	reflection.Register(s)
	mode := lambdagrpc.Buffered
	if cfg.InvokeMode == emulator.ResponseStream {
		mode = lambdagrpc.ResponseStream
	}
	opts = append([]lambdagrpc.Option{
		lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()),
		lambdagrpc.WithInvokeMode(mode),
		lambdagrpc.WithMaxConcurrency(max(cfg.MaxConcurrency, 1)),
		lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)),
	}, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- lambdagrpc.Serve(ctx, s, opts...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the function's Serve: %v", err)
		}
	})
	return e
}
