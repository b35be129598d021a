package lambdagrpc

import (
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/eventsource"
)

// WithAsyncRoute routes the SQS messages of a queue, the SNS messages of a
// topic or the EventBridge events of a source to a unary method, for the
// records that do not name their method themselves (with a grpc-method
// message attribute, or an EventBridge detail-type of the form
// "/package.Service/Method"). origin is a queue ARN, a topic ARN or an
// EventBridge source such as "com.example.orders"; method is
// "/package.Service/Method". See docs/async.md.
func WithAsyncRoute(origin, method string) Option {
	return optionFunc(func(c *config) {
		if origin == "" {
			c.errs = append(c.errs, fmt.Errorf("WithAsyncRoute(%q, %q): name a queue ARN, a topic ARN or an EventBridge source", origin, method))
			return
		}
		if !validMethodName(method) {
			c.errs = append(c.errs, fmt.Errorf("WithAsyncRoute(%q, %q): the method must be \"/package.Service/Method\"", origin, method))
			return
		}
		if c.async.Routes == nil {
			c.async.Routes = map[string]string{}
		}
		c.async.Routes[origin] = method
	})
}

// WithRetryableCodes sets the status codes after which an SQS, SNS or
// EventBridge record is delivered again: an SQS record is reported in
// batchItemFailures, and an SNS or EventBridge invocation fails, so that
// Lambda retries it. A record whose call ends with any other code is
// handed to the dead-letter target (see [WithDeadLetter]) or logged and
// dropped. The default is UNAVAILABLE, DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, ABORTED, INTERNAL and UNKNOWN: the transient
// failures, and those where the server broke without saying why.
func WithRetryableCodes(cs ...codes.Code) Option {
	return optionFunc(func(c *config) {
		var set [32]bool
		for _, code := range cs {
			if code == codes.OK || uint32(code) >= uint32(len(set)) {
				c.errs = append(c.errs, fmt.Errorf("WithRetryableCodes: %v is not an error code", code))
				return
			}
			set[code] = true
		}
		c.async.Retryable = func(code codes.Code) bool { return uint32(code) < uint32(len(set)) && set[code] }
	})
}

// FailedRecord is a record whose call failed with a code that is not
// retryable, as the dead-letter target receives it.
type FailedRecord struct {
	// Record is the record.
	Record Record
	// Status is how its call ended.
	Status *status.Status
	// Event is the record as the event carried it: an SQS record, an SNS
	// record or the whole EventBridge event, in JSON.
	Event json.RawMessage
}

// WithDeadLetter hands the records whose calls failed with a code that is
// not retryable (see [WithRetryableCodes]) to deadLetter, instead of
// logging and dropping them. If deadLetter returns an error, the record is
// delivered again, as if its code were retryable. It may be called
// concurrently.
func WithDeadLetter(deadLetter func(ctx context.Context, f *FailedRecord) error) Option {
	return optionFunc(func(c *config) {
		if deadLetter == nil {
			c.async.DeadLetter = nil
			return
		}
		c.async.DeadLetter = func(ctx context.Context, r *eventsource.Record, st *status.Status, raw json.RawMessage) error {
			return deadLetter(ctx, &FailedRecord{Record: *publicRecord(r), Status: st, Event: raw})
		}
	})
}

// WithAsyncConcurrency bounds how many records of one SQS batch are called
// at once. The default is 10, SQS's default batch size. The messages of a
// FIFO message group are called one after the other, in order, whatever
// the bound.
func WithAsyncConcurrency(n int) Option {
	return optionFunc(func(c *config) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("WithAsyncConcurrency(%d): the bound must be at least 1", n))
			return
		}
		c.async.Concurrency = n
	})
}

// validMethodName reports whether s is "/package.Service/Method".
func validMethodName(s string) bool {
	if len(s) < 4 || s[0] != '/' {
		return false
	}
	slashes := 0
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '/':
			slashes++
			if i == 1 || i == len(s)-1 || s[i-1] == '/' {
				return false
			}
		case c == '.' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		default:
			return false
		}
	}
	return slashes == 1
}
