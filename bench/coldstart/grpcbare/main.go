// Command grpcbare is a grpc-go service with no adapter: the server is
// built and registered, then aws-lambda-go answers with a fixed response.
// It measures what grpc-go itself costs at init.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

func main() {
	s := grpc.NewServer()
	testpb.RegisterTestServiceServer(s, &testsvc.Service{})
	lambda.Start(func(context.Context, map[string]any) (map[string]any, error) {
		_ = s
		return map[string]any{"statusCode": 200, "body": "bare"}, nil
	})
}
