package emulator

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// InvokeMode is how the Function URL front door takes the function's
// response, as the InvokeMode of a Lambda Function URL says. Its values are
// Lambda's own names, so a configuration file spells them as the AWS
// console and CLI do.
type InvokeMode string

// Invoke modes of the Function URL front door.
const (
	// Buffered: the function answers with one response document.
	Buffered InvokeMode = "BUFFERED"
	// ResponseStream: the function streams an HTTP-integration response.
	ResponseStream InvokeMode = "RESPONSE_STREAM"
)

// normalize returns the mode m names, matching without regard to case and
// taking "STREAM" for ResponseStream as lambdagrpc does, and "" for
// Buffered. It reports false for a name that is none of them.
func (m InvokeMode) normalize() (InvokeMode, bool) {
	switch InvokeMode(strings.ToUpper(string(m))) {
	case "", Buffered:
		return Buffered, true
	case ResponseStream, "STREAM":
		return ResponseStream, true
	}
	return m, false
}

// Config describes one emulated function and its front door.
type Config struct {
	// Name is the function's name. Default "function".
	Name string
	// Addr is where the Function URL front door listens. Default
	// "127.0.0.1:0" (a free loopback port).
	Addr string
	// RuntimeAPIAddr is where the Runtime API listens. Default "127.0.0.1:0".
	RuntimeAPIAddr string
	// InvokeAddr is where the Lambda Invoke API (Invoke and
	// InvokeWithResponseStream) listens. Default "127.0.0.1:0".
	InvokeAddr string
	// InvokeMode is the Function URL's invoke mode: Buffered (the default)
	// or ResponseStream. Start matches it without regard to case, takes
	// "STREAM" for ResponseStream as lambdagrpc does, and reports any other
	// value.
	InvokeMode InvokeMode
	// FrontDoors adds API Gateway and ALB front doors beside the Function URL.
	FrontDoors []FrontDoor
	// Timeout is the function timeout. Default 3s, Lambda's default.
	Timeout time.Duration
	// InitTimeout bounds how long a new function process may take to poll
	// for its first invocation, and how long an invocation waits for a
	// runtime at all. Default 10s, Lambda's init phase limit.
	InitTimeout time.Duration
	// MemoryMB is reported to the function. Default 128.
	MemoryMB int
	// MaxConcurrency, above 1, emulates Lambda Managed Instances: up to that
	// many invocations are in flight at once and the function is told so
	// through AWS_LAMBDA_MAX_CONCURRENCY. Default 1: one at a time. Further
	// invocations wait in a FIFO queue either way.
	MaxConcurrency int
	// ReservedConcurrency, above 0, caps the invocations a function has in
	// flight or queued; beyond it front doors answer 429 and the Invoke API
	// TooManyRequestsException, as Lambda throttles. Default 0: no cap.
	ReservedConcurrency int
	// CORS, when set, is the Function URL's CORS configuration.
	CORS *CORS
	// AuthType is the Function URL's auth type: "NONE" (the default) or
	// "AWS_IAM", which admits only requests signed with SigV4 (service
	// lambda, Region) by a key in Credentials.
	AuthType string
	// Credentials maps access key ids to secret keys for AWS_IAM. Default:
	// the pair in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, if set.
	Credentials map[string]string
	// Region is the function's region. Default "us-east-1".
	Region string
	// Command runs the function as a process (a built binary and its
	// arguments). Nil, with Package empty, means the runtime is started by
	// the caller against RuntimeAPIAddr, for example in-process.
	Command []string
	// Package is a Go package the emulator builds with `go build` and runs
	// as the function, when Command is nil.
	Package string
	// BuildOutput, when set, receives the progress of Package's build: the
	// packages as go build -v compiles them and the time it takes. Default:
	// nothing; a failed build is an error of Start either way.
	BuildOutput io.Writer
	// Watch, with Package, rebuilds and restarts the function when the
	// package's sources change; invocations that arrive meanwhile wait for
	// the new build.
	Watch bool
	// Env is added to the function process's environment.
	Env []string
	// Output receives the function's log: its process's stdout and stderr
	// and Lambda's START, END and REPORT lines, each prefixed with "[Name] ".
	// Default os.Stderr when the emulator runs the process, else nothing.
	Output io.Writer
	// Logger receives the emulator's own events (cold starts, timeouts,
	// crashes). Default: discarded.
	Logger *slog.Logger
	// SQS are local event-source mappings: queues whose messages the
	// emulator delivers to the function in batches, as Lambda's SQS
	// event-source mapping does.
	SQS []SQSMapping
}

