package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

// sqsBatch builds an SQS event of n messages, each a protojson
// SimpleRequest with a payload of size bytes, naming its method in the
// grpc-method attribute, as lambdagrpc's queue client sends them.
func sqsBatch(tb testing.TB, n, size int) []byte {
	tb.Helper()
	body, err := protojson.Marshal(&testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, size)}})
	if err != nil {
		tb.Fatal(err)
	}
	method := "/grpc.testing.TestService/UnaryCall"
	ev := events.SQSEvent{}
	for i := range n {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:     fmt.Sprintf("059f36b4-87a3-44ab-83d2-66197583%04d", i),
			ReceiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
			Body:          string(body),
			Attributes:    map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183", "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
			MessageAttributes: map[string]events.SQSMessageAttribute{
				"grpc-method": {StringValue: &method, DataType: "String"},
			},
			Md5OfBody:      "e4e68fb7bd0e697a0ae8f1bb342846b3",
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-2:123456789012:my-queue",
			AWSRegion:      "us-east-2",
		})
	}
	out, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// sqsHandWritten is what a team writes by hand with aws-lambda-go for the
// same queue: decode the event, each body as the request, call the
// method's Go function directly, report the failed messages.
func sqsHandWritten() invoker {
	svc := &testsvc.Service{}
	return func(ctx context.Context, event []byte) ([]byte, error) {
		var ev events.SQSEvent
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, err
		}
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for _, m := range ev.Records {
			if m.MessageAttributes["grpc-method"].StringValue == nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				continue
			}
			var req testpb.SimpleRequest
			if err := protojson.Unmarshal([]byte(m.Body), &req); err != nil {
				continue // poison: dropped
			}
			if _, err := svc.UnaryCall(ctx, &req); err != nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		return json.Marshal(resp)
	}
}

func sqsLambdagrpc() invoker {
	eh := lambdagrpc.NewEventHandler(newServer(), lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)))
	return eh.Invoke
}

// BenchmarkSQSBatch measures one invocation with a batch of 10 SQS
// messages: lambdagrpc, which calls each through the server (interceptors,
// stats handlers, deadline), against the hand-written aws-lambda-go
// handler.
func BenchmarkSQSBatch(b *testing.B) {
	for _, size := range []int{16, 1 << 10} {
		ev := sqsBatch(b, 10, size)
		for _, p := range []struct {
			name string
			new  func() invoker
		}{{"aws-lambda-go", sqsHandWritten}, {"lambdagrpc", sqsLambdagrpc}} {
			b.Run(fmt.Sprintf("bytes=%d/path=%s", size, p.name), func(b *testing.B) {
				inv := p.new()
				ctx := context.Background()
				out, err := inv(ctx, ev)
				if err != nil || string(out) != `{"batchItemFailures":[]}` {
					b.Fatalf("answer %s (%v)", out, err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := inv(ctx, ev); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
