package eventsource

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"

	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeloop"
)

// Invoker answers the Runtime API loop's invocations with the registered
// sources, serving their events with Handler.
type Invoker struct {
	// Handler serves the requests.
	Handler http.Handler
	// Stream answers streamed where the front door allows it (invoke mode
	// RESPONSE_STREAM).
	Stream bool
	// NewContext returns the context the handler sees for an invocation,
	// from the call's context, the invocation and the event's
	// requestContext, if it has one: the root package puts its
	// LambdaContext there.
	NewContext func(ctx context.Context, inv *runtimeapi.Invocation, requestContext json.RawMessage) context.Context
	// Async configures the calls of SQS, SNS and EventBridge records.
	Async Async
	// Call runs the call of an SQS, SNS or EventBridge record with its
	// request message in memory: method is "/package.Service/Method"
	// (without the path prefix), codec "json" or "proto", msg the request
	// message and header the metadata, as a client's request headers. It
	// returns how the call ended. An invoker that answers such records
	// must have it.
	Call func(ctx context.Context, method, codec string, msg []byte, header http.Header) *status.Status

	warnedMode atomic.Bool
}

// Invoke implements runtimeloop.Invoker. An event no source takes is
// answered Runtime.InvalidEvent.
func (iv *Invoker) Invoke(ctx context.Context, inv *runtimeapi.Invocation, out *runtimeloop.Response) {
	for _, s := range sources {
		if s.answer(ctx, iv, inv, out) {
			return
		}
	}
	iv.invalid(out, fmt.Errorf("%w: %w", ErrBadEvent, errNoSource))
}

// invalid answers an event that cannot be served.
func (iv *Invoker) invalid(out *runtimeloop.Response, err error) {
	out.Log().Error("lambdagrpc: cannot serve the event", "error", err)
	out.Error("Runtime.InvalidEvent", err.Error())
}
