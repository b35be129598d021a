package lambdagrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// runtimeLoop runs the Lambda Runtime API loop with one worker per allowed
// concurrent invocation.
type runtimeLoop struct {
	h          *handler
	cfg        *config
	client     *runtimeapi.Client
	warnedMode atomic.Bool
}

func maxConcurrency(cfg *config) int {
	if cfg.maxConcurrency > 0 {
		return cfg.maxConcurrency
	}
	if n, err := strconv.Atoi(os.Getenv("AWS_LAMBDA_MAX_CONCURRENCY")); err == nil && n > 1 {
		return n
	}
	return 1
}

// memoryLimit returns the soft memory limit for the Go runtime on Lambda:
// nine tenths of the function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
// in MB), so that the collector works harder as a large call nears the
// limit instead of the function being stopped for exceeding it. A
// GOMEMLIMIT of the program's own wins.
func memoryLimit(getenv func(string) string) (int64, bool) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	mb, err := strconv.ParseInt(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if err != nil || mb <= 0 || mb > 1<<20 {
		return 0, false
	}
	return mb << 20 / 10 * 9, true
}

var userAgent = "lambdagrpc (" + runtime.Version() + ")"

// reportInitError tells the Runtime API that the function cannot start, so
// Lambda fails the init (and says why in the function's log) instead of
// sending it invocations.
func reportInitError(ctx context.Context, addr string, err error) {
	c := runtimeapi.NewClient(addr, 1, userAgent)
	defer c.Close()
	_ = c.ReportInitError(context.WithoutCancel(ctx), "Runtime.ConfigInvalid", err.Error())
}

// serveLambda polls for invocations until ctx ends or the Runtime API says
// the environment cannot continue. Invocations in flight when ctx ends run
// to completion.
func serveLambda(ctx context.Context, h *handler, cfg *config, addr string) error {
	if limit, ok := memoryLimit(os.Getenv); ok {
		debug.SetMemoryLimit(limit)
	}
	n := maxConcurrency(cfg)
	rl := &runtimeLoop{h: h, cfg: cfg, client: runtimeapi.NewClient(addr, n, userAgent)}
	defer rl.client.Close()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	// Nothing stands between a cold start and its first /next: the log
	// line is written on the side, and the first worker is this goroutine.
	wg.Go(func() {
		cfg.logger.Info("lambdagrpc: serving on Lambda", "runtimeAPI", addr, "concurrency", n, "invokeMode", string(cfg.invokeMode))
	})
	work := func() {
		if err := rl.worker(ctx); err != nil {
			cancel(err)
		}
	}
	for range n - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func (rl *runtimeLoop) worker(ctx context.Context) error {
	for {
		inv, err := rl.client.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil //nolint:nilerr // shutting down: the failed poll is expected
			}
			if se, ok := runtimeapi.IsStatus(err); ok && !se.Fatal() {
				// A 4xx here is a bug on one side or the other; back off so a
				// misbehaving Runtime API does not get a tight loop.
				rl.cfg.logger.Error("lambdagrpc: runtime API rejected /next", "error", err)
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			return fmt.Errorf("lambdagrpc: %w", err)
		}
		if err := rl.invoke(context.WithoutCancel(ctx), inv); err != nil {
			return err
		}
	}
}

// invoke handles one invocation. Only a fatal Runtime API answer is
// returned; everything else is logged and answered.
func (rl *runtimeLoop) invoke(ctx context.Context, inv *runtimeapi.Invocation) error {
	log := rl.cfg.logger.With("requestId", inv.RequestID)
	req, info, err := decodeEvent(inv.Payload)
	if err != nil {
		log.Error("lambdagrpc: cannot serve the event", "error", err)
		return rl.check(log, rl.client.ReportError(ctx, inv, "Runtime.InvalidEvent", err.Error()))
	}
	lc := &LambdaContext{
		RequestID:      inv.RequestID,
		FunctionARN:    inv.FunctionARN,
		Deadline:       inv.Deadline,
		TraceID:        inv.TraceID,
		TenantID:       inv.TenantID,
		RequestContext: info.requestContext,
	}
	if inv.ClientContext != "" {
		lc.ClientContext = json.RawMessage(inv.ClientContext)
	}
	if inv.CognitoIdentity != "" {
		lc.CognitoIdentity = json.RawMessage(inv.CognitoIdentity)
	}
	reqCtx := NewContext(ctx, lc)
	if !inv.Deadline.IsZero() {
		var cancel context.CancelFunc
		reqCtx, cancel = context.WithDeadline(reqCtx, inv.Deadline.Add(-rl.cfg.deadlineMargin))
		defer cancel()
	}
	r := req.WithContext(reqCtx)

	if rl.cfg.invokeMode == ResponseStream {
		if info.canStream {
			return rl.stream(ctx, log, inv, r, info)
		}
		if rl.warnedMode.CompareAndSwap(false, true) {
			log.Warn("lambdagrpc: invoke mode is RESPONSE_STREAM but this event comes from a front door that only takes buffered responses; answering buffered", "source", info.source.String())
		}
	}
	body, err := rl.h.serveBuffered(log, r, info)
	if err != nil {
		log.Error("lambdagrpc: cannot answer the invocation", "error", err)
		errType := "Runtime.ResponseError"
		if errors.Is(err, errTranslationPanic) {
			errType = "Runtime.HandlerPanic" // as the streamed path reports it
		}
		return rl.check(log, rl.client.ReportError(ctx, inv, errType, err.Error()))
	}
	return rl.check(log, rl.client.Respond(ctx, inv, "application/json", body))
}

// stream answers one invocation with a streamed HTTP-integration response.
func (rl *runtimeLoop) stream(ctx context.Context, log *slog.Logger, inv *runtimeapi.Invocation, req *http.Request, info *eventInfo) error {
	pr, pw := io.Pipe()
	w := newStreamWriter(info, pw)
	var failure *runtimeapi.StreamError
	done := make(chan struct{})
	go func() {
		defer close(done)
		if perr := safeServe(log, rl.h, w, req); perr != nil {
			failure = &runtimeapi.StreamError{Type: "Runtime.HandlerPanic", Message: "internal error while translating the call (see the function's log)"}
		}
		if err := w.finish(); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.Close()
	}()
	err := rl.client.RespondStream(ctx, inv, runtimeapi.ContentTypeHTTPIntegration, pr, func() *runtimeapi.StreamError {
		<-done
		return failure
	})
	// If the post failed early, unblock the writer and let the call end.
	pr.CloseWithError(errors.New("the runtime API connection closed"))
	<-done
	return rl.check(log, err)
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

// check logs a failed Runtime API post and decides whether the runtime can
// go on: only a 5xx ends it.
func (rl *runtimeLoop) check(log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	se, ok := runtimeapi.IsStatus(err)
	switch {
	case ok && se.Stale():
		log.Error("lambdagrpc: Lambda discarded the response because the invocation had already timed out", "error", err)
		return nil
	case ok && se.TooLarge():
		log.Error("lambdagrpc: Lambda rejected the response as too large", "error", err)
		return nil
	case ok && se.Fatal():
		return fmt.Errorf("lambdagrpc: %w", err)
	}
	log.Error("lambdagrpc: posting the result failed", "error", err)
	return nil
}
