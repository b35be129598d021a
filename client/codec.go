package client

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// codec is a codec of grpc-go's registry, V1 or (adapted) V2.
type codec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

type codecV2 struct{ c encoding.CodecV2 }

// Marshal returns v encoded, in a slice of its own.
func (c codecV2) Marshal(v any) ([]byte, error) {
	b, err := c.c.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := b.Materialize()
	b.Free() // back to grpc-go's buffer pool
	return out, nil
}

// Unmarshal decodes data into v.
func (c codecV2) Unmarshal(data []byte, v any) error {
	return c.c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(data)}, v)
}

func codecFor(name string) codec {
	if c := encoding.GetCodecV2(name); c != nil {
		return codecV2{c}
	}
	if c := encoding.GetCodec(name); c != nil {
		return c
	}
	return nil
}

func compress(name string, b []byte) ([]byte, error) {
	comp := encoding.GetCompressor(name)
	if comp == nil {
		return nil, status.Errorf(codes.Internal, "no compressor named %q is registered", name)
	}
	out, err := wire.Compress(comp, b)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "compressing: %v", err)
	}
	return out, nil
}

func decompress(name string, b []byte, max int) ([]byte, error) {
	comp := encoding.GetCompressor(name)
	if comp == nil {
		return nil, status.Errorf(codes.Internal, "the server used compression %q, which is not registered", name)
	}
	out, tooLarge, err := wire.Decompress(comp, b, max)
	switch {
	case err != nil:
		return nil, status.Errorf(codes.Internal, "decompressing the response: %v", err)
	case tooLarge:
		return nil, &MessageTooLargeError{Size: -1, Limit: max}
	}
	return out, nil
}
