//go:build lambdagrpc.notcp

package lambdagrpc

import (
	"context"
	"errors"
)

// serveTCP is left out of binaries built with the lambdagrpc.notcp tag,
// which only run on Lambda: without the HTTP server and the server side of
// TLS they are smaller and start sooner.
func serveTCP(context.Context, *handler, *config) error {
	return errors.New("lambdagrpc: AWS_LAMBDA_RUNTIME_API is not set, and this binary was built with the lambdagrpc.notcp tag, so it cannot serve on TCP")
}
