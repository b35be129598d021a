package eventsource

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeloop"
)

// httpEvents is the source of the HTTP events of Lambda's front doors: each
// becomes a request for the handler, by the shape it matches.
type httpEvents struct{}

// answer takes every event it can decode, and every event that fails to
// decode as JSON (no other source could take it either), but leaves one
// that no shape matches to the sources after it.
func (*httpEvents) answer(ctx context.Context, iv *Invoker, inv *runtimeapi.Invocation, out *runtimeloop.Response) bool {
	req, ev, err := Decode(inv.Payload)
	if errors.Is(err, errNoSource) {
		return false
	}
	if err != nil {
		iv.invalid(out, err)
		return true
	}
	log := out.Log()
	r := req.WithContext(iv.NewContext(ctx, inv, ev.RequestContext))
	if iv.Stream {
		if ev.canStream {
			stream(log, iv.Handler, out, r, &ev)
			return true
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
		return true
	}
	out.Buffered("application/json", body)
	return true
}

// stream answers with a streamed HTTP-integration response.
func stream(log *slog.Logger, h http.Handler, out *runtimeloop.Response, req *http.Request, ev *Event) {
	w := newStreamWriter(ev.shape, out.Stream(runtimeapi.ContentTypeHTTPIntegration))
	var failure *runtimeapi.StreamError
	if perr := safeServe(log, h, w, req); perr != nil {
		failure = &runtimeapi.StreamError{Type: "Runtime.HandlerPanic", Message: "internal error while translating the call (see the function's log)"}
	}
	out.CloseStream(w.finish(), failure)
}
