package lambdagrpc

import (
	"context"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/eventsource"
)

// EventHandler answers Lambda HTTP events with buffered responses, for
// programs that run a Lambda runtime loop of their own. Its Invoke method
// has the signature of aws-lambda-go's lambda.Handler, so
//
//	lambda.StartHandler(lambdagrpc.NewEventHandler(s))
//
// serves s through aws-lambda-go. [Serve] does not need it.
type EventHandler struct {
	h     *handler
	async *eventsource.Invoker
}

// NewEventHandler returns an EventHandler for s. Like [NewHandler], it adds
// the panic-recovering interceptor to s. An invalid option is logged once,
// at Error, and every Invoke then returns that error, which names the
// option: Lambda reports it as the function's error.
func NewEventHandler(s *grpc.Server, opts ...Option) *EventHandler {
	h := newHandler(s, newConfig(opts))
	return &EventHandler{h: h, async: asyncInvoker(h)}
}

// Invoke answers one event: a Function URL, API Gateway or ALB request in,
// the matching response document out; or an SQS, SNS or EventBridge event,
// whose records are calls (see docs/async.md), in, and for SQS the
// records to deliver again out. The call's deadline is ctx's deadline less
// the deadline margin. It returns an error for an event that is none of
// these, a response over Lambda's buffered limit that cannot be answered
// as a RESOURCE_EXHAUSTED status, or an SNS or EventBridge record whose
// call failed with a retryable code (so that Lambda retries it).
func (e *EventHandler) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	if e.h.err != nil {
		return nil, e.h.err
	}
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-e.h.cfg.deadlineMargin))
		defer cancel()
	}
	if body, ok, err := e.async.ServeAsync(ctx, e.h.log, event, false); ok {
		return body, err
	}
	req, ev, err := eventsource.Decode(event)
	if err != nil {
		if body, ok, aerr := e.async.ServeAsync(ctx, e.h.log, event, true); ok {
			return body, aerr
		}
		return nil, err
	}
	if lc, ok := FromContext(ctx); !ok || lc.RequestContext == nil {
		lc2 := &LambdaContext{}
		if ok {
			*lc2 = *lc
		}
		lc2.RequestContext = ev.RequestContext
		ctx = NewContext(ctx, lc2)
	}
	return eventsource.ServeBuffered(e.h.log, e.h, req.WithContext(ctx), &ev)
}
