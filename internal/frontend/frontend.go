// Package frontend lets a package outside the root add a protocol to
// lambdagrpc's handler (REST, in package rest) without the root importing
// it, so that binaries which do not use the protocol do not link it.
//
// The root sets [Option] when it is initialised; the protocol's package
// wraps its [Frontend] in it to make a lambdagrpc.Option. The handler
// starts every Frontend once, when it is built, and offers it each request
// that is not another protocol's call (see the root's serveFrontends).
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
	// the handler's dispatcher. prefix is the handler's path prefix ("" or
	// "/seg[/seg...]"), which requests have lost when they reach the
	// Handler. An error is a configuration error.
	Start(s *grpc.Server, serve func(*protocol.Conn), prefix string) (Handler, error)
}

// Handler serves a started Frontend's requests.
type Handler interface {
	// Serve serves r, a request that is no other protocol's call, and
	// reports whether it answered; if not, the handler answers r as it
	// would without frontends.
	Serve(w http.ResponseWriter, r *http.Request) bool
	// Services names the services the protocol serves that are not
	// registered on the server (its unknown-service handler takes their
	// calls): a Connect call to one of them is still a Connect call.
	Services() []string
}

// Option makes a lambdagrpc.Option that adds f to the handler. The root
// package sets it; its result is a lambdagrpc.Option.
var Option func(f Frontend) any
