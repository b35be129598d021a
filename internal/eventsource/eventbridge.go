package eventsource

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeloop"
)

// sourceEvents is the Record.Source of EventBridge events.
const sourceEvents = "aws:events"

// eventBridgeEvents is the source of EventBridge events: each is one call,
// to the method its detail-type names ("/package.Service/Method") or the
// one routed for its source, with its detail as the protojson request.
type eventBridgeEvents struct{}

// eventBridgeEvent is the part of an EventBridge event a call needs.
type eventBridgeEvent struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Detail     json.RawMessage `json:"detail"`
}

// answer takes an event with a detail-type, a source and a detail. It is
// asked after the HTTP events, whose events have none of them.
func (*eventBridgeEvents) answer(ctx context.Context, iv *Invoker, inv *runtimeapi.Invocation, out *runtimeloop.Response) bool {
	var ev eventBridgeEvent
	if json.Unmarshal(inv.Payload, &ev) != nil || ev.DetailType == "" || ev.Source == "" || len(ev.Detail) == 0 {
		return false
	}
	it := item{raw: inv.Payload, rec: Record{Source: sourceEvents, ID: ev.ID, Origin: ev.Source}}
	route := iv.Async.Routes[ev.Source]
	if isMethodName(ev.DetailType) {
		route = ev.DetailType
	}
	it.msg, it.bad = newMessage(nil, string(ev.Detail), route)
	answerAsync(iv.NewContext(ctx, inv, nil), iv, out, []item{it})
	return true
}

// isMethodName reports whether s looks like "/package.Service/Method".
func isMethodName(s string) bool {
	svc, method, ok := strings.Cut(strings.TrimPrefix(s, "/"), "/")
	return ok && s[0] == '/' && strings.Contains(svc, ".") && method != "" &&
		!strings.ContainsAny(s, " \t\r\n?#%") && !strings.Contains(method, "/")
}
