package emulator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// outcome is how an invocation ended, as the front door needs to know.
type outcome struct {
	body        []byte // a buffered response
	contentType string
	errType     string // a function, runtime or sandbox error
	errBody     []byte // its JSON
	tooLarge    bool   // the buffered response exceeded the limit
	streamed    bool   // the response went to the caller as a stream
}

func errorOutcome(errType, msg string) *outcome {
	b, _ := json.Marshal(runtimeapi.ErrorResponse{ErrorType: errType, ErrorMessage: msg})
	return &outcome{errType: errType, errBody: b}
}

// stream is a streamed response on its way from the runtime to the caller.
type stream struct {
	contentType string
	body        io.Reader
	// finish is called by the front door once it has read body to the end
	// (or given up); it returns the trailers the runtime sent.
	finish func(abandoned bool) http.Header
}

// invocation is one event from the front door to the function and back.
type invocation struct {
	id           string
	invocationID string
	payload      []byte
	traceID      string
	deadline     time.Time
	opts         invokeOptions
	delivery     time.Time
	logStart     int64
	usage        usage // for the REPORT line

	streams chan *stream  // stream mode: the response body, once it starts
	done    chan struct{} // closed when result is set
	result  *outcome

	// Guarded by runtimeAPI.mu.
	delivered bool
	responded bool
	timedOut  bool
	finished  bool
	timer     *time.Timer
}

// starter starts the function process when an invocation needs it.
type starter interface {
	ensure() error
	delivered()
	timedOut()
}

// runtimeAPI serves the Runtime API and tracks invocations.
type runtimeAPI struct {
	cfg     *Config
	starter starter
	logs    *logRing
	faults  faults
	queue   chan *invocation
	slots   chan struct{}
	closed  chan struct{}

	mu     sync.Mutex
	invs   map[string]*invocation
	active int // invocations queued or in flight
	lifecycle
	// hold is non-nil while one process is replaced by the next (a rebuild,
	// a kill, an exit): /next hands out no invocation until it is closed,
	// and one a poll had already taken waits in held, first in line.
	hold chan struct{}
	held []*invocation
	// initReported is the start time of the process whose init a REPORT
	// line has reported.
	initReported time.Time
}

// holdDeliveries stops handing invocations to the runtime until
// releaseDeliveries.
func (rt *runtimeAPI) holdDeliveries() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.hold == nil {
		rt.hold = make(chan struct{})
	}
}

// releaseDeliveries lets /next hand out invocations again, the held ones
// first.
func (rt *runtimeAPI) releaseDeliveries() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.hold != nil {
		close(rt.hold)
		rt.hold = nil
	}
}

// inFlight counts the invocations delivered and not yet finished.
func (rt *runtimeAPI) inFlight() int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	n := 0
	for _, inv := range rt.invs {
		if inv.delivered && !inv.finished {
			n++
		}
	}
	return n
}

// waiting counts the invocations that wait for a runtime.
func (rt *runtimeAPI) waiting() int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.pending
}

// errThrottled reports an invocation refused by ReservedConcurrency.
var errThrottled = errors.New("the function's reserved concurrency is exhausted")

func newRuntimeAPI(cfg *Config) *runtimeAPI {
	rt := &runtimeAPI{
		cfg:    cfg,
		logs:   newLogRing(cfg),
		queue:  make(chan *invocation, 4096),
		slots:  make(chan struct{}, cfg.MaxConcurrency),
		closed: make(chan struct{}),
		invs:   make(map[string]*invocation),
	}
	rt.changed = make(chan struct{})
	for range cfg.MaxConcurrency {
		rt.slots <- struct{}{}
	}
	return rt
}

func (rt *runtimeAPI) close() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	select {
	case <-rt.closed:
		return
	default:
	}
	close(rt.closed)
	for _, inv := range rt.invs {
		rt.finishLocked(inv, errorOutcome("Runtime.Unavailable", "the emulator is shutting down"))
	}
}

