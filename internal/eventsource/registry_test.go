package eventsource

import (
	"errors"
	"testing"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
)

// TestEveryKindHasOneShape: each kind of HTTP event internal/events
// recognizes is served by exactly one registered shape, and an unknown
// one by none.
func TestEveryKindHasOneShape(t *testing.T) {
	for _, kind := range []events.Source{events.SourceV2, events.SourceV1, events.SourceALB, events.SourceUnknown} {
		n := 0
		for _, s := range shapes {
			if s.match(kind) {
				n++
			}
		}
		if want := map[bool]int{true: 0, false: 1}[kind == events.SourceUnknown]; n != want {
			t.Errorf("%s: %d shapes match, want %d", kind, n, want)
		}
	}
}

// TestDecodeUnknownEvent: an event no shape matches is refused with an
// error that says what the function takes.
func TestDecodeUnknownEvent(t *testing.T) {
	_, _, err := Decode([]byte(`{"Records":[{"eventSource":"aws:sqs","body":"hi"}]}`))
	if !errors.Is(err, ErrBadEvent) || !errors.Is(err, errNoSource) {
		t.Fatalf("Decode(SQS event) = %v, want %v: %v", err, ErrBadEvent, errNoSource)
	}
	if want := "invalid HTTP event: not a Function URL, API Gateway or ALB event"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
