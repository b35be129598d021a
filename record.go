package lambdagrpc

import (
	"context"

	"github.com/lambdagrpc/lambdagrpc/internal/eventsource"
)

// Record describes the SQS message, SNS notification or EventBridge event
// a call came from. Handlers reach it with [RecordFromContext].
type Record struct {
	// Source is the kind of event: "aws:sqs", "aws:sns" or "aws:events".
	Source string
	// ID is the SQS message ID, the SNS message ID or the EventBridge event
	// ID. SQS and SNS deliver a message at least once: a handler with side
	// effects can use it to notice a second delivery.
	ID string
	// ReceiveCount is SQS's approximate receive count, 1 on the first
	// delivery; 0 for SNS and EventBridge.
	ReceiveCount int
	// Origin is the queue ARN (SQS), the topic ARN (SNS) or the event's
	// source (EventBridge), as [WithAsyncRoute] names them.
	Origin string
	// TopicARN is the SNS topic the message was published to, also when SNS
	// delivered it through an SQS queue.
	TopicARN string
	// MessageGroupID is the message group of a FIFO queue's message.
	MessageGroupID string
	// Method is the method the record calls, "/package.Service/Method".
	Method string
}

type recordKey struct{}

// RecordFromContext returns the queue message or event a call came from.
// It reports false for calls that came over HTTP.
func RecordFromContext(ctx context.Context) (*Record, bool) {
	r, ok := ctx.Value(recordKey{}).(*Record)
	return r, ok
}

// NewRecordContext returns ctx carrying r, for tests of code that reads
// [RecordFromContext].
func NewRecordContext(ctx context.Context, r *Record) context.Context {
	return context.WithValue(ctx, recordKey{}, r)
}

// recordContext is the eventsource.Async.RecordContext hook.
func recordContext(ctx context.Context, r *eventsource.Record) context.Context {
	return NewRecordContext(ctx, publicRecord(r))
}

func publicRecord(r *eventsource.Record) *Record {
	return &Record{
		Source:         r.Source,
		ID:             r.ID,
		ReceiveCount:   r.ReceiveCount,
		Origin:         r.Origin,
		TopicARN:       r.TopicARN,
		MessageGroupID: r.MessageGroupID,
		Method:         r.Method,
	}
}
