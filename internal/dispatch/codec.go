package dispatch

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
)

// codecFor returns the registered codec for a content subtype, as grpc-go
// picks it: a V1 codec first, then a V2 one, else proto.
func codecFor(name string) baseCodec {
	if name == "" {
		name = "proto"
	}
	if c := encoding.GetCodec(name); c != nil {
		return codecV1{c}
	}
	if c := encoding.GetCodecV2(name); c != nil {
		return c
	}
	return encoding.GetCodecV2("proto")
}

// codecV1 adapts an encoding.Codec.
type codecV1 struct{ c encoding.Codec }

func (c codecV1) Marshal(v any) (mem.BufferSlice, error) {
	b, err := c.c.Marshal(v)
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (c codecV1) Unmarshal(data mem.BufferSlice, v any) error {
	return c.c.Unmarshal(data.Materialize(), v)
}