// invokeOptions are what an invoker can say about one invocation.
type invokeOptions struct {
	// stream: the response is read as a stream and handed over as it
	// arrives (Function URL RESPONSE_STREAM, REST STREAM,
	// InvokeWithResponseStream); otherwise it is collected, up to the
	// buffered limit.
	stream        bool
	clientContext string // JSON
	tenantID      string
}

// invoke queues an event. The returned invocation's done channel closes
// when it ends; a streamed invocation's streams channel delivers the
// response body first.
func (rt *runtimeAPI) invoke(payload []byte, traceID string, opts invokeOptions) (*invocation, error) {
	inv := &invocation{
		id:           uuid(),
		invocationID: uuid(),
		payload:      payload,
		traceID:      traceID,
		opts:         opts,
		streams:      make(chan *stream, 1),
		done:         make(chan struct{}),
	}
	rt.mu.Lock()
	if n := rt.cfg.ReservedConcurrency; n > 0 && rt.active >= n {
		rt.mu.Unlock()
		return nil, errThrottled
	}
	rt.active++
	rt.pending++
	rt.invs[inv.id] = inv
	if o := rt.initErr; o != nil && rt.starter == nil {
		// No process to reset: the runtime that failed its init is the
		// only one there is.
		rt.finishLocked(inv, o)
		rt.mu.Unlock()
		return inv, nil
	}
	// Waiting for a runtime is bounded too: a function that never polls must
	// not hang its callers.
	inv.timer = time.AfterFunc(rt.cfg.InitTimeout+rt.cfg.Timeout, func() { rt.undelivered(inv) })
	rt.mu.Unlock()
	select {
	case rt.queue <- inv:
	default:
		rt.finish(inv, errorOutcome("TooManyRequestsException", "the emulator's invocation queue is full"))
		return inv, nil
	}
	if rt.starter != nil {
		if err := rt.starter.ensure(); err != nil {
			rt.finish(inv, errorOutcome("Runtime.ExitError", err.Error()))
		}
	}
	return inv, nil
}

func (rt *runtimeAPI) undelivered(inv *invocation) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if !inv.delivered {
		rt.finishLocked(inv, errorOutcome("Runtime.Unavailable", "no runtime polled for the invocation in time"))
	}
}

func (rt *runtimeAPI) finish(inv *invocation, o *outcome) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.finishLocked(inv, o)
}

// finishLocked ends an invocation once; it frees its concurrency slot if it
// held one. Finished invocations stay known, so late posts get the right
// status code.
func (rt *runtimeAPI) finishLocked(inv *invocation, o *outcome) {
	if inv.finished {
		return
	}
	inv.finished = true
	rt.active--
	if !inv.delivered {
		rt.pending--
	}
	if inv.timer != nil {
		inv.timer.Stop()
	}
	inv.result = o
	// END and REPORT are logged before the caller learns the outcome, so
	// that its log tail has them, as Lambda's has.
	if inv.delivered {
		d := time.Since(inv.delivery)
		rt.logs.printf("END RequestId: %s", inv.id)
		rt.logs.printf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB%s",
			inv.id, float64(d)/float64(time.Millisecond), (d+time.Millisecond-1)/time.Millisecond, rt.cfg.MemoryMB, reportDetails(inv))
	}
	close(inv.done)
	if inv.delivered {
		rt.slots <- struct{}{}
	}
	rt.retireLocked(inv)
}

func (rt *runtimeAPI) timeout(inv *invocation) {
	rt.mu.Lock()
	if inv.finished {
		rt.mu.Unlock()
		return
	}
	inv.timedOut = true
	secs := strconv.FormatFloat(rt.cfg.Timeout.Seconds(), 'f', 2, 64)
	rt.logs.printf("%s %s Task timed out after %s seconds", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, secs)
	if rt.starter != nil && rt.cfg.MaxConcurrency <= 1 && rt.hold == nil {
		// The process is killed below: hold deliveries before the caller
		// learns of the timeout, or its next call could reach a poll the
		// process left open and die with it. The next process's start
		// releases them.
		rt.hold = make(chan struct{})
	}
	rt.finishLocked(inv, errorOutcome("Sandbox.Timedout", "Task timed out after "+secs+" seconds"))
	rt.mu.Unlock()
	rt.cfg.Logger.Warn("emulator: invocation timed out", "function", rt.cfg.Name, "requestId", inv.id, "timeout", rt.cfg.Timeout)
	if rt.starter != nil {
		rt.starter.timedOut()
	}
}

