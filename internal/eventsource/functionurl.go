package eventsource

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
)

// payloadV2 is the payload format 2.0 event of Function URLs and of HTTP
// APIs: single-valued headers, cookies in fields of their own both ways,
// the query as sent. A Function URL can stream its response; an HTTP API
// cannot.
type payloadV2 struct{}

func (*payloadV2) String() string { return events.SourceV2.String() }

func (*payloadV2) match(kind events.Source) bool { return kind == events.SourceV2 }

func (*payloadV2) decode(ev events.Request, h http.Header) target {
	t := target{header: h, answer: &payloadV2{}}
	rc := &ev.Context
	if rc.HTTP != nil {
		t.method, t.remote, t.path = rc.HTTP.Method, rc.HTTP.SourceIP, rc.HTTP.Path
	}
	if ev.RawPath != "" {
		t.path = ev.RawPath
	}
	t.path = stripStage(t.path, rc)
	t.query = strings.TrimPrefix(ev.RawQueryString, "?")
	singleHeaders(h, ev.Headers)
	if len(ev.Cookies) > 0 {
		h["Cookie"] = []string{strings.Join(ev.Cookies, "; ")}
	}
	// HTTP APIs cannot stream; Function URLs can.
	t.canStream = !strings.Contains(rc.DomainName, ".execute-api.")
	return t
}

func (*payloadV2) appendHead(b []byte, code int, h http.Header) []byte {
	b = appendStatusCode(b, code)
	b = append(b, `,"headers":`...)
	b = appendHeaderMap(b, h, false, true)
	if cookies := h.Values("Set-Cookie"); len(cookies) > 0 {
		c, _ := json.Marshal(cookies)
		b = append(b, `,"cookies":`...)
		b = append(b, c...)
	}
	return append(b, ',')
}

func (*payloadV2) prelude(code int, h http.Header) events.StreamPrelude {
	return headerPrelude(code, h, false)
}
