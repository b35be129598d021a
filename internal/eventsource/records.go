package eventsource

import (
	"context"
	"encoding/json"
	"fmt"

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
	if !r.lenient && !recordsFirst(inv.Payload) {
		return false
	}
	var list recordList
	if err := json.Unmarshal(inv.Payload, &list); err != nil || len(list.Records) == 0 {
		if r.lenient || err == nil {
			return false
		}
		iv.invalid(out, fmt.Errorf("%w: %w", ErrBadEvent, err))
		return true
	}
	var probe recordProbe
	if err := json.Unmarshal(list.Records[0], &probe); err != nil {
		return false
	}
	switch probe.EventSource {
	case sourceSQS:
		answerSQS(iv.NewContext(ctx, inv, nil), iv, out, list.Records)
	case sourceSNS:
		answerSNS(iv.NewContext(ctx, inv, nil), iv, out, list.Records)
	default:
		return false
	}
	return true
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
