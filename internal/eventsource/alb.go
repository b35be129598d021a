package eventsource

import (
	"net/http"
	"strconv"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
)

// alb is the event of an Application Load Balancer target group. Its
// headers are single-valued, or multi-valued when the target group has the
// multi-value headers attribute, and the response must use the same form.
// Query values arrive still percent-encoded. An ALB takes only buffered
// responses.
type alb struct{ multiValue bool }

// The two forms of ALB event, which answer differently.
var (
	albSingle = &alb{}
	albMulti  = &alb{multiValue: true}
)

func (*alb) String() string { return events.SourceALB.String() }

func (*alb) match(kind events.Source) bool { return kind == events.SourceALB }

func (*alb) decode(ev events.Request, h http.Header) target {
	t := target{header: h, answer: albSingle, method: ev.HTTPMethod, path: ev.Path}
	if len(ev.MultiValueHeaders) > 0 {
		t.answer = albMulti
	}
	if ev.Context.Identity != nil {
		t.remote = ev.Context.Identity.SourceIP
	}
	eitherHeaders(h, &ev)
	t.query = rawQuery(ev.MultiValueQueryStringParameters, ev.QueryStringParameters, false)
	return t
}

func (a *alb) appendHead(b []byte, code int, h http.Header) []byte {
	b = appendStatusCode(b, code)
	b = append(b, `,"statusDescription":`...)
	b = strconv.AppendQuote(b, strconv.Itoa(code)+" "+http.StatusText(code))
	if a.multiValue {
		b = append(b, `,"multiValueHeaders":`...)
	} else {
		b = append(b, `,"headers":`...)
	}
	b = appendHeaderMap(b, h, a.multiValue, false)
	return append(b, ',')
}

// prelude is never sent (an ALB does not stream); it is the headers in the
// event's form.
func (a *alb) prelude(code int, h http.Header) events.StreamPrelude {
	return headerPrelude(code, h, a.multiValue)
}
