// Package server implements the example Greeter service. It is an ordinary
// grpc-go service: nothing in it knows about Lambda.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
)

// MaxCount bounds SayHelloStream's count.
const MaxCount = 1000

// Greeter implements pb.GreeterServer.
type Greeter struct {
	pb.UnimplementedGreeterServer
}

func greeting(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		st := status.New(codes.InvalidArgument, "name must not be empty")
		st, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: "name", Description: "say who to greet"},
		}})
		if err != nil {
			return "", status.Error(codes.Internal, err.Error())
		}
		return "", st.Err()
	}
	return "Hello, " + name + "!", nil
}

// SayHello greets one name; an empty name is INVALID_ARGUMENT with a
// BadRequest detail.
func (*Greeter) SayHello(_ context.Context, req *pb.HelloRequest) (*pb.HelloReply, error) {
	msg, err := greeting(req.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.HelloReply{Message: msg}, nil
}

// SayHelloStream sends count greetings, interval_ms apart, and stops early
// when the call's context ends.
func (*Greeter) SayHelloStream(req *pb.HelloStreamRequest, stream pb.Greeter_SayHelloStreamServer) error {
	msg, err := greeting(req.GetName())
	if err != nil {
		return err
	}
	n := req.GetCount()
	if n < 1 || n > MaxCount {
		return status.Errorf(codes.InvalidArgument, "count must be between 1 and %d, not %d", MaxCount, n)
	}
	interval := time.Duration(req.GetIntervalMs()) * time.Millisecond
	ctx := stream.Context()
	for i := int32(1); i <= n; i++ {
		if i > 1 && interval > 0 {
			select {
			case <-ctx.Done():
				return status.FromContextError(ctx.Err()).Err()
			case <-time.After(interval):
			}
		}
		if err := stream.Send(&pb.HelloReply{Message: fmt.Sprintf("%s (%d/%d)", msg, i, n)}); err != nil {
			return err
		}
	}
	return nil
}

// CollectHellos greets every name the client sent, in one reply.
func (*Greeter) CollectHellos(stream pb.Greeter_CollectHellosServer) error {
	var names []string
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if _, err := greeting(req.GetName()); err != nil {
			return err
		}
		names = append(names, req.GetName())
	}
	if len(names) == 0 {
		return status.Error(codes.InvalidArgument, "send at least one name")
	}
	return stream.SendAndClose(&pb.HelloReply{Message: "Hello, " + strings.Join(names, ", ") + "!"})
}

// Chat answers each request with a greeting.
func (*Greeter) Chat(stream pb.Greeter_ChatServer) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		msg, err := greeting(req.GetName())
		if err != nil {
			return err
		}
		if err := stream.Send(&pb.HelloReply{Message: msg}); err != nil {
			return err
		}
	}
}
