package async_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/client/async"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
)

// A Queue is what a generated client needs. A call returns once SQS has the
// message; MessageID tells its ID. Here the queue is FIFO and the call has
// no message group, so it fails before anything is sent.
func ExampleNewQueue() {
	q, err := async.NewQueue("https://sqs.eu-west-1.amazonaws.com/123456789012/greetings.fifo",
		async.WithConfig(aws.Config{Region: "eu-west-1"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	var id string
	_, err = pb.NewGreeterClient(q).SayHello(context.Background(), &pb.HelloRequest{Name: "queue"}, async.MessageID(&id))
	fmt.Println(status.Code(err))
	fmt.Println(status.Convert(err).Message())
	// Output:
	// InvalidArgument
	// async: queue https://sqs.eu-west-1.amazonaws.com/123456789012/greetings.fifo is FIFO and the call to /lambdagrpc.examples.greeter.v1.Greeter/SayHello has no message group ID: give one with WithMessageGroupID
}

// A FIFO queue's calls are grouped, here by the greeted name, so that the
// greetings of one name are handled in order.
func ExampleWithMessageGroupID() {
	byName := func(_ context.Context, _ string, req proto.Message) string {
		return req.(*pb.HelloRequest).GetName()
	}
	q, err := async.NewQueue("https://sqs.eu-west-1.amazonaws.com/123456789012/greetings.fifo",
		async.WithConfig(aws.Config{Region: "eu-west-1"}), async.WithMessageGroupID(byName))
	fmt.Println(q.URL(), err)
	// Output: https://sqs.eu-west-1.amazonaws.com/123456789012/greetings.fifo <nil>
}

// A Topic publishes calls to SNS; a subscribed queue, or the function
// itself, receives them with the same attributes as a Queue's messages.
// Streaming methods cannot be published.
func ExampleNewTopic() {
	t, err := async.NewTopic("arn:aws:sns:eu-west-1:123456789012:greetings", async.WithConfig(aws.Config{Region: "eu-west-1"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = pb.NewGreeterClient(t).SayHelloStream(context.Background(), &pb.HelloStreamRequest{})
	fmt.Println(status.Code(err))
	// Output: Unimplemented
}
