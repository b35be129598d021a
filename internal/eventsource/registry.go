package eventsource

import "github.com/lambdagrpc/lambdagrpc/internal/events"

// shapes are the shapes of event the function answers, in the order they
// are asked whether an event is theirs. Another one (an SQS, SNS or
// EventBridge event, say) is a type that implements shape, in a file of
// its own, and a line here; internal/events gives its events a kind of
// their own for it to match.
var shapes = []shape{
	payloadV2{},
	payloadV1{},
	albSingle,
}

// notAnEvent says what the registered shapes are, for an event that none
// of them matches.
const notAnEvent = "not a Function URL, API Gateway or ALB event"

// shapeFor returns the registered shape that matches kind, or nil.
func shapeFor(kind events.Source) shape {
	for _, s := range shapes {
		if s.match(kind) {
			return s
		}
	}
	return nil
}
