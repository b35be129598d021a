package eventsource

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// sourceSQS is the eventSource of SQS records.
const sourceSQS = "aws:sqs"

// sqsRecord is one message of an SQS batch, as Lambda's event-source
// mapping delivers it.
type sqsRecord struct {
	MessageID  string `json:"messageId"`
	Body       string `json:"body"`
	Attributes struct {
		ApproximateReceiveCount string `json:"ApproximateReceiveCount"`
		MessageGroupID          string `json:"MessageGroupId"`
	} `json:"attributes"`
	MessageAttributes map[string]sqsAttribute `json:"messageAttributes"`
	EventSourceARN    string                  `json:"eventSourceARN"`
}

// sqsAttribute is an SQS message attribute; BinaryValue is base64.
type sqsAttribute struct {
	StringValue *string `json:"stringValue"`
	BinaryValue *string `json:"binaryValue"`
	DataType    string  `json:"dataType"`
}

// sqsID reads only a record's message ID, for a record that does not
// decode whole.
type sqsID struct {
	MessageID string `json:"messageId"`
}

// sqsBatchResponse is the answer that reports partial batch failures
// (ReportBatchItemFailures).
type sqsBatchResponse struct {
	BatchItemFailures []sqsItemFailure `json:"batchItemFailures"`
}

type sqsItemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

// answerSQS runs an SQS batch's items as calls and answers with the
// records to deliver again.
func (iv *Invoker) answerSQS(ctx context.Context, log *slog.Logger, items []item) asyncAnswer {
	retry := iv.runBatch(ctx, log, items)
	resp := sqsBatchResponse{BatchItemFailures: []sqsItemFailure{}}
	for i, r := range retry {
		if r {
			resp.BatchItemFailures = append(resp.BatchItemFailures, sqsItemFailure{ItemIdentifier: items[i].rec.ID})
		}
	}
	body, _ := json.Marshal(resp) // cannot fail
	return asyncAnswer{body: body}
}

// decodeSQSBatch turns an SQS batch's records into items. A record that
// cannot be decoded, routed or called fails alone; only a record without
// a message ID, which the answer could not name, fails the whole batch.
func decodeSQSBatch(records []json.RawMessage, routes map[string]string) ([]item, error) {
	items := make([]item, len(records))
	for i, raw := range records {
		if !decodeSQS(&items[i], raw, routes) {
			return nil, errNoMessageID(i)
		}
	}
	return items, nil
}

// errNoMessageID says why a batch with a record that has no message ID
// fails whole.
func errNoMessageID(i int) error {
	return &batchError{i: i}
}

type batchError struct{ i int }

func (e *batchError) Error() string {
	return "invalid SQS event: record " + strconv.Itoa(e.i) + " has no messageId, so a failure could not name it; the whole batch fails"
}

// decodeSQS fills it from one SQS record. It reports false only when the
// record has no message ID; any other fault is the item's bad status.
func decodeSQS(it *item, raw json.RawMessage, routes map[string]string) bool {
	it.raw = raw
	it.rec.Source = sourceSQS
	var r sqsRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		var id sqsID
		if json.Unmarshal(raw, &id) != nil || id.MessageID == "" {
			return false
		}
		it.rec.ID = id.MessageID
		it.bad = status.Newf(codes.InvalidArgument, "the SQS record does not decode: %v", err)
		return true
	}
	return fillSQS(it, &r, routes)
}

// fillSQS fills it from a decoded SQS record, as decodeSQS does.
func fillSQS(it *item, r *sqsRecord, routes map[string]string) bool {
	it.rec.Source = sourceSQS
	if r.MessageID == "" {
		return false
	}
	it.rec.ID = r.MessageID
	it.rec.Origin = r.EventSourceARN
	it.rec.ReceiveCount, _ = strconv.Atoi(r.Attributes.ApproximateReceiveCount)
	it.rec.MessageGroupID = r.Attributes.MessageGroupID
	if it.rec.MessageGroupID != "" {
		it.group = it.rec.MessageGroupID
	} else if strings.HasSuffix(r.EventSourceARN, ".fifo") {
		it.group = "\x00fifo" // a FIFO queue without groups: one order
	}
	attrs := make([]attribute, 0, len(r.MessageAttributes))
	for name, a := range r.MessageAttributes {
		switch {
		case strings.HasPrefix(a.DataType, "Binary"):
			if a.BinaryValue == nil {
				it.bad = status.Newf(codes.InvalidArgument, "binary message attribute %q has no binaryValue", name)
				return true
			}
			attrs = append(attrs, attribute{name: name, value: *a.BinaryValue, binary: true})
		case a.StringValue != nil:
			attrs = append(attrs, attribute{name: name, value: *a.StringValue})
		default:
			it.bad = status.Newf(codes.InvalidArgument, "message attribute %q (%s) has no stringValue", name, a.DataType)
			return true
		}
	}
	body := r.Body
	route := routes[r.EventSourceARN]
	if !hasAttribute(attrs, AttrMethod) {
		if env, ok := snsEnvelopeOf(body); ok {
			// SNS to SQS without raw message delivery: the SQS body is
			// SNS's JSON envelope, which holds the attributes.
			it.rec.TopicARN = env.TopicARN
			var st *status.Status
			if attrs, st = env.attributes(); st != nil {
				it.bad = st
				return true
			}
			body = env.Message
			if m, ok := routes[env.TopicARN]; ok {
				route = m
			}
		}
	}
	it.msg, it.bad = newMessage(attrs, body, route)
	return true
}

// hasAttribute reports whether attrs has one named name, in any case.
func hasAttribute(attrs []attribute, name string) bool {
	for _, a := range attrs {
		if strings.EqualFold(a.name, name) {
			return true
		}
	}
	return false
}
