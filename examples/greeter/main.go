// Command greeter is the example service. The same binary runs on AWS
// Lambda (where AWS_LAMBDA_RUNTIME_API is set) and as a server on
// $PORT (default 8080) anywhere else. It answers REST too, from the
// google.api.http annotations of its proto (rest.Enable).
package main

import (
	"context"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/lambdagrpc/lambdagrpc"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
	"github.com/lambdagrpc/lambdagrpc/examples/greeter/server"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

func main() {
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &server.Greeter{})
	healthpb.RegisterHealthServer(s, health.NewServer())
	reflection.Register(s)
	if err := lambdagrpc.Serve(context.Background(), s, rest.Enable()); err != nil {
		fmt.Fprintln(os.Stderr, "greeter:", err)
		os.Exit(1)
	}
}
