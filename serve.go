package lambdagrpc

import (
	"context"
	"errors"

	"google.golang.org/grpc"
)

// Serve runs s until ctx is done or the process receives SIGTERM or SIGINT.
func Serve(ctx context.Context, s *grpc.Server, opts ...Option) error {
	return errors.New("lambdagrpc: not implemented yet")
}

// Option configures [Serve] and [NewHandler].
type Option interface{ apply(*config) }

type config struct{}
