package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
	"github.com/lambdagrpc/lambdagrpc/examples/greeter/server"
)

func client(t *testing.T) (pb.GreeterClient, context.Context) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &server.Greeter{})
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return pb.NewGreeterClient(conn), ctx
}

func TestSayHello(t *testing.T) {
	t.Parallel()
	c, ctx := client(t)
	reply, err := c.SayHello(ctx, &pb.HelloRequest{Name: "Ada"})
	if err != nil || reply.GetMessage() != "Hello, Ada!" {
		t.Fatalf("SayHello(Ada) = %v, %v; want Hello, Ada!", reply, err)
	}
	_, err = c.SayHello(ctx, &pb.HelloRequest{})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || len(st.Details()) != 1 {
		t.Fatalf("SayHello(\"\") = %v, want INVALID_ARGUMENT with one detail", st)
	}
	if br, ok := st.Details()[0].(*errdetails.BadRequest); !ok || br.GetFieldViolations()[0].GetField() != "name" {
		t.Fatalf("detail = %v, want a BadRequest about name", st.Details()[0])
	}
}

func TestSayHelloStream(t *testing.T) {
	t.Parallel()
	c, ctx := client(t)
	for _, tc := range []struct {
		name string
		req  *pb.HelloStreamRequest
		want []string
		code codes.Code
	}{
		{name: "three", req: &pb.HelloStreamRequest{Name: "Bo", Count: 3, IntervalMs: 1},
			want: []string{"Hello, Bo! (1/3)", "Hello, Bo! (2/3)", "Hello, Bo! (3/3)"}},
		{name: "zero count", req: &pb.HelloStreamRequest{Name: "Bo"}, code: codes.InvalidArgument},
		{name: "too many", req: &pb.HelloStreamRequest{Name: "Bo", Count: server.MaxCount + 1}, code: codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream, err := c.SayHelloStream(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				r, err := stream.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					if status.Code(err) != tc.code {
						t.Fatalf("error %v, want %v", err, tc.code)
					}
					return
				}
				got = append(got, r.GetMessage())
			}
			if tc.code != codes.OK || len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q (code %v)", got, tc.want, tc.code)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("message %d = %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestSayHelloStreamHonoursDeadline(t *testing.T) {
	t.Parallel()
	c, ctx := client(t)
	ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	stream, err := c.SayHelloStream(ctx, &pb.HelloStreamRequest{Name: "Cy", Count: 10, IntervalMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("first message: %v", err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("second Recv = %v, want DEADLINE_EXCEEDED", err)
	}
}

func TestCollectHellosAndChat(t *testing.T) {
	t.Parallel()
	c, ctx := client(t)
	cs, err := c.CollectHellos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Ann", "Ben"} {
		if err := cs.Send(&pb.HelloRequest{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	reply, err := cs.CloseAndRecv()
	if err != nil || reply.GetMessage() != "Hello, Ann, Ben!" {
		t.Fatalf("CollectHellos = %v, %v", reply, err)
	}
	chat, err := c.Chat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Dee", "Eve"} {
		if err := chat.Send(&pb.HelloRequest{Name: n}); err != nil {
			t.Fatal(err)
		}
		r, err := chat.Recv()
		if err != nil || r.GetMessage() != "Hello, "+n+"!" {
			t.Fatalf("Chat(%s) = %v, %v", n, r, err)
		}
	}
	if err := chat.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := chat.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("after CloseSend: %v, want EOF", err)
	}
}
