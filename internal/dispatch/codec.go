package dispatch

import (
	"reflect"
	"sync/atomic"

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
		return adaptV1(c)
	}
	if c := encoding.GetCodecV2(name); c != nil {
		return c
	}
	return encoding.GetCodecV2("proto")
}

// lastV1 is the V1 codec adaptV1 adapted last, and its adapter.
var lastV1 atomic.Pointer[adaptedV1]

type adaptedV1 struct {
	c encoding.Codec
	a baseCodec
}

// adaptV1 returns c as a baseCodec. The adapter of the codec it adapted
// last is kept, so that calls in one codec need not each allocate one.
func adaptV1(c encoding.Codec) baseCodec {
	if l := lastV1.Load(); l != nil && sameCodec(l.c, c) {
		return l.a
	}
	a := codecV1{c}
	lastV1.Store(&adaptedV1{c: c, a: a})
	return a
}

// sameCodec reports whether a and b are the same codec value. Only
// pointers and values of size 0 are compared, as comparing them can never
// panic; other codecs never count as the same.
func sameCodec(a, b encoding.Codec) bool {
	t := reflect.TypeOf(a)
	if t != reflect.TypeOf(b) || !t.Comparable() || (t.Kind() != reflect.Pointer && t.Size() != 0) {
		return false
	}
	return a == b
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
