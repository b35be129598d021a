package deadletter

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambdagrpc/lambdagrpc"
)

// Attributes of the messages SQS sends to the dead-letter queue, beside the
// record's own JSON in the body.
const (
	// AttrCode is the gRPC status code the record's call ended with, as a
	// number.
	AttrCode = "grpc-status"
	// AttrMessage is the status message.
	AttrMessage = "grpc-message"
	// AttrMethod is the method the record called. It is not the wire
	// contract's grpc-method attribute, so that a dead-lettered record,
	// whose body is the record and not a request, is never taken for a
	// call by a function reading the dead-letter queue.
	AttrMethod = "lambdagrpc-method"
	// AttrSource is the kind of event: "aws:sqs", "aws:sns" or
	// "aws:events".
	AttrSource = "lambdagrpc-source"
	// AttrID is the record's message or event ID.
	AttrID = "lambdagrpc-id"
)

// SendMessageAPI is the part of the SQS client SQS uses; *sqs.Client
// implements it.
type SendMessageAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQS returns a dead-letter target that sends each failed record to the
// SQS queue at queueURL: the message body is the record as the event
// carried it (FailedRecord.Event, in JSON), and its attributes say how the
// call ended and what it was (AttrCode, AttrMessage, AttrMethod,
// AttrSource, AttrID). For a FIFO queue (a URL ending in ".fifo") the
// message group is the record's, or its source, and the record's ID
// deduplicates it. An error from SQS makes the record be delivered again.
func SQS(client SendMessageAPI, queueURL string) func(context.Context, *lambdagrpc.FailedRecord) error {
	fifo := len(queueURL) > 5 && queueURL[len(queueURL)-5:] == ".fifo"
	return func(ctx context.Context, f *lambdagrpc.FailedRecord) error {
		in := &sqs.SendMessageInput{
			QueueUrl:    aws.String(queueURL),
			MessageBody: aws.String(string(f.Event)),
			MessageAttributes: map[string]types.MessageAttributeValue{
				AttrCode:   {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(int(f.Status.Code())))},
				AttrSource: {DataType: aws.String("String"), StringValue: aws.String(f.Record.Source)},
			},
		}
		// SQS refuses empty String attributes.
		for name, v := range map[string]string{AttrMessage: f.Status.Message(), AttrMethod: f.Record.Method, AttrID: f.Record.ID} {
			if v != "" {
				in.MessageAttributes[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
			}
		}
		if fifo {
			group := f.Record.MessageGroupID
			if group == "" {
				group = f.Record.Source
			}
			in.MessageGroupId = aws.String(group)
			in.MessageDeduplicationId = aws.String(f.Record.Source + ":" + f.Record.ID)
		}
		if _, err := client.SendMessage(ctx, in); err != nil {
			return fmt.Errorf("sending record %s to the dead-letter queue %s: %w", f.Record.ID, queueURL, err)
		}
		return nil
	}
}
