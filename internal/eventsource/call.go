package eventsource

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// Attribute names of the wire contract between queue senders and the
// function.
const (
	// AttrMethod names the method a message calls.
	AttrMethod = "grpc-method"
	// AttrContentType says how the body is encoded.
	AttrContentType = "content-type"
)

// attribute is one message attribute, of SQS or of SNS, in a common form:
// a binary attribute's value is its base64 text.
type attribute struct {
	name, value string
	binary      bool
}

// message is a record turned into a call: the method, the request message
// and the metadata, or the status that says why it cannot be one.
type message struct {
	method string
	proto  bool // body is the binary protobuf encoding, else protojson
	body   []byte
	header http.Header
}

// newMessage builds the call a record makes from its attributes and body.
// route is the method configured for the record's origins, if any. A
// record that cannot be a call gets the status its caller would have got:
// UNIMPLEMENTED for a missing method, INVALID_ARGUMENT for the rest.
func newMessage(attrs []attribute, body string, route string) (message, *status.Status) {
	var m message
	contentType := ""
	for _, a := range attrs {
		key := strings.ToLower(a.name)
		switch key {
		case AttrMethod:
			if a.binary {
				return message{}, status.New(codes.InvalidArgument, "the grpc-method attribute must be a String attribute")
			}
			m.method = a.value
			continue
		case AttrContentType:
			if a.binary {
				return message{}, status.New(codes.InvalidArgument, "the content-type attribute must be a String attribute")
			}
			contentType = strings.ToLower(strings.TrimSpace(a.value))
			continue
		}
		if a.binary && !strings.HasSuffix(key, "-bin") {
			key += "-bin"
		}
		if err := checkMetadataKey(key, a.binary); err != nil {
			return message{}, status.Newf(codes.InvalidArgument, "message attribute %q: %v", a.name, err)
		}
		if a.binary {
			if _, err := wire.DecodeBinary(a.value); err != nil {
				return message{}, status.Newf(codes.InvalidArgument, "binary message attribute %q is not valid base64: %v", a.name, err)
			}
		} else if err := checkMetadataValue(a.value); err != nil {
			return message{}, status.Newf(codes.InvalidArgument, "message attribute %q: %v", a.name, err)
		}
		if m.header == nil {
			m.header = make(http.Header, len(attrs)+2)
		}
		m.header[http.CanonicalHeaderKey(key)] = append(m.header[http.CanonicalHeaderKey(key)], a.value)
	}
	if m.method == "" {
		m.method = route
	}
	if m.method == "" {
		return message{}, status.New(codes.Unimplemented, "the record names no method: give it a grpc-method attribute (\"/package.Service/Method\"), or route its queue, topic or source with lambdagrpc.WithAsyncRoute")
	}
	switch contentType {
	case "", "application/json":
		m.body = []byte(body)
	case "application/proto", "application/protobuf", "application/x-protobuf":
		b, err := wire.DecodeBinary(strings.TrimSpace(body))
		if err != nil {
			return message{}, status.Newf(codes.InvalidArgument, "the content-type attribute says application/proto but the body is not base64: %v", err)
		}
		m.proto, m.body = true, b
	default:
		return message{}, status.Newf(codes.InvalidArgument, "content-type attribute %q: use application/json (protojson body) or application/proto (base64 of the protobuf encoding)", contentType)
	}
	return m, nil
}

// checkMetadataKey reports why a lower-case key cannot be request metadata.
func checkMetadataKey(key string, binary bool) error {
	if key == "" {
		return fmt.Errorf("an empty name cannot be a metadata key")
	}
	for i := range len(key) {
		c := key[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '-' && c != '_' {
			return fmt.Errorf("%q is not a valid metadata key (only 0-9, a-z, '-', '_' and '.')", key)
		}
	}
	if wire.IsUnsendableKey(key) {
		return fmt.Errorf("%q is reserved by the protocol and cannot be metadata", key)
	}
	if !binary && strings.HasSuffix(key, "-bin") {
		return fmt.Errorf("%q ends in -bin, which only a Binary attribute can", key)
	}
	return nil
}

// checkMetadataValue reports why a value cannot be ASCII metadata.
func checkMetadataValue(v string) error {
	for i := range len(v) {
		if v[i] < 0x20 || v[i] > 0x7e {
			return fmt.Errorf("the value holds a byte (%#x) that metadata cannot: only printable ASCII, or use a Binary attribute", v[i])
		}
	}
	return nil
}

// call runs m through iv.Call, with its request message as it is, in ctx,
// and returns how it ended. The root's Call serves it through the
// handler's dispatcher, which applies the deadline ctx carries (the
// invocation's, less the margin), the server's interceptors and stats
// handlers, and its panic recovery; a panic here, outside the handler,
// is INTERNAL too.
func (iv *Invoker) call(ctx context.Context, log *slog.Logger, m *message) (st *status.Status) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("lambdagrpc: panic while serving an invocation", "panic", p, "stack", string(debug.Stack()))
			st = status.New(codes.Internal, "internal error while translating the call (see the function's log)")
		}
	}()
	codec := "json"
	if m.proto {
		codec = "proto"
	}
	return undecodable(iv.Call(ctx, m.method, codec, m.body, m.header))
}

// unmarshalFailure begins the message of the INTERNAL status grpc-go (and
// the direct path, which answers as grpc-go does) ends a call with when
// the request message does not decode.
const unmarshalFailure = "grpc: failed to unmarshal the received message"

// undecodable turns the INTERNAL status of a request message that does not
// decode into INVALID_ARGUMENT. Over HTTP the client sent the bytes and
// sees grpc-go's status; a queued record's bytes will never decode, so it
// must not count as a failure that retrying can fix.
func undecodable(st *status.Status) *status.Status {
	if st.Code() == codes.Internal && strings.HasPrefix(st.Message(), unmarshalFailure) {
		return status.New(codes.InvalidArgument, "the body does not decode as the method's request message: "+st.Message())
	}
	return st
}
