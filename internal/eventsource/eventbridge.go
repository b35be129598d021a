package eventsource

import (
	"context"
	"encoding/json"
	"log/slog"
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
	a, ok := iv.serveEventBridge(ctx, out.Log(), inv.Payload, func(ctx context.Context) context.Context {
		return iv.NewContext(ctx, inv, nil)
	})
	if ok {
		a.send(out)
	}
	return ok
}

// serveEventBridge answers payload if it is an EventBridge event, running
// its call in the context newCtx makes from ctx.
func (iv *Invoker) serveEventBridge(ctx context.Context, log *slog.Logger, payload []byte, newCtx func(context.Context) context.Context) (asyncAnswer, bool) {
	it, ok := decodeEventBridge(payload, iv.Async.Routes)
	if !ok {
		return asyncAnswer{}, false
	}
	return iv.answerAsync(newCtx(ctx), log, []item{it}), true
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
