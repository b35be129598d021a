package lambdagrpc

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/frontend"
)

// Option configures [Serve] and [NewHandler]. Options that only make sense
// for one of them say so and are ignored by the other.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// InvokeMode says how a Lambda front door expects the function's response.
// It cannot be seen from inside the function, so it is configuration and
// must match the Function URL's InvokeMode (or the REST API integration's
// responseTransferMode).
type InvokeMode string

const (
	// Buffered returns each response as one JSON document. It works with
	// every event source; responses are limited to 6,291,556 bytes.
	Buffered InvokeMode = "BUFFERED"
	// ResponseStream streams each response (Function URL RESPONSE_STREAM,
	// API Gateway REST STREAM, InvokeWithResponseStream): server-streaming
	// messages reach the caller as they are sent, up to 200 MB.
	ResponseStream InvokeMode = "RESPONSE_STREAM"
)

// EnvInvokeMode names the environment variable that sets the invoke mode
// when WithInvokeMode is not given: BUFFERED (the default) or
// RESPONSE_STREAM.
const EnvInvokeMode = "LAMBDAGRPC_INVOKE_MODE"

// WithInvokeMode sets the Lambda invoke mode. The default is the value of
// $LAMBDAGRPC_INVOKE_MODE (BUFFERED, RESPONSE_STREAM or STREAM, in any
// case), else [Buffered]. Only [Serve] on Lambda uses it, but a mode other
// than [Buffered] or [ResponseStream], here or in the environment, is a
// configuration error wherever the option is given (see [NewHandler]), so
// a typo is found before the function is deployed.
func WithInvokeMode(m InvokeMode) Option {
	return optionFunc(func(c *config) { c.invokeMode = m })
}

// WithLogger sets the logger for invocation errors, recovered panics and
// lifecycle events. The default is a JSON logger on stderr when
// AWS_LAMBDA_LOG_FORMAT is JSON, else a text logger on stderr.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithDeadlineMargin sets how long before the Lambda deadline a call's
// context expires, so that a call still running then ends with
// DEADLINE_EXCEEDED in its trailers before Lambda stops the function.
// The default is 250ms; 0 gives calls all of Lambda's time. A negative
// margin is a configuration error (see [NewHandler]).
func WithDeadlineMargin(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d < 0 {
			c.errs = append(c.errs, fmt.Errorf("WithDeadlineMargin(%v): the margin must not be negative; use 0 to give calls all of Lambda's time", d))
			return
		}
		c.deadlineMargin = d
	})
}

// WithAddr sets the TCP address [Serve] listens on outside Lambda. The
// default is ":$PORT" when $PORT is set, else ":8080".
func WithAddr(addr string) Option {
	return optionFunc(func(c *config) { c.addr = addr })
}

// WithTLSConfig makes [Serve] outside Lambda serve TLS (with HTTP/2 by ALPN)
// instead of cleartext HTTP/1.1 and h2c. The default is cleartext.
func WithTLSConfig(cfg *tls.Config) Option {
	return optionFunc(func(c *config) { c.tlsConfig = cfg })
}

// WithShutdownTimeout bounds how long [Serve] waits for in-flight calls
// after SIGTERM, SIGINT or the end of its context. The default is 10s
// outside Lambda and, on Lambda, until the in-flight invocations' deadlines.
func WithShutdownTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.shutdownTimeout = d })
}

// WithRuntimeAPI makes [Serve] run the Lambda Runtime API loop against addr
// (host:port) whatever the environment says. The default is
// $AWS_LAMBDA_RUNTIME_API; when that is empty, Serve listens on TCP. Tests
// use it to run a function in-process against the emulator.
func WithRuntimeAPI(addr string) Option {
	return optionFunc(func(c *config) { c.runtimeAPI = addr })
}

// WithMaxConcurrency sets how many invocations run at once on Lambda
// Managed Instances. The default is $AWS_LAMBDA_MAX_CONCURRENCY, else 1.
func WithMaxConcurrency(n int) Option {
	return optionFunc(func(c *config) { c.maxConcurrency = n })
}

// WithCORS lets browsers on other origins call the handler. The default is
// no CORS headers at all, so only same-origin pages can call it.
func WithCORS(cors CORS) Option {
	return optionFunc(func(c *config) { c.cors = newCORSPolicy(cors) })
}

