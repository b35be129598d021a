package rest_test

import (
	"fmt"
	"net/http/httptest"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lambdagrpc/lambdagrpc"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
	"github.com/lambdagrpc/lambdagrpc/examples/greeter/server"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// The greeter's SayHello is annotated with get: "/v1/greet/{name}": with
// REST on, a GET of that path runs it.
func ExampleEnable() {
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &server.Greeter{})
	h := lambdagrpc.NewHandler(s, rest.Enable()) // or lambdagrpc.Serve(ctx, s, rest.Enable())

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/greet/world", nil))
	fmt.Println(w.Code, w.Body)
	// Output: 200 {"message":"Hello, world!"}
}

// Descriptors from elsewhere (here a copy of the global registry's; in a
// front for a remote backend, from its reflection service) are served with
// dynamicpb when the message types are not given.
func ExampleWithResolver() {
	files := new(protoregistry.Files)
	if err := files.RegisterFile(pb.File_greeter_proto); err != nil {
		fmt.Println(err)
		return
	}
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &server.Greeter{})
	h := lambdagrpc.NewHandler(s, rest.Enable(rest.WithResolver(files, nil)))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/greet/world:stream?count=2", nil))
	fmt.Print(w.Body)
	// Output:
	// {"result":{"message":"Hello, world! (1/2)"}}
	// {"result":{"message":"Hello, world! (2/2)"}}
}
