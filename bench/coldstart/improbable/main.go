// Command improbable is the test service behind improbable-eng's grpc-web
// wrapper and aws-lambda-go-api-proxy, a peer of lambdagrpc.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/improbable-eng/grpc-web/go/grpcweb"
	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

func main() {
	s := grpc.NewServer()
	testsvc.Register(s)
	adapter := httpadapter.NewV2(grpcweb.WrapServer(s, grpcweb.WithOriginFunc(func(string) bool { return true })))
	lambda.Start(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return adapter.ProxyWithContext(ctx, ev)
	})
}
