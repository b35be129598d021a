package eventsource

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// ErrTranslationPanic is what the caller (the Runtime API, or the program
// that called EventHandler.Invoke) learns of a panic in the translation:
// the value may hold anything the request or the process held, so it goes
// to the log, with its stack, and never into an answer.
var ErrTranslationPanic = errors.New("lambdagrpc: internal error while translating the call (see the function's log)")

// ServeBuffered serves req, decoded from ev, with h into a buffered
// response document in ev's shape.
func ServeBuffered(log *slog.Logger, h http.Handler, req *http.Request, ev *Event) ([]byte, error) {
	w := newBufferedWriter(ev.shape, runtimeapi.MaxBufferedResponse)
	if p := safeServe(log, h, w, req); p != nil {
		return nil, ErrTranslationPanic
	}
	body := w.finish()
	if len(body) > runtimeapi.MaxBufferedResponse {
		// Only oversized headers or trailers get here: the body was checked
		// as it was written.
		return nil, fmt.Errorf("lambdagrpc: %s", w.LimitError())
	}
	return body, nil
}

// safeServe runs the handler, turning a panic in the translation itself
// into a value so the function keeps serving. Handler panics never get
// here: the recovery interceptor answers them with INTERNAL.
func safeServe(log *slog.Logger, h http.Handler, w http.ResponseWriter, req *http.Request) (perr any) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("lambdagrpc: panic while serving an invocation", "panic", p, "stack", string(debug.Stack()))
			perr = p
		}
	}()
	h.ServeHTTP(w, req)
	return nil
}
