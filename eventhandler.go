package lambdagrpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// EventHandler answers Lambda HTTP events with buffered responses, for
// programs that run a Lambda runtime loop of their own. Its Invoke method
// has the signature of aws-lambda-go's lambda.Handler, so
//
//	lambda.StartHandler(lambdagrpc.NewEventHandler(s))
//
// serves s through aws-lambda-go. [Serve] does not need it.
type EventHandler struct {
	h *handler
}

// NewEventHandler returns an EventHandler for s. Like [NewHandler], it adds
// the panic-recovering interceptor to s. An invalid option is logged once,
// at Error, and every Invoke then returns that error, which names the
// option: Lambda reports it as the function's error.
func NewEventHandler(s *grpc.Server, opts ...Option) *EventHandler {
	return &EventHandler{h: newHandler(s, newConfig(opts))}
}

// Invoke answers one event: a Function URL, API Gateway or ALB request in,
// the matching response document out. The call's deadline is ctx's deadline
// less the deadline margin. It returns an error only for an event that is
// not an HTTP request at all, or a response over Lambda's buffered limit
// that cannot be answered as a RESOURCE_EXHAUSTED status.
func (e *EventHandler) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	if e.h.err != nil {
		return nil, e.h.err
	}
	req, info, err := decodeEvent(event)
	if err != nil {
		return nil, err
	}
	if lc, ok := FromContext(ctx); !ok || lc.RequestContext == nil {
		lc2 := &LambdaContext{}
		if ok {
			*lc2 = *lc
		}
		lc2.RequestContext = info.requestContext
		ctx = NewContext(ctx, lc2)
	}
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-e.h.cfg.deadlineMargin))
		defer cancel()
	}
	return e.h.serveBuffered(e.h.log, req.WithContext(ctx), info)
}

// errTranslationPanic is what the caller (the Runtime API, or the program
// that called Invoke) learns of a panic in the translation: the value may
// hold anything the request or the process held, so it goes to the log,
// with its stack, and never into an answer.
var errTranslationPanic = errors.New("lambdagrpc: internal error while translating the call (see the function's log)")

// serveBuffered serves req into a buffered response document.
func (h *handler) serveBuffered(log *slog.Logger, req *http.Request, info *eventInfo) ([]byte, error) {
	w := newBufferedWriter(info, runtimeapi.MaxBufferedResponse)
	if p := safeServe(log, h, w, req); p != nil {
		return nil, errTranslationPanic
	}
	body := w.finish()
	if len(body) > runtimeapi.MaxBufferedResponse {
		// Only oversized headers or trailers get here: the body was checked
		// as it was written.
		return nil, fmt.Errorf("lambdagrpc: %s", w.LimitError())
	}
	return body, nil
}
