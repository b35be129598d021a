// Package frontend lets a package outside the root add a protocol to
// lambdagrpc's handler (REST, in package rest) without the root importing
// it, so that binaries which do not use the protocol do not link it.
//
// The root sets [Option] when it is initialised; the protocol's package
// wraps its [Frontend] in it to make a lambdagrpc.Option. The handler
// starts every Frontend once, when it is built, and offers it each request
// that is not a gRPC-Web, Connect or native gRPC call to a method the
// server has.
package frontend

import (
	"net/http"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/protocol"
)

// Frontend is a protocol served beside gRPC-Web and Connect.
type Frontend interface {
	// Start prepares the protocol for the services registered on s. serve
	// runs a call on s as every call runs: under its deadline, through
	// the handler's dispatcher. An error is a configuration error.
	Start(s *grpc.Server, serve func(*protocol.Conn)) (Handler, error)
}

// Handler serves a started Frontend's requests.
type Handler interface {
	// Serve serves r if it is the protocol's and reports whether it
	// answered. rpc says that r's content type is a gRPC-Web, Connect or
	// native gRPC call's: when the protocol has nothing at r's path, it
	// must then leave r alone, and the handler answers it as such a call.
	Serve(w http.ResponseWriter, r *http.Request, rpc bool) bool
}

// Option makes a lambdagrpc.Option that adds f to the handler. The root
// package sets it; its result is a lambdagrpc.Option.
var Option func(f Frontend) any
