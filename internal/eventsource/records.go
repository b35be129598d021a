package eventsource

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeloop"
)

// recordEvents is the source of the events that carry a list of records:
// SQS batches (sqs.go) and SNS notifications (sns.go), told apart by the
// first record's event source.
//
// It is registered twice. Ahead of the HTTP events it takes only events
// whose first key is "Records", as Lambda writes them, which it sees from
// the first bytes, so HTTP events pay nothing for it; after them (lenient)
// it takes the rest, which only events that are not HTTP events reach.
type recordEvents struct {
	lenient bool
}

// recordList is the envelope of SQS and SNS events.
type recordList struct {
	Records []json.RawMessage `json:"Records"`
}

// recordProbe reads a record's event source; encoding/json matches keys
// without regard to case, so it reads SQS's eventSource and SNS's
// EventSource alike.
type recordProbe struct {
	EventSource string `json:"eventSource"`
}

func (r *recordEvents) answer(ctx context.Context, iv *Invoker, inv *runtimeapi.Invocation, out *runtimeloop.Response) bool {
	a, ok := iv.serveRecords(ctx, out.Log(), inv.Payload, r.lenient, func(ctx context.Context) context.Context {
		return iv.NewContext(ctx, inv, nil)
	})
	if ok {
		a.send(out)
	}
	return ok
}

// serveRecords answers payload if it is an SQS or SNS event, running its
// calls in the context newCtx makes from ctx. Unless lenient, it takes
// only events whose first key is "Records".
func (iv *Invoker) serveRecords(ctx context.Context, log *slog.Logger, payload []byte, lenient bool, newCtx func(context.Context) context.Context) (asyncAnswer, bool) {
	if !lenient && !recordsFirst(payload) {
		return asyncAnswer{}, false
	}
	if a, ok := iv.serveTyped(ctx, log, payload, newCtx); ok {
		return a, true
	}
	var list recordList
	if err := json.Unmarshal(payload, &list); err != nil || len(list.Records) == 0 {
		if lenient || err == nil {
			return asyncAnswer{}, false
		}
		return invalidAnswer(log, fmt.Errorf("%w: %w", ErrBadEvent, err)), true
	}
	var probe recordProbe
	if err := json.Unmarshal(list.Records[0], &probe); err != nil {
		return asyncAnswer{}, false
	}
	switch probe.EventSource {
	case sourceSQS:
		items, err := decodeSQSBatch(list.Records, iv.Async.Routes)
		if err != nil {
			return invalidAnswer(log, err), true
		}
		return iv.answerSQS(newCtx(ctx), log, items), true
	case sourceSNS:
		return iv.answerAsync(newCtx(ctx), log, decodeSNS(list.Records, iv.Async.Routes)), true
	}
	return asyncAnswer{}, false
}

// typedEvent is an SQS or SNS event decoded in one pass: the fast path
// for events whose records all decode.
type typedEvent struct {
	Records []typedRecord `json:"Records"`
}

// typedRecord is an SQS record or an SNS record.
type typedRecord struct {
	EventSource string `json:"eventSource"`
	sqsRecord
	Sns *snsMessage `json:"Sns"`
}

// serveTyped answers an SQS event whose records all decode as SQS
// records, decoding the payload once. Any other event is left to the path
// that decodes record by record, so that a record that does not decode
// fails alone. A record's own JSON, which only a dead-letter target needs,
// is found again if it is needed.
func (iv *Invoker) serveTyped(ctx context.Context, log *slog.Logger, payload []byte, newCtx func(context.Context) context.Context) (asyncAnswer, bool) {
	var ev typedEvent
	if json.Unmarshal(payload, &ev) != nil || len(ev.Records) == 0 || ev.Records[0].EventSource != sourceSQS {
		return asyncAnswer{}, false
	}
	items := make([]item, len(ev.Records))
	raws := sync.OnceValue(func() []json.RawMessage {
		var list recordList
		_ = json.Unmarshal(payload, &list) // it decoded once
		return list.Records
	})
	for i := range ev.Records {
		if !fillSQS(&items[i], &ev.Records[i].sqsRecord, iv.Async.Routes) {
			return asyncAnswer{}, false
		}
		items[i].rawAt = func() json.RawMessage {
			if r := raws(); i < len(r) {
				return r[i]
			}
			return nil
		}
	}
	return iv.answerSQS(newCtx(ctx), log, items), true
}

// ServeAsync answers payload if it is an SQS, SNS or EventBridge event,
// and reports whether it was. The answer is body, or the invocation error
// err (an [*InvocationError]). It is asked twice, as the Invoker asks the
// sources: before [Decode] (afterHTTP false) it takes only the SQS and SNS
// events it tells apart by their first bytes; after it, the rest.
func (iv *Invoker) ServeAsync(ctx context.Context, log *slog.Logger, payload []byte, afterHTTP bool) (body []byte, ok bool, err error) {
	same := func(ctx context.Context) context.Context { return ctx }
	a, ok := iv.serveRecords(ctx, log, payload, afterHTTP, same)
	if !ok && afterHTTP {
		a, ok = iv.serveEventBridge(ctx, log, payload, same)
	}
	if !ok {
		return nil, false, nil
	}
	if a.errType != "" {
		return nil, true, &InvocationError{Type: a.errType, Message: a.errMsg}
	}
	return a.body, true, nil
}

// InvocationError is an invocation's error: Lambda retries an
// asynchronous invocation that ends with one.
type InvocationError struct {
	Type, Message string
}

func (e *InvocationError) Error() string { return e.Message }

// asyncAnswer is the answer to an SQS, SNS or EventBridge event: a JSON
// body, or an invocation error.
type asyncAnswer struct {
	body            []byte
	errType, errMsg string
}

// send answers through out.
func (a asyncAnswer) send(out *runtimeloop.Response) {
	if a.errType != "" {
		out.Error(a.errType, a.errMsg)
		return
	}
	out.Buffered("application/json", a.body)
}

// invalidAnswer answers an event that cannot be served.
func invalidAnswer(log *slog.Logger, err error) asyncAnswer {
	log.Error("lambdagrpc: cannot serve the event", "error", err)
	return asyncAnswer{errType: "Runtime.InvalidEvent", errMsg: err.Error()}
}

// recordsFirst reports whether payload is a JSON object whose first key is
// "Records".
func recordsFirst(payload []byte) bool {
	i := skipSpace(payload, 0)
	if i >= len(payload) || payload[i] != '{' {
		return false
	}
	i = skipSpace(payload, i+1)
	const key = `"Records"`
	return len(payload)-i >= len(key) && string(payload[i:i+len(key)]) == key
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
