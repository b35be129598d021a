package eventsource

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeloop"
)

// Invoker answers the Runtime API loop's invocations: it decodes each
// event into a request for Handler and answers with the handler's
// response, streamed when Stream is set and the event's front door takes
// streamed responses, buffered otherwise.
type Invoker struct {
	// Handler serves the requests.
	Handler http.Handler
	// Stream answers streamed where the front door allows it (invoke mode
	// RESPONSE_STREAM).
	Stream bool
	// NewContext returns the context the handler sees for an invocation,
	// from the call's context, the invocation and the event's
	// requestContext: the root package puts its LambdaContext there.
	NewContext func(ctx context.Context, inv *runtimeapi.Invocation, requestContext json.RawMessage) context.Context

	warnedMode atomic.Bool
}

// Invoke implements runtimeloop.Invoker.
func (iv *Invoker) Invoke(ctx context.Context, inv *runtimeapi.Invocation, out *runtimeloop.Response) {
	log := out.Log()
	req, ev, err := Decode(inv.Payload)
	if err != nil {
		log.Error("lambdagrpc: cannot serve the event", "error", err)
		out.Error("Runtime.InvalidEvent", err.Error())
		return
	}
	r := req.WithContext(iv.NewContext(ctx, inv, ev.RequestContext))
	if iv.Stream {
		if ev.canStream {
			iv.stream(log, out, r, &ev)
			return
		}
		if iv.warnedMode.CompareAndSwap(false, true) {
			log.Warn("lambdagrpc: invoke mode is RESPONSE_STREAM but this event comes from a front door that only takes buffered responses; answering buffered", "source", ev.String())
		}
	}
	body, err := ServeBuffered(log, iv.Handler, r, &ev)
	if err != nil {
		log.Error("lambdagrpc: cannot answer the invocation", "error", err)
		errType := "Runtime.ResponseError"
		if errors.Is(err, ErrTranslationPanic) {
			errType = "Runtime.HandlerPanic" // as the streamed path reports it
		}
		out.Error(errType, err.Error())
		return
	}
	out.Buffered("application/json", body)
}

// stream answers with a streamed HTTP-integration response.
func (iv *Invoker) stream(log *slog.Logger, out *runtimeloop.Response, req *http.Request, ev *Event) {
	w := newStreamWriter(ev.shape, out.Stream(runtimeapi.ContentTypeHTTPIntegration))
	var failure *runtimeapi.StreamError
	if perr := safeServe(log, iv.Handler, w, req); perr != nil {
		failure = &runtimeapi.StreamError{Type: "Runtime.HandlerPanic", Message: "internal error while translating the call (see the function's log)"}
	}
	out.CloseStream(w.finish(), failure)
}
