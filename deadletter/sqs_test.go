package deadletter_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/deadletter"
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