// failDelivered ends every invocation in flight, when the process died.
func (rt *runtimeAPI) failDelivered(errType, msg string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, inv := range rt.invs {
		if inv.delivered && !inv.finished {
			rt.finishLocked(inv, errorOutcome(errType, fmt.Sprintf("RequestId: %s Error: %s", inv.id, msg)))
		}
	}
}

// failQueued ends every invocation still waiting, after an init error.
func (rt *runtimeAPI) failQueued(o *outcome) {
	rt.failWaiting(func(*invocation) *outcome { return o })
}

func (rt *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if f, ok := rt.faults.take(endpointOf(p)); ok && f.apply(w, r) {
		return
	}
	switch {
	case p == runtimeapi.PathNext && r.Method == http.MethodGet:
		rt.next(w, r)
	case p == runtimeapi.PathInitError && r.Method == http.MethodPost:
		rt.initError(w, r)
	case strings.HasPrefix(p, runtimeapi.PathInvocation) && r.Method == http.MethodPost:
		rest := strings.TrimPrefix(p, runtimeapi.PathInvocation)
		switch {
		case strings.HasSuffix(rest, runtimeapi.SuffixResponse):
			rt.response(w, r, strings.TrimSuffix(rest, runtimeapi.SuffixResponse))
		case strings.HasSuffix(rest, runtimeapi.SuffixError):
			rt.functionError(w, r, strings.TrimSuffix(rest, runtimeapi.SuffixError))
		default:
			writeError(w, http.StatusNotFound, "InvalidRequest", "unknown Runtime API path")
		}
	default:
		writeError(w, http.StatusNotFound, "InvalidRequest", "unknown Runtime API path "+p)
	}
}

