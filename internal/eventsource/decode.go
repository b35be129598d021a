package eventsource

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
)

// ErrBadEvent wraps every reason an event cannot become an HTTP request.
var ErrBadEvent = errors.New("invalid HTTP event")

// Decode turns a Lambda event into an HTTP request, by the shape that the
// event matches. A body that is not valid base64 still yields a request,
// whose Body reports the error, so the caller gets an answer in its own
// protocol. The request comes back by value, without a context: the
// caller's WithContext makes the one copy that lives on.
func Decode(payload []byte) (http.Request, Event, error) {
	var ev events.Request
	if err := ev.Decode(payload); err != nil {
		return http.Request{}, Event{}, fmt.Errorf("%w: %w", ErrBadEvent, err)
	}
	if ev.ContextError != nil {
		return http.Request{}, Event{}, fmt.Errorf("%w: requestContext: %w", ErrBadEvent, ev.ContextError)
	}
	s := shapeFor(ev.Source(&ev.Context))
	if s == nil {
		return http.Request{}, Event{}, fmt.Errorf("%w: %w", ErrBadEvent, errNoSource)
	}
	t := s.decode(ev, make(http.Header, len(ev.Headers)+len(ev.MultiValueHeaders)+1))
	if t.method == "" {
		return http.Request{}, Event{}, fmt.Errorf("%w: no HTTP method", ErrBadEvent)
	}
	if t.path == "" {
		t.path = "/"
	}
	u := eventURL(t.path, t.query)
	var body io.ReadCloser = http.NoBody
	var n int64
	switch {
	case ev.BodyError != nil:
		body = httpx.NewErrorBody(fmt.Errorf("the event's body is not valid base64: %w", ev.BodyError))
	case len(ev.BodyBytes) > 0:
		body, n = httpx.NewMemoryBody(ev.BodyBytes), int64(len(ev.BodyBytes))
	}
	host := t.header.Get("Host")
	if host == "" {
		host = ev.Context.DomainName
	}
	remote := t.remote
	if remote != "" {
		remote = net.JoinHostPort(remote, "0")
	}
	req := http.Request{
		Method:        t.method,
		URL:           u,
		RequestURI:    u.RequestURI(),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        t.header,
		Body:          body,
		ContentLength: n,
		Host:          host,
		RemoteAddr:    remote,
	}
	return req, Event{shape: t.answer, canStream: t.canStream, RequestContext: ev.RequestContext}, nil
}

// eventURL builds a request's URL from the event's path and query, which
// are separate fields: the path is never parsed as a request target, so no
// "?" or "#" in it can start a query or a fragment. HTTP APIs deliver the
// path decoded (an escaped "?" arrives as "?"); Function URLs, REST APIs
// and ALBs deliver it as sent. A path that holds a byte no encoded path
// can hold ("?", "#", a space, a control or non-ASCII byte) goes in Path
// as it is, where the router refuses it; one with escapes keeps them in
// RawPath, which the router reads.
func eventURL(path, query string) *url.URL {
	u := &url.URL{Path: path, RawQuery: query}
	if !strings.Contains(path, "%") {
		return u
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c == '?' || c == '#' || c <= ' ' || c >= 0x7f {
			return u
		}
	}
	if p, err := url.PathUnescape(path); err == nil {
		u.Path, u.RawPath = p, path
	}
	return u
}

// stripStage removes the API Gateway stage from the front of path when the
// event shows that the path holds it, and only then: calls are routed by
// the path that remains, so a guess here would let a client choose which
// segments are skipped. The shapes whose paths can hold a stage call it:
// an HTTP API's default domain puts a named stage first in the path
// (payload 2.0 rawPath, payload 1.0 path); a REST API's path never holds
// it (requestContext.path does); a custom domain leaves the stage out (but
// REST and payload 1.0 paths hold its API mapping, which only
// WithPathPrefix removes); $default is never in the path.
func stripStage(path string, rc *events.RequestContext) string {
	stage := rc.Stage
	if stage == "" || stage == "$default" {
		return path
	}
	// The default domain is "{apiId}.execute-api.{region}.amazonaws.com".
	d := rc.DomainName
	if rc.APIID == "" || !strings.HasPrefix(d, rc.APIID) || !strings.HasPrefix(d[len(rc.APIID):], ".execute-api.") {
		return path
	}
	if len(path) > len(stage) && path[0] == '/' && strings.HasPrefix(path[1:], stage) {
		if rest := path[1+len(stage):]; rest == "" || rest[0] == '/' {
			return rest
		}
	}
	return path
}

// rawQuery rebuilds a query string from parameter maps, encoding the values
// when the front door decoded them.
func rawQuery(multi map[string][]string, single map[string]string, encode bool) string {
	esc := func(s string) string {
		if encode {
			return url.QueryEscape(s)
		}
		return s
	}
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(esc(k))
		b.WriteByte('=')
		b.WriteString(esc(v))
	}
	if len(multi) > 0 {
		for k, vs := range multi {
			for _, v := range vs {
				add(k, v)
			}
		}
	} else {
		for k, v := range single {
			add(k, v)
		}
	}
	return b.String()
}
