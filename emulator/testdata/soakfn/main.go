// Command soakfn serves the test service (internal/testsvc) with
// lambdagrpc, as a function process for the emulator's soak test.
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
