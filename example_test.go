package lambdagrpc_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
	"github.com/lambdagrpc/lambdagrpc/examples/greeter/server"
)

// A service registered on a *grpc.Server, served with Serve: on Lambda it
// answers the function's invocations, anywhere else it listens on TCP.
func ExampleServe() {
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &server.Greeter{})
	ctx, stop := context.WithCancel(context.Background())
	stop() // in a real program: context.Background(), until SIGTERM
	err := lambdagrpc.Serve(ctx, s, lambdagrpc.WithAddr("127.0.0.1:0"))
	fmt.Println("served until the context ended:", err)
	// Output: served until the context ended: <nil>
}

// The handler answers Connect, gRPC-Web and native gRPC clients over plain
// HTTP, here a Connect unary call in JSON.
func ExampleNewHandler() {
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &server.Greeter{})
	ts := httptest.NewServer(lambdagrpc.NewHandler(s))
	defer ts.Close()

	resp, err := http.Post(ts.URL+"/lambdagrpc.examples.greeter.v1.Greeter/SayHello", "application/json", strings.NewReader(`{"name":"Ada"}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK {"message":"Hello, Ada!"}
}

// An EventHandler answers Lambda HTTP events for a runtime loop of the
// program's own, such as aws-lambda-go's lambda.StartHandler.
func ExampleEventHandler_Invoke() {
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &server.Greeter{})
	h := lambdagrpc.NewEventHandler(s)

	// A Function URL event: a Connect unary call in JSON.
	event := `{"version":"2.0","rawPath":"/lambdagrpc.examples.greeter.v1.Greeter/SayHello","headers":{"content-type":"application/json"},` +
		`"requestContext":{"http":{"method":"POST","path":"/lambdagrpc.examples.greeter.v1.Greeter/SayHello"}},"body":"{\"name\":\"Ada\"}","isBase64Encoded":false}`
	out, err := h.Invoke(context.Background(), []byte(event))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	// Output: {"statusCode":200,"headers":{"content-type":"application/json"},"isBase64Encoded":false,"body":"{\"message\":\"Hello, Ada!\"}"}
}

// RecoverPanics makes a panicking handler answer INTERNAL on any grpc-go
// release, on grpc-go's own transport too.
func ExampleRecoverPanics() {
	s := grpc.NewServer(lambdagrpc.RecoverPanics(nil)...)
	pb.RegisterGreeterServer(s, &server.Greeter{})
	fmt.Println(len(s.GetServiceInfo()), "service")
	// Output: 1 service
}
