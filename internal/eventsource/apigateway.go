package eventsource

import (
	"net/http"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
)

// payloadV1 is the payload format 1.0 event of REST APIs and of HTTP APIs
// set to that format: multi-value headers and query parameters, the query
// decoded. A REST API can stream its response; an HTTP API cannot.
type payloadV1 struct{}

func (*payloadV1) String() string { return events.SourceV1.String() }

func (*payloadV1) match(kind events.Source) bool { return kind == events.SourceV1 }

func (*payloadV1) decode(ev events.Request, h http.Header) target {
	t := target{header: h, answer: &payloadV1{}, method: ev.HTTPMethod, path: ev.Path}
	if ev.Context.Identity != nil {
		t.remote = ev.Context.Identity.SourceIP
	}
	// Only an HTTP API says "1.0"; a REST API sends no version, and its
	// path never holds the stage.
	if ev.Version == "1.0" {
		t.path = stripStage(t.path, &ev.Context)
	}
	eitherHeaders(h, &ev)
	t.query = rawQuery(ev.MultiValueQueryStringParameters, ev.QueryStringParameters, true)
	t.canStream = ev.Version == ""
	return t
}

func (*payloadV1) appendHead(b []byte, code int, h http.Header) []byte {
	b = appendStatusCode(b, code)
	b = append(b, `,"multiValueHeaders":`...)
	b = appendHeaderMap(b, h, true, false)
	return append(b, ',')
}

func (*payloadV1) prelude(code int, h http.Header) events.StreamPrelude {
	return headerPrelude(code, h, true)
}