// WithPathPrefix serves gRPC-Web and Connect calls under prefix, a path
// such as "/api" or "/api/v1": a call to "/api/pkg.Service/Method" reaches
// pkg.Service/Method, and one without the prefix is answered UNIMPLEMENTED
// (HTTP 404 over Connect unary). Use it where a load balancer's rule puts
// the service below a path, or behind a custom domain whose API mapping
// the event's path holds (REST APIs and HTTP API payload 1.0; payload 2.0
// leaves it out): the prefix then applies to the execute-api domain too,
// whose paths lack it. An API Gateway stage needs no prefix: it is taken
// from each event. Native gRPC clients
// cannot send a prefix, so native calls in TCP mode ignore it. The default
// is no prefix: calls go to "/pkg.Service/Method" exactly.
//
// The prefix is matched as written, segment by segment: it must start with
// "/" and hold no empty, "." or ".." segment and nothing that a URL path
// would percent-encode. Otherwise the handler reports a configuration
// error (see [NewHandler]).
func WithPathPrefix(prefix string) Option {
	return optionFunc(func(c *config) {
		p, err := cleanPrefix(prefix)
		if err != nil {
			c.errs = append(c.errs, fmt.Errorf("WithPathPrefix(%q): %w", prefix, err))
			return
		}
		c.pathPrefix = p
	})
}

// cleanPrefix checks a path prefix and drops its trailing slash.
func cleanPrefix(p string) (string, error) {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return "", nil
	}
	if p[0] != '/' {
		return "", errors.New(`the prefix must start with "/"`)
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		switch {
		case seg == "":
			return "", errors.New("the prefix has an empty segment (//)")
		case seg == "." || seg == "..":
			return "", fmt.Errorf("the prefix has a %q segment; write the path it stands for", seg)
		case url.PathEscape(seg) != seg:
			return "", fmt.Errorf("segment %q must be written without characters a URL path escapes", seg)
		}
	}
	return p, nil
}

// WithServeHTTP sends every call through (*grpc.Server).ServeHTTP, grpc-go's
// own HTTP handler, instead of calling the server's registered handlers
// directly. The direct path is the default wherever this version of
// lambdagrpc was tested with the server's grpc-go; it runs the same
// interceptors, stats handlers, codec and limits at about a third of the
// cost of a small call. Use this option to rule the direct path out when
// you suspect it, or to run a grpc-go feature the direct path does not
// carry (it falls back by itself for those it knows: binary logging,
// golang.org/x/net/trace, grpc-go's own stats handlers, and the deprecated
// RPCCompressor and RPCDecompressor).
func WithServeHTTP() Option {
	return optionFunc(func(c *config) { c.viaServeHTTP = true })
}

type config struct {
	logger          *slog.Logger
	invokeMode      InvokeMode
	deadlineMargin  time.Duration
	addr            string
	tlsConfig       *tls.Config
	shutdownTimeout time.Duration
	runtimeAPI      string
	maxConcurrency  int
	cors            *corsPolicy
	pathPrefix      string              // "" or "/seg[/seg...]", checked
	viaServeHTTP    bool                // every call through grpc.Server.ServeHTTP
	frontends       []frontend.Frontend // protocols from other packages (REST)

	// errs are the configuration errors, each naming its option; err()
	// reports them.
	errs []error
}

// err reports the configuration errors in one error, or nil.
func (c *config) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return fmt.Errorf("lambdagrpc: invalid configuration: %w", errors.Join(c.errs...))
}

func newConfig(opts []Option) *config {
	c := &config{deadlineMargin: 250 * time.Millisecond}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if c.logger == nil {
		c.logger = defaultLogger()
	}
	switch c.invokeMode {
	case Buffered, ResponseStream:
	case "":
		env := os.Getenv(EnvInvokeMode)
		switch m := InvokeMode(strings.ToUpper(strings.TrimSpace(env))); m {
		case "":
			c.invokeMode = Buffered
		case "STREAM":
			c.invokeMode = ResponseStream
		case Buffered, ResponseStream:
			c.invokeMode = m
		default:
			c.errs = append(c.errs, fmt.Errorf("%s=%q: set it to BUFFERED or RESPONSE_STREAM, the Function URL's InvokeMode", EnvInvokeMode, env))
			c.invokeMode = Buffered
		}
	default:
		c.errs = append(c.errs, fmt.Errorf("WithInvokeMode(%q): use lambdagrpc.Buffered or lambdagrpc.ResponseStream", string(c.invokeMode)))
		c.invokeMode = Buffered
	}
	return c
}

func defaultLogger() *slog.Logger {
	if strings.EqualFold(os.Getenv("AWS_LAMBDA_LOG_FORMAT"), "JSON") {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}
