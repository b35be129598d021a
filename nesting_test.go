package lambdagrpc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdagrpc/lambdagrpc"
)

// TestInvokeDeeplyNestedEvent is the regression test for an event of three
// million nested arrays, which overflowed the goroutine stack (a fatal
// error that kills the function) while the event was decoded. The event
// must be refused with an error that says why, as other malformed events
// are.
func TestInvokeDeeplyNestedEvent(t *testing.T) {
	t.Parallel()
	const depth = 3_000_000
	event := []byte(`{"zz":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`)
	eh := lambdagrpc.NewEventHandler(newTestServer(t), lambdagrpc.WithLogger(quietLogger()))
	out, err := eh.Invoke(context.Background(), event)
	if err == nil {
		t.Fatalf("Invoke answered %.100s, want an error", out)
	}
	if msg := err.Error(); !strings.Contains(msg, "invalid HTTP event") || !strings.Contains(msg, "exceeded max depth") {
		t.Fatalf("Invoke error %q, want an invalid-event error that names the depth limit", msg)
	}
}
