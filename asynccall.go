package lambdagrpc

import (
	"context"
	"net/http"
	"net/url"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/protocol"
)

// callMessage runs the call of a queued record (eventsource.Invoker.Call):
// the request message msg, encoded with codec, to method, with header as
// its metadata. It takes the path of an HTTP call from the routing on (the
// same deadline, dispatcher, interceptors, stats handlers and panic
// recovery) but starts from the message in memory and drops the response
// unread, so nothing is translated to and from Connect.
func (h *handler) callMessage(ctx context.Context, method, codec string, msg []byte, header http.Header) *status.Status {
	if h.err != nil {
		return status.New(codes.Internal, misconfiguredMessage)
	}
	if !methodPath(method) {
		// What routing says of the path the method would have below the
		// prefix.
		return h.noRoute(&url.URL{Path: h.cfg.pathPrefix + method})
	}
	c := protocol.NewMessageConn(ctx, messageRequest, method, codec, msg, header)
	h.serve(c)
	if st := c.Status(); st != nil {
		return st
	}
	return status.New(codes.Internal, "the server ended the call without a status")
}

// messageRequest is the template of a queued record's request: what it
// says besides its method, metadata and context. Its host becomes the
// call's :authority metadata. Each call gets a copy.
var messageRequest = &http.Request{
	Method:     http.MethodPost,
	Proto:      "HTTP/1.1",
	ProtoMajor: 1,
	ProtoMinor: 1,
	Body:       http.NoBody,
	Host:       "lambda",
}
