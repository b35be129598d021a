package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sqsEvent is the event Lambda's SQS event-source mapping sends a
// function, field for field.
type sqsEvent struct {
	Records []sqsRecord `json:"Records"`
}

type sqsRecord struct {
	MessageID              string                         `json:"messageId"`
	ReceiptHandle          string                         `json:"receiptHandle"`
	Body                   string                         `json:"body"`
	Attributes             map[string]string              `json:"attributes"`
	MessageAttributes      map[string]sqsMessageAttribute `json:"messageAttributes"`
	MD5OfMessageAttributes *string                        `json:"md5OfMessageAttributes,omitempty"`
	MD5OfBody              string                         `json:"md5OfBody"`
	EventSource            string                         `json:"eventSource"`
	EventSourceARN         string                         `json:"eventSourceARN"`
	AWSRegion              string                         `json:"awsRegion"`
}

// sqsMessageAttribute is a message attribute as the event spells it:
// binary values in base64 (encoding/json's []byte), empty lists present.
type sqsMessageAttribute struct {
	StringValue      *string  `json:"stringValue,omitempty"`
	BinaryValue      []byte   `json:"binaryValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues [][]byte `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}

// sqsEventJSON builds the event for a batch of messages from the queue
// queueARN in region.
func sqsEventJSON(msgs []types.Message, queueARN, region string) ([]byte, error) {
	ev := sqsEvent{Records: make([]sqsRecord, 0, len(msgs))}
	for _, m := range msgs {
		r := sqsRecord{
			MessageID:              aws.ToString(m.MessageId),
			ReceiptHandle:          aws.ToString(m.ReceiptHandle),
			Body:                   aws.ToString(m.Body),
			Attributes:             m.Attributes,
			MessageAttributes:      make(map[string]sqsMessageAttribute, len(m.MessageAttributes)),
			MD5OfMessageAttributes: m.MD5OfMessageAttributes,
			MD5OfBody:              aws.ToString(m.MD5OfBody),
			EventSource:            "aws:sqs",
			EventSourceARN:         queueARN,
			AWSRegion:              region,
		}
		if r.Attributes == nil {
			r.Attributes = map[string]string{}
		}
		for name, a := range m.MessageAttributes {
			r.MessageAttributes[name] = sqsMessageAttribute{
				StringValue:      a.StringValue,
				BinaryValue:      a.BinaryValue,
				StringListValues: append([]string{}, a.StringListValues...),
				BinaryListValues: append([][]byte{}, a.BinaryListValues...),
				DataType:         aws.ToString(a.DataType),
			}
		}
		ev.Records = append(ev.Records, r)
	}
	return json.Marshal(ev)
}

// batchResponse is a function's answer to an SQS event with
// ReportBatchItemFailures.
type batchResponse struct {
	BatchItemFailures []struct {
		ItemIdentifier *string `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

// errBatchFailed is a response that fails the whole batch.
var errBatchFailed = errors.New("the whole batch fails")

// failedItems reads a function's response to a batch whose message IDs are
// ids, with ReportBatchItemFailures, as Lambda does: an empty or null
// response or list is a complete success; the reported message IDs fail;
// a response that is not JSON, or reports an empty, null or unknown ID,
// fails the whole batch (errBatchFailed, with the reason).
func failedItems(body []byte, ids map[string]bool) (map[string]bool, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return nil, nil
	}
	var r batchResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: the response is not a batch response: %w", errBatchFailed, err)
	}
	failed := make(map[string]bool, len(r.BatchItemFailures))
	for _, f := range r.BatchItemFailures {
		switch {
		case f.ItemIdentifier == nil:
			return nil, fmt.Errorf("%w: a batchItemFailures entry has no itemIdentifier", errBatchFailed)
		case *f.ItemIdentifier == "":
			return nil, fmt.Errorf("%w: a batchItemFailures entry has an empty itemIdentifier", errBatchFailed)
		case !ids[*f.ItemIdentifier]:
			return nil, fmt.Errorf("%w: itemIdentifier %q is no message of the batch", errBatchFailed, *f.ItemIdentifier)
		}
		failed[*f.ItemIdentifier] = true
	}
	return failed, nil
}
