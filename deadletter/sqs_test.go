package deadletter_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/deadletter"
	"github.com/lambdagrpc/lambdagrpc/internal/sqstest"
)

// recorder is an in-process stand-in for the SQS client, for this unit
// test of what SQS sends.
type recorder struct {
	in  []*sqs.SendMessageInput
	err error
}

func (r *recorder) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	r.in = append(r.in, in)
	return &sqs.SendMessageOutput{MessageId: aws.String("x")}, r.err
}

func failed() *lambdagrpc.FailedRecord {
	return &lambdagrpc.FailedRecord{
		Record: lambdagrpc.Record{Source: "aws:sqs", ID: "m1", MessageGroupID: "g", Method: "/a.B/C"},
		Status: status.New(codes.InvalidArgument, "bad"),
		Event:  []byte(`{"messageId":"m1"}`),
	}
}

func TestSQS(t *testing.T) {
	r := &recorder{}
	if err := deadletter.SQS(r, "https://sqs.example/1/dlq")(context.Background(), failed()); err != nil {
		t.Fatal(err)
	}
	in := r.in[0]
	a := in.MessageAttributes
	if *in.MessageBody != `{"messageId":"m1"}` || *in.QueueUrl != "https://sqs.example/1/dlq" ||
		*a[deadletter.AttrCode].StringValue != "3" || *a[deadletter.AttrMessage].StringValue != "bad" ||
		*a[deadletter.AttrMethod].StringValue != "/a.B/C" || *a[deadletter.AttrID].StringValue != "m1" || *a[deadletter.AttrSource].StringValue != "aws:sqs" {
		t.Errorf("sent %+v", in)
	}
	if in.MessageGroupId != nil || in.MessageDeduplicationId != nil {
		t.Error("a standard queue's message has a group")
	}

	r.err = errors.New("throttled")
	f := failed()
	f.Status = status.New(codes.NotFound, "")
	err := deadletter.SQS(r, "https://sqs.example/1/dlq.fifo")(context.Background(), f)
	if err == nil || !strings.Contains(err.Error(), "throttled") || !strings.Contains(err.Error(), "m1") {
		t.Errorf("error %v", err)
	}
	in = r.in[1]
	if *in.MessageGroupId != "g" || *in.MessageDeduplicationId != "aws:sqs:m1" {
		t.Errorf("FIFO message %+v", in)
	}
	if _, ok := in.MessageAttributes[deadletter.AttrMessage]; ok {
		t.Error("an empty status message was sent as an attribute")
	}
}

// TestSQSOnServer sends failed records to real queues, a standard one and a
// FIFO one, on an SQS-compatible server, and reads them back.
func TestSQSOnServer(t *testing.T) {
	srv := sqstest.Start(t)
	c := srv.SQS()
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		attrs map[string]string
	}{
		{"dead", nil},
		{"dead.fifo", map[string]string{"FifoQueue": "true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := srv.CreateQueue(t, tc.name, tc.attrs)
			f := failed()
			if err := deadletter.SQS(c, q.URL)(ctx, f); err != nil {
				t.Fatal(err)
			}
			// The same record again: a FIFO queue drops it as a duplicate.
			if err := deadletter.SQS(c, q.URL)(ctx, f); err != nil {
				t.Fatal(err)
			}
			out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
				QueueUrl:                    aws.String(q.URL),
				MaxNumberOfMessages:         10,
				MessageAttributeNames:       []string{"All"},
				MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
				WaitTimeSeconds:             1,
			})
			if err != nil {
				t.Fatal(err)
			}
			want := 2
			if tc.attrs != nil {
				want = 1
			}
			if len(out.Messages) != want {
				t.Fatalf("received %d messages, want %d", len(out.Messages), want)
			}
			m := out.Messages[0]
			a := m.MessageAttributes
			if *m.Body != `{"messageId":"m1"}` || *a[deadletter.AttrCode].StringValue != "3" ||
				*a[deadletter.AttrMessage].StringValue != "bad" || *a[deadletter.AttrMethod].StringValue != "/a.B/C" ||
				*a[deadletter.AttrID].StringValue != "m1" || *a[deadletter.AttrSource].StringValue != "aws:sqs" {
				t.Errorf("received %q with %+v", *m.Body, a)
			}
			if _, ok := a["grpc-method"]; ok {
				t.Error("a dead-lettered record carries grpc-method, so a function reading the queue would take it for a call")
			}
			if g := m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]; tc.attrs != nil && g != "g" {
				t.Errorf("message group %q, want the record's (g)", g)
			}
		})
	}
	// A queue that does not exist: the error names the record and the queue.
	err := deadletter.SQS(c, srv.Endpoint+"/123456789012/missing")(ctx, failed())
	if err == nil || !strings.Contains(err.Error(), "m1") || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing queue: %v", err)
	}
}
