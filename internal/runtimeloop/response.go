package runtimeloop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// Response is how an [Invoker] answers one invocation: with [Response.Buffered],
// [Response.Error], or [Response.Stream] followed by [Response.CloseStream].
type Response struct {
	client *runtimeapi.Client
	ctx    context.Context // the Runtime API posts'; never cancelled by the loop
	inv    *runtimeapi.Invocation
	log    *slog.Logger
	err    error // fatal: the environment cannot go on
	// answered is set by the first answer; an invoker that returns
	// without one, or with its stream still open, is a bug that finish
	// makes good.
	answered bool

	// A stream in progress. failure is set before pw closes, and the
	// Runtime API client reads it (through trailerFn) only after the body
	// has ended, so the pipe orders the two.
	pw        *io.PipeWriter
	failure   *runtimeapi.StreamError
	trailerFn func() *runtimeapi.StreamError // r.trailer, bound once
	posted    chan struct{}                  // closed when the post has returned
	postErr   error
}

func newResponse(client *runtimeapi.Client) *Response {
	r := &Response{client: client}
	r.trailerFn = r.trailer
	return r
}

// reset readies r for the next invocation.
func (r *Response) reset(ctx context.Context, inv *runtimeapi.Invocation, log *slog.Logger) {
	r.ctx, r.inv, r.log, r.err, r.answered = ctx, inv, log, nil, false
	r.pw, r.failure, r.posted, r.postErr = nil, nil, nil, nil
}

// Log returns the logger for the invocation: it names its request id.
func (r *Response) Log() *slog.Logger { return r.log }

// Buffered answers with body, whole.
func (r *Response) Buffered(contentType string, body []byte) {
	r.answered = true
	r.err = r.check(r.client.Respond(r.ctx, r.inv, contentType, body))
}

// Error answers with an invocation error of the type (such as
// "Runtime.InvalidEvent") and message.
func (r *Response) Error(errType, message string) {
	r.answered = true
	r.err = r.check(r.client.ReportError(r.ctx, r.inv, errType, message))
}

// Stream starts a streamed answer: what is written to the writer it
// returns goes to the Runtime API as it is written, each Write a chunk.
// A Write fails once the Runtime API connection has closed. The answer
// ends with [Response.CloseStream], which must be called.
func (r *Response) Stream(contentType string) io.Writer {
	r.answered = true
	pr, pw := io.Pipe()
	r.pw = pw
	r.posted = make(chan struct{})
	go func() {
		defer close(r.posted)
		r.postErr = r.client.RespondStream(r.ctx, r.inv, contentType, pr, r.trailerFn)
		// If the post failed early, unblock the writer so the call can end.
		pr.CloseWithError(errors.New("the runtime API connection closed"))
	}()
	return pw
}

// trailer returns the stream's failure, if any, for the error trailers;
// the client calls it once the body has ended.
func (r *Response) trailer() *runtimeapi.StreamError { return r.failure }

// CloseStream ends a streamed answer and waits until it has been posted.
// A non-nil failure is sent as the stream's error trailers; a non-nil err
// (the writer's own failure) ends the body with that error instead of
// cleanly.
func (r *Response) CloseStream(err error, failure *runtimeapi.StreamError) {
	r.failure = failure
	r.pw.CloseWithError(err) // nil closes cleanly
	<-r.posted
	r.pw = nil
	r.err = r.check(r.postErr)
}

// finish ends an invocation the invoker left unanswered or mid-stream,
// and returns the fatal error of its answer, if any.
func (r *Response) finish() error {
	switch {
	case !r.answered:
		r.log.Error("lambdagrpc: the invocation ended without an answer")
		r.Error("Runtime.NoAnswer", "the function returned without answering the invocation")
	case r.pw != nil:
		r.log.Error("lambdagrpc: the invocation ended with its stream still open")
		r.CloseStream(errors.New("the function returned without ending its stream"), nil)
	}
	return r.err
}

// check logs a failed Runtime API post and decides whether the runtime can
// go on: only a 5xx ends it.
func (r *Response) check(err error) error {
	if err == nil {
		return nil
	}
	se, ok := runtimeapi.IsStatus(err)
	switch {
	case ok && se.Stale():
		r.log.Error("lambdagrpc: Lambda discarded the response because the invocation had already timed out", "error", err)
		return nil
	case ok && se.TooLarge():
		r.log.Error("lambdagrpc: Lambda rejected the response as too large", "error", err)
		return nil
	case ok && se.Fatal():
		return fmt.Errorf("lambdagrpc: %w", err)
	}
	r.log.Error("lambdagrpc: posting the result failed", "error", err)
	return nil
}
