package eventsource

import (
	"encoding/json"
	"net/http"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
)

// shape is the HTTP event of one front door: it reads the request the event
// carries and writes the response its sender expects.
type shape interface {
	// String names the shape for logs.
	String() string
	// match reports whether an event that internal/events classified as
	// kind is of this shape.
	match(kind events.Source) bool
	// decode reads the request line, query, headers and peer of ev into a
	// target; header is empty, sized for ev's headers, and becomes the
	// target's. ev is passed by value so that it can stay on the caller's
	// stack.
	decode(ev events.Request, header http.Header) target
	// appendHead appends the opening of a buffered response document, up
	// to the body fields: the status and the headers in the shape's form.
	appendHead(b []byte, code int, h http.Header) []byte
	// prelude returns the prelude of a streamed HTTP-integration response.
	prelude(code int, h http.Header) events.StreamPrelude
}

// target is what a shape reads out of an event; [Decode] builds the request
// from it.
type target struct {
	method, path, query string
	remote              string // the peer's IP address, without a port
	header              http.Header
	// answer is the shape that answers the event: the one that decoded it,
	// or a variant of it (ALB with multi-value headers).
	answer shape
	// canStream is false for front doors that only take buffered
	// responses (ALB, HTTP APIs).
	canStream bool
}

// Event is what answering a decoded HTTP event needs to know about it.
type Event struct {
	shape     shape
	canStream bool
	// RequestContext is the event's requestContext object: the front door's
	// view of the request, including any authorizer's identity and claims.
	RequestContext json.RawMessage
}

// CanStream reports whether the event's front door takes a streamed
// response.
func (e *Event) CanStream() bool { return e.canStream }

// String names the event's shape, for logs.
func (e *Event) String() string { return e.shape.String() }
