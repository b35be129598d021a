package lambdagrpc

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Connect's application/json and gRPC-Web's +json need a codec named
// "json" in grpc-go's registry, which has none by default. This one uses
// the canonical protobuf JSON mapping. A codec the program registers itself
// under that name takes its place (registration in a later init wins).
func init() {
	if encoding.GetCodecV2(jsonCodec{}.Name()) == nil {
		encoding.RegisterCodec(jsonCodec{})
	}
}

type jsonCodec struct{}

func (jsonCodec) Name() string { return "json" }

func (jsonCodec) Marshal(v any) ([]byte, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("json codec: %T is not a protobuf message", v)
	}
	return protojson.Marshal(m)
}

func (jsonCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("json codec: %T is not a protobuf message", v)
	}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(data, m)
}
