package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambdagrpc/lambdagrpc/client/async"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
	"github.com/lambdagrpc/lambdagrpc/internal/sqstest"
)

// TestEmulateSQSQueue runs `emulate --sqs-queue` on the example greeter,
// built and run as a process, against a real SQS-compatible server: the
// mapping is printed, and a call enqueued with client/async is handled and
// deleted from the queue.
func TestEmulateSQSQueue(t *testing.T) {
	srv := sqstest.Start(t)
	q := srv.CreateQueue(t, "greetings", map[string]string{"VisibilityTimeout": "30"})
	// The mapping's default AWS configuration, as a user's shell gives it.
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, stderr, stop := startEmulate(t, ctx, "--addr", "127.0.0.1:0", "--probe=false", "--timeout", "10s",
		"--sqs-queue", q.URL+"?window=1&batchSize=5", "../../examples/greeter")
	if want := "SQS queue       " + q.URL + " (batch size 5, window 1s, ReportBatchItemFailures true)"; !strings.Contains(out, want) {
		t.Errorf("emulate printed:\n%s\nwant a line %q", out, want)
	}
	queue, err := async.NewQueue(q.URL, async.WithSQSClient(srv.SQS()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewGreeterClient(queue).SayHello(ctx, &pb.HelloRequest{Name: "queue"}); err != nil {
		t.Fatal(err)
	}
	c := srv.SQS()
	deadline := time.Now().Add(60 * time.Second)
	for {
		a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.URL),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			t.Fatal(err)
		}
		log := stderr.String()
		if a.Attributes["ApproximateNumberOfMessages"] == "0" && a.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" && strings.Contains(log, "START RequestId") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message was not handled and deleted: %v\nlog:\n%s", a.Attributes, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatalf("emulate: %v", err)
	}
}