func writeError(w http.ResponseWriter, code int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(runtimeapi.ErrorResponse{ErrorType: errType, ErrorMessage: msg})
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func (rt *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	// take answers the runtime itself when it may have no invocation; it
	// returns one with rt.mu held.
	inv := rt.take(w, r)
	if inv != nil {
		inv.delivery = time.Now()
		inv.logStart = rt.logs.offset()
		rt.logs.printf("START RequestId: %s Version: $LATEST", inv.id)
		inv.deadline = time.Now().Add(rt.cfg.Timeout)
		inv.timer.Stop()
		inv.timer = time.AfterFunc(rt.cfg.Timeout, func() { rt.timeout(inv) })
		rt.mu.Unlock()
		if rt.starter != nil {
			rt.noteDelivery(inv)
			rt.starter.delivered()
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set(runtimeapi.HeaderRequestID, inv.id)
		h.Set(runtimeapi.HeaderDeadlineMs, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set(runtimeapi.HeaderFunctionARN, fmt.Sprintf("arn:aws:lambda:%s:123456789012:function:%s", rt.cfg.Region, rt.cfg.Name))
		h.Set(runtimeapi.HeaderTraceID, inv.traceID)
		h.Set(runtimeapi.HeaderInvocationID, inv.invocationID)
		if inv.opts.clientContext != "" {
			h.Set(runtimeapi.HeaderClientContext, inv.opts.clientContext)
		}
		if inv.opts.tenantID != "" {
			h.Set(runtimeapi.HeaderTenantID, inv.opts.tenantID)
		}
		h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
		return
	}
}

// lookup finds the invocation a post is about and checks that the post is
// allowed, answering the runtime itself when it is not.
func (rt *runtimeAPI) lookup(w http.ResponseWriter, r *http.Request, id string) *invocation {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	inv, ok := rt.invs[id]
	if !ok || id == "" || !inv.delivered {
		writeError(w, http.StatusBadRequest, runtimeapi.ErrorTypeInvalidRequestID, "Invalid request ID")
		return nil
	}
	echoed := r.Header.Get(runtimeapi.HeaderInvocationID)
	if inv.timedOut {
		if echoed != "" {
			writeError(w, http.StatusGone, runtimeapi.ErrorTypeInvokeTimeout, "Invoke timeout: the response is no longer wanted")
		} else {
			writeError(w, http.StatusForbidden, runtimeapi.ErrorTypeInvalidStateTransition, "State transition from Timedout to Responded failed")
		}
		return nil
	}
	if echoed != "" && echoed != inv.invocationID {
		writeError(w, http.StatusGone, runtimeapi.ErrorTypeInvokeTimeout, "the invocation id does not match the invocation")
		return nil
	}
	if inv.responded || inv.finished {
		writeError(w, http.StatusForbidden, runtimeapi.ErrorTypeInvalidStateTransition, "State transition from Responded to Responded failed")
		return nil
	}
	inv.responded = true
	return inv
}

func (rt *runtimeAPI) response(w http.ResponseWriter, r *http.Request, id string) {
	if m := r.Header.Get(runtimeapi.HeaderResponseMode); m != "" && m != runtimeapi.ResponseModeStreamed {
		writeError(w, http.StatusBadRequest, runtimeapi.ErrorTypeInvalidResponseMode, fmt.Sprintf("invalid %s %q", runtimeapi.HeaderResponseMode, m))
		return
	}
	inv := rt.lookup(w, r, id)
	if inv == nil {
		return
	}
	ct := r.Header.Get("Content-Type")
	if inv.opts.stream {
		rt.streamResponse(w, r, inv, ct)
		return
	}
	// Buffered: Lambda keys off the invoke mode, not the request's framing,
	// so a chunked body is collected too.
	body, err := io.ReadAll(io.LimitReader(r.Body, runtimeapi.MaxBufferedResponse+1))
	if err != nil {
		rt.finish(inv, errorOutcome("Runtime.TruncatedResponse", "the response body ended early: "+err.Error()))
		writeError(w, http.StatusBadRequest, runtimeapi.ErrorTypeTruncatedRequest, err.Error())
		return
	}
	if len(body) > runtimeapi.MaxBufferedResponse {
		_, _ = io.Copy(io.Discard, r.Body)
		o := errorOutcome(runtimeapi.ErrorTypeResponseSizeTooLarge, fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", runtimeapi.MaxBufferedResponse))
		o.tooLarge = true
		rt.finish(inv, o)
		writeError(w, http.StatusRequestEntityTooLarge, runtimeapi.ErrorTypeRequestTooLarge,
			fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", runtimeapi.MaxBufferedResponse))
		return
	}
	if o := trailerError(r.Trailer); o != nil {
		rt.finish(inv, o)
	} else {
		rt.finish(inv, &outcome{body: body, contentType: ct})
	}
	accepted(w)
}

// streamResponse hands the body to the caller as it arrives and answers the
// runtime when the caller's side is done with it.
func (rt *runtimeAPI) streamResponse(w http.ResponseWriter, r *http.Request, inv *invocation, ct string) {
	finished := make(chan http.Header, 1)
	counter := &limitReader{r: r.Body, max: runtimeapi.MaxStreamedResponse}
	s := &stream{contentType: ct, body: counter, finish: func(abandoned bool) http.Header {
		if abandoned {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		finished <- r.Trailer
		return r.Trailer
	}}
	inv.streams <- s
	var trailer http.Header
	select {
	case trailer = <-finished:
	case <-inv.done:
		// The invocation timed out: closing the body stops the front door's
		// copy, which then cuts the caller's response off, as Lambda does.
		r.Body.Close()
		trailer = <-finished
	}
	rt.mu.Lock()
	timedOut := inv.timedOut
	rt.mu.Unlock()
	if timedOut {
		if r.Header.Get(runtimeapi.HeaderInvocationID) != "" {
			writeError(w, http.StatusGone, runtimeapi.ErrorTypeInvokeTimeout, "Invoke timeout: the response is no longer wanted")
		} else {
			writeError(w, http.StatusForbidden, runtimeapi.ErrorTypeInvalidStateTransition, "State transition from Timedout to Responded failed")
		}
		return
	}
	switch {
	case counter.exceeded:
		o := errorOutcome(runtimeapi.ErrorTypeResponseSizeTooLarge, "the streamed response exceeded 200 MB")
		o.tooLarge, o.streamed = true, true
		rt.finish(inv, o)
		writeError(w, http.StatusRequestEntityTooLarge, runtimeapi.ErrorTypeRequestTooLarge, "Exceeded maximum allowed stream size.")
		return
	case trailerError(trailer) != nil:
		o := trailerError(trailer)
		o.streamed = true
		rt.finish(inv, o)
	default:
		rt.finish(inv, &outcome{streamed: true, contentType: ct})
	}
	accepted(w)
}

// trailerError decodes a streamed response's error trailers.
func trailerError(t http.Header) *outcome {
	typ := t.Get(runtimeapi.HeaderErrorType)
	if typ == "" && t.Get(runtimeapi.HeaderErrorBody) == "" {
		return nil
	}
	if typ == "" {
		typ = "Runtime.Unknown" // as /error without its header
	}
	body, err := base64.StdEncoding.DecodeString(t.Get(runtimeapi.HeaderErrorBody))
	if err != nil {
		body, _ = json.Marshal(runtimeapi.ErrorResponse{ErrorType: typ, ErrorMessage: "(the error body trailer was not valid base64)"})
	}
	return &outcome{errType: typ, errBody: body}
}

type limitReader struct {
	r        io.Reader
	n, max   int64
	exceeded bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.exceeded {
		return 0, errors.New("stream size limit exceeded")
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		l.exceeded = true
		return 0, errors.New("stream size limit exceeded")
	}
	return n, err
}

func (rt *runtimeAPI) functionError(w http.ResponseWriter, r *http.Request, id string) {
	inv := rt.lookup(w, r, id)
	if inv == nil {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	// The type is the header's, any string (the Runtime API reference);
	// without it the type is unknown, whatever the body says.
	typ := r.Header.Get(runtimeapi.HeaderErrorType)
	if typ == "" {
		typ = "Runtime.Unknown"
	}
	if !json.Valid(body) {
		body, _ = json.Marshal(runtimeapi.ErrorResponse{ErrorType: typ, ErrorMessage: string(body)})
	}
	rt.finish(inv, &outcome{errType: typ, errBody: body})
	accepted(w)
}

func (rt *runtimeAPI) initError(w http.ResponseWriter, r *http.Request) {
	if rt.refuseInitError(w, r) {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	typ := r.Header.Get(runtimeapi.HeaderErrorType)
	if typ == "" {
		typ = "Runtime.Unknown"
	}
	if !json.Valid(body) {
		body, _ = json.Marshal(runtimeapi.ErrorResponse{ErrorType: typ, ErrorMessage: string(body)})
	}
	rt.cfg.Logger.Error("emulator: the function failed to initialise", "function", rt.cfg.Name, "errorType", typ, "error", string(body))
	o := &outcome{errType: typ, errBody: body}
	if !rt.initFailed(r, o) {
		writeError(w, http.StatusForbidden, runtimeapi.ErrorTypeInvalidStateTransition, "State transition from InitError to InitError failed for runtime")
		return
	}
	rt.failQueued(o)
	accepted(w)
}

// waitCtx waits for an invocation's end or the caller's departure.
func waitCtx(ctx context.Context, inv *invocation) bool {
	select {
	case <-inv.done:
		return true
	case <-ctx.Done():
		return false
	}
}