func (c *Config) defaults() error {
	if c.Name == "" {
		c.Name = "function"
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.RuntimeAPIAddr == "" {
		c.RuntimeAPIAddr = "127.0.0.1:0"
	}
	if c.InvokeAddr == "" {
		c.InvokeAddr = "127.0.0.1:0"
	}
	mode, ok := c.InvokeMode.normalize()
	if !ok {
		return fmt.Errorf("emulator: unknown invoke mode %q: use %s or %s", c.InvokeMode, Buffered, ResponseStream)
	}
	c.InvokeMode = mode
	if c.Timeout <= 0 {
		c.Timeout = 3 * time.Second
	}
	if c.InitTimeout <= 0 {
		c.InitTimeout = 10 * time.Second
	}
	if c.MemoryMB <= 0 {
		c.MemoryMB = 128
	}
	if c.MaxConcurrency < 1 {
		c.MaxConcurrency = 1
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch strings.ToUpper(c.AuthType) {
	case "", "NONE":
		c.AuthType = "NONE"
	case "AWS_IAM":
		c.AuthType = "AWS_IAM"
		if c.Credentials == nil {
			c.Credentials = map[string]string{}
			if id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
				c.Credentials[id] = secret
			}
		}
	default:
		return fmt.Errorf("emulator: unknown auth type %q: use NONE or AWS_IAM", c.AuthType)
	}
	c.SQS = slices.Clone(c.SQS)
	for i := range c.SQS {
		if err := c.SQS[i].check(); err != nil {
			return err
		}
	}
	for _, fd := range c.FrontDoors {
		switch fd.Kind {
		case HTTPAPI, HTTPAPIv1, REST, RESTStream, ALB, ALBMultiValue:
		case FunctionURL:
			return fmt.Errorf("emulator: front door kind %q: every function has its Function URL (Config.Addr); FrontDoors adds others", fd.Kind)
		default:
			return fmt.Errorf("emulator: unknown front door kind %q: use %s, %s, %s, %s, %s or %s", fd.Kind, HTTPAPI, HTTPAPIv1, REST, RESTStream, ALB, ALBMultiValue)
		}
	}
	return nil
}

// Emulator is a running emulated function.
type Emulator struct {
	cfg      Config
	rt       *runtimeAPI
	proc     *process
	front    *http.Server
	frontLn  net.Listener
	rtSrv    *http.Server
	rtLn     net.Listener
	invSrv   *http.Server
	invLn    net.Listener
	doors    []*door
	urlID    string
	sqs      *pollers
	closeOne sync.Once
	closeErr error
}

// Start starts the Runtime API and the front door, and prepares the
// function process (started on the first invocation, like Lambda's lazy
// init). It checks the configuration and builds Package before it binds
// any address, so a mistake is reported as such even when an address is
// busy. Close releases everything.
func Start(ctx context.Context, cfg Config) (*Emulator, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	e := &Emulator{cfg: cfg, urlID: randomID(16)}
	if e.cfg.Output == nil && (len(cfg.Command) > 0 || cfg.Package != "") {
		e.cfg.Output = os.Stderr
	}
	e.rt = newRuntimeAPI(&e.cfg)
	if len(cfg.Command) > 0 || cfg.Package != "" {
		var err error
		if e.proc, err = newProcess(ctx, &e.cfg, e.rt); err != nil {
			return nil, err
		}
		e.rt.starter = e.proc
	}
	if err := e.listen(ctx); err != nil {
		if e.proc != nil {
			e.proc.stop()
		}
		return nil, err
	}
	if e.proc != nil {
		e.proc.start(ctx, e.rtLn.Addr().String())
	}
	e.rtSrv = &http.Server{Handler: e.rt, ReadHeaderTimeout: 10 * time.Second, ConnContext: e.rt.connContext}
	e.front = &http.Server{Handler: &frontDoor{e: e, kind: FunctionURL, stream: e.cfg.InvokeMode == ResponseStream, apiID: e.urlID}, ReadHeaderTimeout: 10 * time.Second}
	e.invSrv = &http.Server{Handler: &invokeAPI{find: func(name string) *Emulator {
		if name == e.cfg.Name {
			return e
		}
		return nil
	}}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.rtSrv.Serve(e.rtLn) }()
	go func() { _ = e.front.Serve(e.frontLn) }()
	go func() { _ = e.invSrv.Serve(e.invLn) }()
	for _, d := range e.doors {
		go func() { _ = d.srv.Serve(d.ln) }()
	}
	if err := e.startSQS(ctx); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// listen binds every address of the configuration, or none.
func (e *Emulator) listen(ctx context.Context) error {
	var lc net.ListenConfig
	var err error
	if e.rtLn, err = lc.Listen(ctx, "tcp", e.cfg.RuntimeAPIAddr); err != nil {
		return fmt.Errorf("emulator: Runtime API: %w", err)
	}
	if e.frontLn, err = lc.Listen(ctx, "tcp", e.cfg.Addr); err != nil {
		_ = e.rtLn.Close()
		return fmt.Errorf("emulator: front door: %w", err)
	}
	if e.invLn, err = lc.Listen(ctx, "tcp", e.cfg.InvokeAddr); err != nil {
		_ = e.rtLn.Close()
		_ = e.frontLn.Close()
		return fmt.Errorf("emulator: Invoke API: %w", err)
	}
	for _, fd := range e.cfg.FrontDoors {
		if err := e.startDoor(ctx, fd); err != nil {
			e.closeListeners()
			return err
		}
	}
	return nil
}

// door is a running extra front door.
type door struct {
	kind FrontDoorKind
	ln   net.Listener
	srv  *http.Server
	h    *frontDoor
}

func (e *Emulator) startDoor(ctx context.Context, fd FrontDoor) error {
	addr := fd.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator: %s front door: %w", fd.Kind, err)
	}
	stage := cmp.Or(fd.Stage, defaultStage(fd.Kind))
	if err := checkStage(fd.Kind, stage); err != nil {
		_ = ln.Close()
		return err
	}
	h := &frontDoor{e: e, kind: fd.Kind, stream: fd.Kind == RESTStream, multi: fd.Kind == ALBMultiValue, apiID: randomID(10), stage: stage}
	d := &door{kind: fd.Kind, ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, h: h}
	e.doors = append(e.doors, d)
	return nil
}

func (e *Emulator) closeListeners() {
	_ = e.rtLn.Close()
	_ = e.frontLn.Close()
	_ = e.invLn.Close()
	for _, d := range e.doors {
		_ = d.ln.Close()
	}
}

// FrontDoorURL is the base URL of the first front door of the given kind
// (FunctionURL, or one configured in Config.FrontDoors), or "" if there is
// none. An API Gateway door with a named stage (every REST door) has the
// stage in its URL, as an execute-api URL does: "http://127.0.0.1:PORT/prod".
func (e *Emulator) FrontDoorURL(kind FrontDoorKind) string {
	if kind == FunctionURL {
		return e.URL()
	}
	for _, d := range e.doors {
		if d.kind == kind {
			if d.h.namedStage() {
				return "http://" + d.ln.Addr().String() + "/" + d.h.stage
			}
			return "http://" + d.ln.Addr().String()
		}
	}
	return ""
}

// URL is the base URL of the Function URL front door.
func (e *Emulator) URL() string { return "http://" + e.frontLn.Addr().String() }

// InvokeEndpoint is the base URL of the Lambda Invoke API, for the AWS
// SDK's BaseEndpoint.
func (e *Emulator) InvokeEndpoint() string { return "http://" + e.invLn.Addr().String() }

// RuntimeAPIAddr is the host:port of the Runtime API, the value of
// AWS_LAMBDA_RUNTIME_API for a runtime.
func (e *Emulator) RuntimeAPIAddr() string { return e.rtLn.Addr().String() }

// Config returns the emulator's configuration with defaults filled in.
func (e *Emulator) Config() Config { return e.cfg }

// Close stops the front doors, stops the function process, fails
// invocations still waiting and stops the Runtime API.
//
// The process is stopped while the Runtime API still answers, so that a
// runtime sees SIGTERM (and ends its poll for the next invocation) rather
// than the 500 ContainerError of a Runtime API that went away: a runtime
// that handles SIGTERM, as lambdagrpc.Serve does, exits 0.
func (e *Emulator) Close() error {
	e.closeOne.Do(func() {
		e.stopSQS()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		errs := []error{}
		// Calls in flight get up to two seconds to finish.
		if err := e.front.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, err)
		}
		_ = e.front.Close()
		_ = e.invSrv.Close()
		for _, d := range e.doors {
			_ = d.srv.Close()
		}
		if e.proc != nil {
			e.proc.stop()
		}
		e.rt.close()
		_ = e.rtSrv.Close()
		// A server closed before its Serve goroutine ran has not taken
		// its listener yet: every address is released here, before Close
		// returns.
		e.closeListeners()
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}

func randomID(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
