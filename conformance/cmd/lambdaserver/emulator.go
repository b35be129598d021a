package main

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
)

// viaEmulator is filled in once the emulator package exists.
func viaEmulator(ctx context.Context, s *grpc.Server, mode lambdagrpc.InvokeMode, logger *slog.Logger) (string, func() error, error) {
	return "", nil, errors.New("the emulator is not available yet")
}
