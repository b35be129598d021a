package emulator

import (
	"context"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambdagrpc/lambdagrpc/internal/sqstest"
)

// TestRedriveFallback: for a server that does not redrive by itself (here
// a queue without a RedrivePolicy, the policy given to the poller only),
// the mapping moves a message received more often than maxReceiveCount to
// the dead-letter queue, with its attributes, and keeps the others.
func TestRedriveFallback(t *testing.T) {
	srv := sqstest.Start(t)
	c := srv.SQS()
	ctx := context.Background()
	dlq := srv.CreateQueue(t, "fallback-dlq", nil)
	q := srv.CreateQueue(t, "fallback", nil)
	for _, b := range []string{"often", "once"} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(b),
			MessageAttributes: map[string]types.MessageAttributeValue{"grpc-method": {DataType: aws.String("String"), StringValue: aws.String("/s.S/M")}}}); err != nil {
			t.Fatal(err)
		}
	}
	p := &sqsPoller{m: SQSMapping{QueueURL: q.URL, BatchSize: 10}, c: c, log: slog.New(slog.DiscardHandler), maxReceive: 1, dlqARN: dlq.ARN}
	// "often" is received twice, "once" once.
	first, err := p.receive(ctx, 10, 0)
	if err != nil || len(first) != 2 {
		t.Fatalf("first receive: %d messages, %v", len(first), err)
	}
	for _, m := range first {
		if aws.ToString(m.Body) == "often" {
			if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(q.URL), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
				t.Fatal(err)
			}
		}
	}
	second, err := p.receive(ctx, 10, 0)
	if err != nil || len(second) != 1 || aws.ToString(second[0].Body) != "often" {
		t.Fatalf("second receive: %+v, %v", second, err)
	}
	var once types.Message
	for _, m := range first {
		if aws.ToString(m.Body) == "once" {
			once = m
		}
	}
	keep := p.redrive(ctx, []types.Message{second[0], once})
	if len(keep) != 1 || aws.ToString(keep[0].Body) != "once" {
		t.Errorf("redrive kept %+v, want only the message received once", keep)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq.URL), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "often" ||
		aws.ToString(out.Messages[0].MessageAttributes["grpc-method"].StringValue) != "/s.S/M" {
		t.Fatalf("dead-letter queue holds %+v, want the message received twice, with its attributes", out.Messages)
	}
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.URL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Attributes["ApproximateNumberOfMessages"] != "0" || a.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Errorf("the queue holds %v, want only \"once\", in flight: the redriven message deleted", a.Attributes)
	}
}
