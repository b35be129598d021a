package eventsource

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Async configures the sources whose records are calls: SQS, SNS and
// EventBridge. Its zero value serves them with the defaults.
type Async struct {
	// Routes maps a queue ARN, a topic ARN or an EventBridge source to the
	// method ("/package.Service/Method") its records call when they do not
	// name one themselves.
	Routes map[string]string
	// Retryable reports whether a record whose call ended with code should
	// be delivered again. Nil means [DefaultRetryable].
	Retryable func(codes.Code) bool
	// DeadLetter, if set, takes the records that failed with a code that is
	// not retryable; an error from it makes the record retryable. Without
	// it such records are logged and dropped.
	DeadLetter func(ctx context.Context, rec *Record, st *status.Status, raw json.RawMessage) error
	// Concurrency bounds the calls of one invocation that run at once.
	// Zero means [DefaultConcurrency].
	Concurrency int
	// RecordContext returns the context a record's call sees, from the
	// invocation's; nil leaves it as it is.
	RecordContext func(ctx context.Context, rec *Record) context.Context
}

// DefaultConcurrency is how many calls of one invocation run at once unless
// configured: the default SQS batch size, so a default batch runs at once,
// while a large batch (up to 10,000 records with a batching window) cannot
// start thousands of calls together.
const DefaultConcurrency = 10

// DefaultRetryable reports whether a call that ended with c may succeed if
// it is delivered again: the codes that say the failure was transient
// (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED) or that the
// server broke without saying why (INTERNAL, UNKNOWN, which also cover a
// panicking handler). Every other code says the request itself is wrong or
// not allowed, which no retry can fix.
func DefaultRetryable(c codes.Code) bool {
	switch c {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted, codes.Internal, codes.Unknown:
		return true
	}
	return false
}

// Record describes the queue message or event a call came from.
type Record struct {
	// Source is the kind of event: "aws:sqs", "aws:sns" or "aws:events".
	Source string
	// ID is the SQS message ID, the SNS message ID or the EventBridge
	// event ID.
	ID string
	// ReceiveCount is SQS's approximate receive count: 1 on the first
	// delivery. It is 0 for SNS and EventBridge.
	ReceiveCount int
	// Origin is the queue ARN (SQS), the topic ARN (SNS) or the event's
	// source (EventBridge): what routes are keyed by.
	Origin string
	// TopicARN is the SNS topic the message was published to, also for SNS
	// messages delivered through an SQS queue.
	TopicARN string
	// MessageGroupID is the FIFO message group, if any.
	MessageGroupID string
	// Method is the method the record calls.
	Method string
}

// retryable reports whether code is retryable under a's configuration.
func (a *Async) retryable(c codes.Code) bool {
	if a.Retryable == nil {
		return DefaultRetryable(c)
	}
	return a.Retryable(c)
}

func (a *Async) concurrency() int {
	if a.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return a.Concurrency
}

// settle decides what becomes of a record whose call ended with st: it
// reports whether the record must be delivered again. A record that failed
// for good goes to the dead-letter target, or is logged and dropped.
func (a *Async) settle(ctx context.Context, log *slog.Logger, rec *Record, st *status.Status, raw json.RawMessage) (retry bool) {
	if st.Code() == codes.OK {
		return false
	}
	attrs := []any{"source", rec.Source, "id", rec.ID, "method", rec.Method, "code", st.Code().String(), "message", st.Message()}
	if a.retryable(st.Code()) {
		log.Warn("lambdagrpc: the record's call failed; it will be delivered again", attrs...)
		return true
	}
	if a.DeadLetter == nil {
		log.Error("lambdagrpc: the record's call failed with a code that is not retryable; the record is dropped (configure a dead-letter target to keep such records)", attrs...)
		return false
	}
	if err := a.deadLetter(ctx, rec, st, raw); err != nil {
		log.Error("lambdagrpc: the record's call failed for good and the dead-letter target refused it; it will be delivered again", append(attrs, "error", err)...)
		return true
	}
	log.Warn("lambdagrpc: the record's call failed with a code that is not retryable; it went to the dead-letter target", attrs...)
	return false
}

// deadLetter hands a record to the dead-letter target, turning a panic in
// it into an error.
func (a *Async) deadLetter(ctx context.Context, rec *Record, st *status.Status, raw json.RawMessage) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return a.DeadLetter(ctx, rec, st, raw)
}
