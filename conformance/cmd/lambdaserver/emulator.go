package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/bridge"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/emulator"
)

// concurrency lets the runner's parallel cases through at once, as Lambda
// Managed Instances would; a queue would only serialise them.
const concurrency = 32

// viaEmulator runs s as a function on the emulator, in process but through
// the emulator's real Runtime API and Function URL front door.
func viaEmulator(ctx context.Context, s *grpc.Server, mode lambdagrpc.InvokeMode, logger *slog.Logger) (string, func() error, error) {
	e, err := emulator.Start(ctx, emulator.Config{
		Name:           "conformance",
		InvokeMode:     emulator.InvokeMode(mode),
		Timeout:        30 * time.Second,
		MaxConcurrency: concurrency,
		Logger:         logger,
	})
	if err != nil {
		return "", nil, err
	}
	served := make(chan error, 1)
	go func() {
		served <- lambdagrpc.Serve(ctx, s,
			lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()),
			lambdagrpc.WithInvokeMode(mode),
			lambdagrpc.WithMaxConcurrency(concurrency),
			lambdagrpc.WithLogger(logger))
	}()
	wait := func() error {
		<-ctx.Done()
		err := <-served
		return errors.Join(err, e.Close())
	}
	return strings.TrimPrefix(e.URL(), "http://"), wait, nil
}

// viaBridge puts the bridge in front of the emulator: the runner's native
// gRPC clients call the bridge over h2c.
func viaBridge(ctx context.Context, s *grpc.Server, mode lambdagrpc.InvokeMode, logger *slog.Logger) (string, func() error, error) {
	url, waitEmulator, err := viaEmulator(ctx, s, mode, logger)
	if err != nil {
		return "", nil, err
	}
	up, err := client.New("http://" + url)
	if err != nil {
		return "", nil, err
	}
	b, err := bridge.New(up, bridge.WithName(url), bridge.WithLogger(logger))
	if err != nil {
		return "", nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go func() { _ = b.Serve(lis) }()
	wait := func() error {
		<-ctx.Done()
		b.Stop()
		return waitEmulator()
	}
	return lis.Addr().String(), wait, nil
}
