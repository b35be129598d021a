// Command lambdagrpc is the test service served by lambdagrpc.
package main

import (
	"context"
	"os"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

func main() {
	s := grpc.NewServer()
	testsvc.Register(s)
	if err := lambdagrpc.Serve(context.Background(), s); err != nil {
		os.Exit(1)
	}
}
