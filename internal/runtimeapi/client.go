package runtimeapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Invocation is one event delivered by /next.
type Invocation struct {
	RequestID       string
	InvocationID    string // empty when Lambda did not send one
	FunctionARN     string
	TraceID         string
	ClientContext   string // JSON, already base64-decoded by Lambda
	CognitoIdentity string // JSON
	TenantID        string
	Deadline        time.Time
	Payload         []byte
}

// Client talks to the Runtime API at one address. It is safe for
// concurrent use by the workers of a Managed Instances environment.
type Client struct {
	base string
	hc   *http.Client
	ua   string
}

// NewClient returns a client for the Runtime API at addr (host:port), with
// connections for up to concurrency parallel long-polls. It never uses an
// HTTP proxy and sets no timeouts: /next blocks while the environment is
// frozen between invocations.
func NewClient(addr string, concurrency int, userAgent string) *Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{KeepAlive: -1}).DialContext,
		MaxIdleConns:        concurrency + 4,
		MaxIdleConnsPerHost: concurrency + 4,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &Client{base: "http://" + addr, hc: &http.Client{Transport: tr}, ua: userAgent}
}

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// StatusError is a Runtime API answer other than the expected one.
type StatusError struct {
	Op         string // "next", "response", "error", "init error"
	StatusCode int
	ErrorType  string
	Message    string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("runtime API %s: HTTP %d", e.Op, e.StatusCode)
	if e.ErrorType != "" {
		s += " " + e.ErrorType
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Fatal reports whether the environment cannot continue (HTTP 500:
// "Container error. Non-recoverable state."), so the runtime should exit.
func (e *StatusError) Fatal() bool { return e.StatusCode >= 500 }

// Stale reports a 410: Lambda no longer wants this response because the
// invocation timed out; the runtime logs it and polls again.
func (e *StatusError) Stale() bool { return e.StatusCode == http.StatusGone }

// TooLarge reports a 413: the buffered response exceeded
// MaxBufferedResponse.
func (e *StatusError) TooLarge() bool { return e.StatusCode == http.StatusRequestEntityTooLarge }

// Next long-polls for the next invocation.
func (c *Client) Next(ctx context.Context) (*Invocation, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+PathNext, nil)
	if err != nil {
		return nil, fmt.Errorf("runtime API next: %w", err)
	}
	c.setUA(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("runtime API next: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, readStatusError("next", resp)
	}
	payload, err := readBody(resp)
	if err != nil {
		return nil, fmt.Errorf("runtime API next: reading the event: %w", err)
	}
	h := resp.Header
	inv := &Invocation{
		RequestID:       h.Get(HeaderRequestID),
		InvocationID:    h.Get(HeaderInvocationID),
		FunctionARN:     h.Get(HeaderFunctionARN),
		TraceID:         h.Get(HeaderTraceID),
		ClientContext:   h.Get(HeaderClientContext),
		CognitoIdentity: h.Get(HeaderCognitoIdentity),
		TenantID:        h.Get(HeaderTenantID),
		Payload:         payload,
	}
	if inv.RequestID == "" {
		return nil, &StatusError{Op: "next", StatusCode: resp.StatusCode, Message: "the event has no " + HeaderRequestID + " header"}
	}
	if ms, err := strconv.ParseInt(h.Get(HeaderDeadlineMs), 10, 64); err == nil {
		inv.Deadline = time.UnixMilli(ms)
	}
	return inv, nil
}

// readBody reads a body, sized up front when the length is known so an
// event of several megabytes is read with one allocation.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= MaxBufferedResponse+1<<20 {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	return io.ReadAll(resp.Body)
}

// Respond posts a buffered response.
func (c *Client) Respond(ctx context.Context, inv *Invocation, contentType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+PathInvocation+inv.RequestID+SuffixResponse, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("runtime API response: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return c.post("response", inv, req)
}

// StreamError is what a streamed response reports in its trailers when it
// fails after its first byte.
type StreamError struct {
	Type    string
	Message string
}

// RespondStream posts a streamed response: body is sent in HTTP chunks as
// it is read (each Read becomes a chunk), and when body ends, trailer is
// called; a non-nil result is sent as the error trailers.
func (c *Client) RespondStream(ctx context.Context, inv *Invocation, contentType string, body io.Reader, trailer func() *StreamError) error {
	tr := &trailerReader{r: body, trailer: trailer}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+PathInvocation+inv.RequestID+SuffixResponse, tr)
	if err != nil {
		return fmt.Errorf("runtime API response: %w", err)
	}
	req.ContentLength = -1
	// Saying "chunked" up front stops net/http from probing the body for up to
	// 200ms before it sends the request head.
	req.TransferEncoding = []string{"chunked"}
	req.Header.Set(HeaderResponseMode, ResponseModeStreamed)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Trailer = http.Header{HeaderErrorType: nil, HeaderErrorBody: nil}
	tr.req = req
	return c.post("response", inv, req)
}

// trailerReader fills the request's trailers when the body ends, the only
// moment net/http lets a client set them.
type trailerReader struct {
	r       io.Reader
	trailer func() *StreamError
	req     *http.Request
	done    bool
}

func (t *trailerReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err == io.EOF && !t.done {
		t.done = true
		if t.trailer != nil {
			if se := t.trailer(); se != nil {
				b, _ := json.Marshal(ErrorResponse{ErrorMessage: se.Message, ErrorType: se.Type})
				t.req.Trailer.Set(HeaderErrorType, se.Type)
				t.req.Trailer.Set(HeaderErrorBody, base64.StdEncoding.EncodeToString(b))
			}
		}
	}
	return n, err
}

// ReportError posts an invocation error (before any response byte).
func (c *Client) ReportError(ctx context.Context, inv *Invocation, errType, message string) error {
	req, err := c.errorRequest(ctx, c.base+PathInvocation+inv.RequestID+SuffixError, errType, message)
	if err != nil {
		return fmt.Errorf("runtime API error: %w", err)
	}
	return c.post("error", inv, req)
}

// ReportInitError posts an initialisation error; the runtime should exit
// afterwards.
func (c *Client) ReportInitError(ctx context.Context, errType, message string) error {
	req, err := c.errorRequest(ctx, c.base+PathInitError, errType, message)
	if err != nil {
		return fmt.Errorf("runtime API init error: %w", err)
	}
	return c.post("init error", nil, req)
}

func (c *Client) errorRequest(ctx context.Context, url, errType, message string) (*http.Request, error) {
	b, err := json.Marshal(ErrorResponse{ErrorMessage: message, ErrorType: errType})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderErrorType, errType)
	return req, nil
}

func (c *Client) post(op string, inv *Invocation, req *http.Request) error {
	c.setUA(req)
	if inv != nil && inv.InvocationID != "" {
		req.Header.Set(HeaderInvocationID, inv.InvocationID)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("runtime API %s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return readStatusError(op, resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	return nil
}

func (c *Client) setUA(req *http.Request) {
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
}

func readStatusError(op string, resp *http.Response) error {
	se := &StatusError{Op: op, StatusCode: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var er ErrorResponse
	if json.Unmarshal(b, &er) == nil && (er.ErrorType != "" || er.ErrorMessage != "") {
		se.ErrorType, se.Message = er.ErrorType, er.ErrorMessage
	} else {
		se.Message = string(bytes.TrimSpace(b))
	}
	return se
}

// IsStatus reports whether err is a StatusError and returns it.
func IsStatus(err error) (*StatusError, bool) {
	var se *StatusError
	ok := errors.As(err, &se)
	return se, ok
}
