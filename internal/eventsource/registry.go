package eventsource

import (
	"context"
	"errors"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeloop"
)

// source is one kind of event the function can be invoked with.
type source interface {
	// answer answers inv through out if its payload is this source's kind
	// of event, and reports whether it was. It serves the event with
	// iv.Handler, in a context that iv.NewContext makes from ctx.
	answer(ctx context.Context, iv *Invoker, inv *runtimeapi.Invocation, out *runtimeloop.Response) bool
}

// sources are the kinds of event the function answers, asked in this
// order whether an event is theirs; an event none of them takes is an
// invalid event (errNoSource). Another kind is a type that implements
// source, in a file of its own, and a line here, ahead of httpEvents if it
// can tell its events apart more cheaply than by decoding them as HTTP
// events. SQS and SNS events (records.go) can, by their first bytes, for
// the events Lambda sends; the others they take after httpEvents.
var sources = []source{
	&recordEvents{},
	&httpEvents{},
	&recordEvents{lenient: true},
	&eventBridgeEvents{},
}

// shapes are the shapes of HTTP event that httpEvents answers, asked in
// this order whether an event is theirs. Another front door's event is a
// type that implements shape, in a file of its own, and a line here;
// internal/events gives its events a kind of their own for it to match.
var shapes = []shape{
	&payloadV2{},
	&payloadV1{},
	albSingle,
}

// errNoSource says what the function takes, for an event that neither a
// source nor a shape takes.
var errNoSource = errors.New("not a Function URL, API Gateway or ALB event")

// shapeFor returns the registered shape that matches kind, or nil.
func shapeFor(kind events.Source) shape {
	for _, s := range shapes {
		if s.match(kind) {
			return s
		}
	}
	return nil
}
