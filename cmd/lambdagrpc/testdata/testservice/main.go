// Command testservice serves gRPC's own test service, grpc.testing.TestService,
// with reflection and health, for the emulate command's tests: its service
// name starts with "grpc." and is still the application's.
package main

import (
	"context"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/reflection"

	"github.com/lambdagrpc/lambdagrpc"
)

type testService struct {
	testgrpc.UnimplementedTestServiceServer
}

func (testService) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	return &testgrpc.Empty{}, nil
}

func main() {
	s := grpc.NewServer()
	testgrpc.RegisterTestServiceServer(s, testService{})
	healthpb.RegisterHealthServer(s, health.NewServer())
	reflection.Register(s)
	if err := lambdagrpc.Serve(context.Background(), s); err != nil {
		fmt.Fprintln(os.Stderr, "testservice:", err)
		os.Exit(1)
	}
}
