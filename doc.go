// Package lambdagrpc runs an unchanged grpc-go server on AWS Lambda and,
// with the same binary, as an ordinary network server.
//
// On Lambda (when AWS_LAMBDA_RUNTIME_API is set) [Serve] runs the Runtime API
// loop and answers gRPC-Web and Connect requests that arrive through a Function
// URL, API Gateway (REST or HTTP API) or an Application Load Balancer. Anywhere
// else it listens on TCP and serves native gRPC, gRPC-Web and Connect on one
// port. [NewHandler] is the protocol translation on its own, for any net/http
// server.
package lambdagrpc
