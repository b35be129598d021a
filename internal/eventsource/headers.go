package eventsource

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
)

// singleHeaders copies single-valued event headers into h. Their values
// share one array, each a slice of its own capacity, so that adding to one
// cannot overwrite another.
func singleHeaders(h http.Header, from map[string]string) {
	vals := make([]string, 0, len(from))
	for k, v := range from {
		vals = append(vals, v)
		n := len(vals)
		h[http.CanonicalHeaderKey(k)] = vals[n-1 : n : n]
	}
}

// eitherHeaders copies the event's multi-value headers into h when it has
// them, and its single-valued ones otherwise (payload 1.0 and ALB events
// carry one map or both).
func eitherHeaders(h http.Header, ev *events.Request) {
	if len(ev.MultiValueHeaders) == 0 {
		singleHeaders(h, ev.Headers)
		return
	}
	for k, vs := range ev.MultiValueHeaders {
		h[http.CanonicalHeaderKey(k)] = vs
	}
}

// appendStatusCode appends the opening of a response document: its
// statusCode field.
func appendStatusCode(b []byte, code int) []byte {
	b = append(b, `{"statusCode":`...)
	return strconv.AppendInt(b, int64(code), 10)
}

// appendHeaderMap appends h as a JSON object of arrays (multi) or of
// strings, repeated values joined by commas. Payload 2.0 takes cookies in
// their own field, so Set-Cookie is left out there (skipCookies).
func appendHeaderMap(b []byte, h http.Header, multi, skipCookies bool) []byte {
	b = append(b, '{')
	first := true
	for k, vs := range h {
		if len(vs) == 0 || (skipCookies && k == "Set-Cookie") {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = appendJSONString(b, []byte(strings.ToLower(k)))
		b = append(b, '"', ':')
		if multi {
			b = append(b, '[')
			for i, v := range vs {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, '"')
				b = appendJSONString(b, []byte(v))
				b = append(b, '"')
			}
			b = append(b, ']')
			continue
		}
		b = append(b, '"')
		for i, v := range vs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, []byte(v))
		}
		b = append(b, '"')
	}
	return append(b, '}')
}

// headerPrelude returns the prelude of a streamed response: the status,
// and the headers either as arrays (multi) or as strings, repeated values
// joined by commas, with Set-Cookie in a cookies field of its own.
func headerPrelude(code int, h http.Header, multi bool) events.StreamPrelude {
	p := events.StreamPrelude{StatusCode: code}
	if multi {
		p.MultiValueHeaders = make(map[string][]string, len(h))
		for k, vs := range h {
			p.MultiValueHeaders[strings.ToLower(k)] = vs
		}
		return p
	}
	p.Headers = make(map[string]string, len(h))
	for k, vs := range h {
		if k != "Set-Cookie" {
			p.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
		}
	}
	p.Cookies = h.Values("Set-Cookie")
	return p
}
