// Package runtimeloop runs the AWS Lambda Runtime API loop: it polls for
// invocations, hands each one's payload to an [Invoker], and posts the
// answer, buffered or streamed. It knows nothing of what a payload means;
// the event sources (package eventsource) do.
package runtimeloop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// Invoker answers invocations, as aws-lambda-go's handlers do, but with a
// choice of how: out answers buffered, streamed or with an error.
type Invoker interface {
	// Invoke answers inv through out, exactly once (the loop answers an
	// invocation left unanswered Runtime.NoAnswer). ctx is the call's
	// context: it ends at inv's deadline less the deadline margin, and is
	// not cancelled when the loop stops.
	Invoke(ctx context.Context, inv *runtimeapi.Invocation, out *Response)
}

// Config says where the Runtime API is and how to run the loop.
type Config struct {
	// Addr is the Runtime API's host:port (AWS_LAMBDA_RUNTIME_API).
	Addr string
	// Concurrency is how many invocations run at once; 0 takes it from
	// the environment (see [Concurrency]).
	Concurrency int
	// DeadlineMargin is how long before Lambda's deadline every call's
	// context ends.
	DeadlineMargin time.Duration
	// Logger receives the loop's and the invocations' logs.
	Logger *slog.Logger
	// LogAttrs are added to the line logged when the loop starts.
	LogAttrs []any
}

// userAgent identifies the runtime to the Runtime API.
var userAgent = "lambdagrpc (" + runtime.Version() + ")"

// ReportInitError tells the Runtime API at addr that the function cannot
// start, so Lambda fails the init (and says why in the function's log)
// instead of sending it invocations.
func ReportInitError(ctx context.Context, addr string, err error) {
	c := runtimeapi.NewClient(addr, 1, userAgent)
	defer c.Close()
	_ = c.ReportInitError(context.WithoutCancel(ctx), "Runtime.ConfigInvalid", err.Error())
}

// Run polls for invocations until ctx ends or the Runtime API says the
// environment cannot continue, with one worker per allowed concurrent
// invocation. Invocations in flight when ctx ends run to completion.
// Unless GOMEMLIMIT is set, it first sets the Go runtime's soft memory
// limit (see [MemoryLimit]).
func Run(ctx context.Context, cfg Config, iv Invoker) error {
	if limit, ok := MemoryLimit(os.Getenv); ok {
		debug.SetMemoryLimit(limit)
	}
	n := cfg.Concurrency
	if n <= 0 {
		n = Concurrency(os.Getenv)
	}
	l := &loop{cfg: &cfg, iv: iv, client: runtimeapi.NewClient(cfg.Addr, n, userAgent)}
	defer l.client.Close()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	// Nothing stands between a cold start and its first /next: the log
	// line is written on the side, and the first worker is this goroutine.
	wg.Go(func() {
		cfg.Logger.Info("lambdagrpc: serving on Lambda", append([]any{"runtimeAPI", cfg.Addr, "concurrency", n}, cfg.LogAttrs...)...)
	})
	work := func() {
		if err := l.worker(ctx); err != nil {
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

// loop is the state the workers share.
type loop struct {
	cfg    *Config
	iv     Invoker
	client *runtimeapi.Client
}

// worker polls for and answers invocations one at a time. It returns only
// a fatal Runtime API error, or nil when ctx ends.
func (l *loop) worker(ctx context.Context) error {
	// One Response per worker, reused: it escapes into the Invoker.
	out := newResponse(l.client)
	for {
		inv, err := l.client.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil //nolint:nilerr // shutting down: the failed poll is expected
			}
			if se, ok := runtimeapi.IsStatus(err); ok && !se.Fatal() {
				// A 4xx here is a bug on one side or the other; back off so a
				// misbehaving Runtime API does not get a tight loop.
				l.cfg.Logger.Error("lambdagrpc: runtime API rejected /next", "error", err)
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			return fmt.Errorf("lambdagrpc: %w", err)
		}
		if err := l.invoke(context.WithoutCancel(ctx), inv, out); err != nil {
			return err
		}
	}
}

// invoke hands one invocation to the Invoker. Only a fatal Runtime API
// answer is returned; everything else is logged.
func (l *loop) invoke(ctx context.Context, inv *runtimeapi.Invocation, out *Response) error {
	out.reset(ctx, inv, l.cfg.Logger.With("requestId", inv.RequestID))
	callCtx := ctx
	if !inv.Deadline.IsZero() {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithDeadline(ctx, inv.Deadline.Add(-l.cfg.DeadlineMargin))
		defer cancel()
	}
	l.iv.Invoke(callCtx, inv, out)
	return out.finish()
}
