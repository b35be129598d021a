// Command scaffold is a gRPC service that runs on AWS Lambda with
// lambdagrpc: the same binary serves a Function URL on Lambda (where
// AWS_LAMBDA_RUNTIME_API is set) and plain gRPC on $PORT (default 8080)
// anywhere else.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc"

	hellov1 "github.com/lambdagrpc/lambdagrpc/cmd/lambdagrpc/scaffold/gen/hello/v1"
)

func main() {
	if err := lambdagrpc.Serve(context.Background(), newServer()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// newServer returns the gRPC server with every service of the function.
// Reflection lets `lambdagrpc emulate` and grpcurl list the methods.
func newServer() *grpc.Server {
	s := grpc.NewServer()
	hellov1.RegisterHelloServiceServer(s, &helloService{})
	healthpb.RegisterHealthServer(s, health.NewServer())
	reflection.Register(s)
	return s
}

// maxCount bounds SayHelloStream's count.
const maxCount = 100

// helloService implements hellov1.HelloServiceServer.
type helloService struct {
	hellov1.UnimplementedHelloServiceServer
}

func greeting(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", status.Error(codes.InvalidArgument, "name must not be empty")
	}
	return "Hello, " + name + "!", nil
}

// SayHello greets one name.
func (*helloService) SayHello(_ context.Context, req *hellov1.SayHelloRequest) (*hellov1.SayHelloResponse, error) {
	msg, err := greeting(req.GetName())
	if err != nil {
		return nil, err
	}
	return &hellov1.SayHelloResponse{Message: msg}, nil
}

// SayHelloStream sends count greetings, interval_ms apart. Behind a
// Function URL in RESPONSE_STREAM mode each one reaches the client as it is
// sent.
func (*helloService) SayHelloStream(req *hellov1.SayHelloStreamRequest, stream hellov1.HelloService_SayHelloStreamServer) error {
	msg, err := greeting(req.GetName())
	if err != nil {
		return err
	}
	n := req.GetCount()
	if n < 1 || n > maxCount {
		return status.Errorf(codes.InvalidArgument, "count must be between 1 and %d, not %d", maxCount, n)
	}
	interval := time.Duration(req.GetIntervalMs()) * time.Millisecond
	ctx := stream.Context()
	for i := int32(1); i <= n; i++ {
		if i > 1 && interval > 0 {
			select {
			case <-ctx.Done():
				return status.FromContextError(ctx.Err()).Err()
			case <-time.After(interval):
			}
		}
		if err := stream.Send(&hellov1.SayHelloStreamResponse{Message: fmt.Sprintf("%s (%d/%d)", msg, i, n)}); err != nil {
			return err
		}
	}
	return nil
}
