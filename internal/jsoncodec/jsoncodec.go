// Package jsoncodec is the grpc-go codec named "json" that Connect's
// application/json and gRPC-Web's +json need: the canonical protobuf JSON
// mapping. grpc-go registers none by default.
package jsoncodec

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Name is the codec's name and content subtype.
const Name = "json"

// Register registers the codec unless one named "json" already is, so a
// program's own JSON codec keeps its place.
func Register() {
	if encoding.GetCodecV2(Name) == nil && encoding.GetCodec(Name) == nil {
		encoding.RegisterCodec(Codec{})
	}
}

// Codec marshals protobuf messages as JSON.
type Codec struct{}

// Name returns "json".
func (Codec) Name() string { return Name }

// Marshal encodes v, which must be a protobuf message.
func (Codec) Marshal(v any) ([]byte, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("json codec: %T is not a protobuf message", v)
	}
	return protojson.Marshal(m)
}

// Unmarshal decodes data into v, ignoring unknown fields as protobuf
// binary decoding does.
func (Codec) Unmarshal(data []byte, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("json codec: %T is not a protobuf message", v)
	}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(data, m)
}
