package deadletter_test

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/deadletter"
)

// Records whose calls fail for good go to an SQS queue of their own, with
// how their calls ended.
func ExampleSQS() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		panic(err)
	}
	dlq := deadletter.SQS(sqs.NewFromConfig(cfg), "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dead")
	s := grpc.NewServer()
	// Register the services on s, then:
	if err := lambdagrpc.Serve(ctx, s, lambdagrpc.WithDeadLetter(dlq)); err != nil {
		panic(err)
	}
}
