package rest

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
)

// maxBody bounds how much of a request body is read into memory before
// the server's own message size limit can apply.
const maxBody = 64 << 20

// errBodyTooLarge is what reading a body past maxBody returns.
var errBodyTooLarge = fmt.Errorf("the request body exceeds %d bytes", maxBody)

// request builds b's request message from r as the handler
// protoc-gen-grpc-gateway generates for b does: the body, then the path
// variables, then the query parameters. Its errors are statuses.
func (b *binding) request(m runtime.Marshaler, r *http.Request, pathParams map[string]string) (msg proto.Message, err error) {
	defer func() {
		// A dynamic message refuses a value of a type it does not know
		// (a well-known type from another registry) by panicking.
		if p := recover(); p != nil {
			msg, err = nil, status.Errorf(codes.InvalidArgument, "cannot build the %s request: %v", b.in.Descriptor().FullName(), p)
		}
	}()
	msg = b.in.New().Interface()
	if b.body != "" {
		body := io.Reader(&limitedBody{r: r.Body, n: maxBody})
		if mb, ok := r.Body.(*httpx.MemoryBody); ok {
			body = mb // in memory already, within the event's size
		}
		var newReader func() io.Reader
		if b.patchMask != nil {
			nr, err := utilities.IOReaderFactory(body)
			if err != nil {
				return nil, bodyError(err)
			}
			newReader = nr
			body = newReader()
		}
		if err := b.decodeBody(m, body, msg); err != nil && !errors.Is(err, io.EOF) {
			return nil, bodyError(err)
		}
		if b.patchMask != nil {
			pm := msg.ProtoReflect()
			if !pm.Has(b.patchMask) || pm.Get(b.patchMask).Message().Get(b.patchMask.Message().Fields().ByName("paths")).List().Len() == 0 {
				rd := newReader()
				target := fieldMessage(pm, b.bodyField)
				mask, err := runtime.FieldMaskFromRequestBody(rd, target)
				if err != nil {
					return nil, status.Errorf(codes.InvalidArgument, "%v", err)
				}
				setMessage(pm, b.patchMask, mask)
			}
		}
	}
	for _, p := range b.params {
		val, ok := pathParams[p.name]
		if !ok {
			return nil, status.Errorf(codes.InvalidArgument, "missing parameter %s", p.name)
		}
		if err := p.set(msg, val); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "type mismatch, parameter: %s, error: %v", p.name, err)
		}
	}
	if b.hasQuery {
		if err := r.ParseForm(); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "%v", err)
		}
		if err := runtime.PopulateQueryParameters(msg, r.Form, b.filter); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "%v", err)
		}
	}
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
	}
	return msg, nil
}

// bodyError is the status of a body that could not be read.
func bodyError(err error) error {
	if errors.Is(err, errBodyTooLarge) {
		return status.Error(codes.ResourceExhausted, err.Error())
	}
	return status.Errorf(codes.InvalidArgument, "%v", err)
}

// limitedBody reads at most n bytes of r and fails past them.
type limitedBody struct {
	r io.Reader
	n int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.r == nil {
		return 0, io.EOF
	}
	if l.n <= 0 {
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			return 0, errBodyTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// decodeBody decodes the body into msg, or into its body field.
func (b *binding) decodeBody(m runtime.Marshaler, body io.Reader, msg proto.Message) error {
	dec := m.NewDecoder(body)
	if len(b.bodyField) == 0 {
		return dec.Decode(msg)
	}
	pm := msg.ProtoReflect()
	parent := pm
	for _, f := range b.bodyField[:len(b.bodyField)-1] {
		parent = parent.Mutable(f).Message()
	}
	f := b.bodyField[len(b.bodyField)-1]
	switch {
	case f.IsList() || f.IsMap():
		return decodeComposite(body, parent, f)
	case f.Message() != nil:
		// Set even when the body is empty, as the generated code's
		// decoding into a **T sets it.
		return dec.Decode(parent.Mutable(f).Message().Interface())
	default:
		return decodeScalar(dec, parent, f)
	}
}

// fieldMessage returns the message at the end of path in m.
func fieldMessage(m protoreflect.Message, path []protoreflect.FieldDescriptor) proto.Message {
	for _, f := range path {
		m = m.Mutable(f).Message()
	}
	return m.Interface()
}

// setMessage sets f, a message field of m, to v, copying v into m's own
// type of the field when they differ (a dynamic message).
func setMessage(m protoreflect.Message, f protoreflect.FieldDescriptor, v proto.Message) {
	dst := m.NewField(f).Message()
	raw, err := proto.Marshal(v)
	if err == nil && proto.Unmarshal(raw, dst.Interface()) == nil {
		m.Set(f, protoreflect.ValueOfMessage(dst))
	}
}
