// Package client calls gRPC services hosted on AWS Lambda (or anywhere that
// speaks gRPC-Web or Connect) with ordinary generated grpc-go stubs:
//
//	conn, err := client.New("https://abc.lambda-url.eu-west-1.on.aws")
//	if err != nil { ... }
//	defer conn.Close()
//	reply, err := pb.NewGreeterClient(conn).SayHello(ctx, req)
//
// A *Conn is a grpc.ClientConnInterface. It speaks gRPC-Web (binary, the
// default, or text) or Connect over HTTP/1.1 or HTTP/2, through any
// http.Client. Server-streamed messages are delivered as they arrive.
//
// Client and bidirectional streams are half-duplex, because a Lambda
// request body arrives whole: messages sent with SendMsg are buffered and
// go out in one request when the stream is half-closed (CloseSend, or the
// first RecvMsg); responses follow.
package client
