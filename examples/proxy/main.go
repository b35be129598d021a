// Command proxy is a function that fronts a gRPC service running
// elsewhere (ECS, EC2, on premises): it serves gRPC-Web, Connect and REST
// (from the backend's google.api.http annotations) and forwards every call
// to the backend, with nothing registered locally. It serves the REST
// side's OpenAPI 3.1 document at /openapi.json.
//
// Environment:
//
//	BACKEND_ADDR    the backend's host:port (required)
//	BACKEND_TLS     "true" to dial with TLS and the system's roots; plaintext otherwise
//	DESCRIPTOR_SET  a FileDescriptorSet file to read the services from,
//	                instead of the backend's reflection service
//
// Like any lambdagrpc function, it runs on AWS Lambda when
// AWS_LAMBDA_RUNTIME_API is set and as a server on $PORT anywhere else.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/proxy"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	addr := os.Getenv("BACKEND_ADDR")
	if addr == "" {
		return errors.New("set BACKEND_ADDR to the backend's host:port")
	}
	creds := insecure.NewCredentials()
	if os.Getenv("BACKEND_TLS") == "true" {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer func() { _ = cc.Close() }()

	var files *protoregistry.Files
	if path := os.Getenv("DESCRIPTOR_SET"); path != "" {
		files, err = proxy.ReadDescriptorSet(path)
	} else {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		files, err = proxy.Reflect(rctx, cc)
		cancel()
	}
	if err != nil {
		return err
	}
	srv, err := proxy.NewServer(cc)
	if err != nil {
		return err
	}
	return lambdagrpc.Serve(ctx, srv, rest.Enable(
		rest.WithResolver(files, nil),
		rest.WithServices(proxy.Services(files)...),
		rest.WithOpenAPI("/openapi.json"),
	))
}
