package rest

import (
	"io"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
)

// newMarshaler returns grpc-gateway's default marshaler (HttpBody as raw
// bytes, everything else JSON with unpopulated fields, unknown fields
// discarded) with the same output and errors, but fewer copies: a message
// is marshaled without the runtime's extra buffer, and a body already in
// memory (a Lambda event's) is decoded in place.
func newMarshaler() runtime.Marshaler {
	return &runtime.HTTPBodyMarshaler{Marshaler: jsonMarshaler{&runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
	}}}
}

// jsonMarshaler is runtime.JSONPb with the shortcuts above.
type jsonMarshaler struct{ *runtime.JSONPb }

// Marshal writes a message as JSONPb does, protojson's bytes, without
// copying them into a buffer of its own.
func (j jsonMarshaler) Marshal(v any) ([]byte, error) {
	if p, ok := v.(proto.Message); ok {
		return j.MarshalAppend(make([]byte, 0, jsonSizeHint(p)), p)
	}
	return j.JSONPb.Marshal(v)
}

// jsonSizeHint is a guess at the length of m's JSON, so that it is
// usually written into one buffer rather than a growing one: its binary
// size, and room for the name, quotes and punctuation of each top-level
// field (unpopulated ones included).
func jsonSizeHint(m proto.Message) int {
	return proto.Size(m) + 32*m.ProtoReflect().Descriptor().Fields().Len() + 2
}

// NewDecoder decodes a body in memory in place.
func (j jsonMarshaler) NewDecoder(r io.Reader) runtime.Decoder {
	if mb, ok := r.(*httpx.MemoryBody); ok {
		return &memoryDecoder{j: j, body: mb}
	}
	return j.JSONPb.NewDecoder(r)
}

// memoryDecoder decodes a message from a body in memory. JSONPb's decoder
// reads the body's first JSON value with encoding/json, then unmarshals it
// with protojson: when protojson accepts the whole body, that first value
// is the whole body, and the result is the same. Otherwise (an empty body,
// an error, data after the value, a field that is not a message) it
// decodes as JSONPb does, with the same outcome and error.
type memoryDecoder struct {
	j    jsonMarshaler
	body *httpx.MemoryBody
	done bool // the body was decoded whole
	slow runtime.Decoder
}

func (d *memoryDecoder) Decode(v any) error {
	switch {
	case d.done:
		return io.EOF
	case d.slow == nil:
		if p, ok := v.(proto.Message); ok {
			if b := d.body.Bytes(); len(b) > 0 && d.j.UnmarshalOptions.Unmarshal(b, p) == nil {
				d.done = true
				return nil
			}
		}
		d.slow = d.j.JSONPb.NewDecoder(d.body)
	}
	return d.slow.Decode(v)
}
