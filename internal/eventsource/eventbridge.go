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
	it, ok := decodeEventBridge(inv.Payload, iv.Async.Routes)
	if !ok {
		return false
	}
	answerAsync(iv.NewContext(ctx, inv, nil), iv, out, []item{it})
	return true
}

// decodeEventBridge turns an EventBridge event into an item, if payload is
// one.
func decodeEventBridge(payload []byte, routes map[string]string) (item, bool) {
	var ev eventBridgeEvent
	if json.Unmarshal(payload, &ev) != nil || ev.DetailType == "" || ev.Source == "" || len(ev.Detail) == 0 {
		return item{}, false
	}
	it := item{raw: payload, rec: Record{Source: sourceEvents, ID: ev.ID, Origin: ev.Source}}
	route := routes[ev.Source]
	if isMethodName(ev.DetailType) {
		route = ev.DetailType
	}
	it.msg, it.bad = newMessage(nil, string(ev.Detail), route)
	return it, true
}

// isMethodName reports whether s looks like "/package.Service/Method".
func isMethodName(s string) bool {
	svc, method, ok := strings.Cut(strings.TrimPrefix(s, "/"), "/")
	return ok && s[0] == '/' && strings.Contains(svc, ".") && method != "" &&
		!strings.ContainsAny(s, " \t\r\n?#%") && !strings.Contains(method, "/")
}
