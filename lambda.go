package lambdagrpc

import (
	"context"
	"encoding/json"

	"github.com/lambdagrpc/lambdagrpc/internal/eventsource"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeloop"
)

// serveLambda runs the Runtime API loop at addr, answering its invocations
// through h, until ctx ends or the Runtime API says the environment cannot
// continue.
func serveLambda(ctx context.Context, h *handler, cfg *config, addr string) error {
	iv := asyncInvoker(h)
	iv.Stream = cfg.invokeMode == ResponseStream
	return runtimeloop.Run(ctx, runtimeloop.Config{
		Addr:           addr,
		Concurrency:    cfg.maxConcurrency,
		DeadlineMargin: cfg.deadlineMargin,
		Logger:         cfg.logger,
		LogAttrs:       []any{"invokeMode", string(cfg.invokeMode)},
	}, iv)
}

// asyncInvoker returns the invoker that serves h's events: h's
// configuration of the calls of SQS, SNS and EventBridge records is its.
func asyncInvoker(h *handler) *eventsource.Invoker {
	iv := &eventsource.Invoker{Handler: h, NewContext: invocationContext, Async: h.cfg.async}
	iv.Async.RecordContext = recordContext
	iv.Call = h.callMessage
	return iv
}

// invocationContext returns ctx carrying the LambdaContext of inv, whose
// event's requestContext is requestContext.
func invocationContext(ctx context.Context, inv *runtimeapi.Invocation, requestContext json.RawMessage) context.Context {
	lc := &LambdaContext{
		RequestID:      inv.RequestID,
		FunctionARN:    inv.FunctionARN,
		Deadline:       inv.Deadline,
		TraceID:        inv.TraceID,
		TenantID:       inv.TenantID,
		RequestContext: requestContext,
	}
	if inv.ClientContext != "" {
		lc.ClientContext = json.RawMessage(inv.ClientContext)
	}
	if inv.CognitoIdentity != "" {
		lc.CognitoIdentity = json.RawMessage(inv.CognitoIdentity)
	}
	return NewContext(ctx, lc)
}
