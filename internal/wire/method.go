package wire

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Idempotency is what the protobuf registry says of a method's
// idempotency_level, the condition for Connect GET requests.
type Idempotency int

const (
	// UnknownMethod means the registry does not know the method.
	UnknownMethod Idempotency = iota
	// SideEffects means the method is not declared NO_SIDE_EFFECTS.
	SideEffects
	// NoSideEffects means the method is declared idempotency_level =
	// NO_SIDE_EFFECTS.
	NoSideEffects
	// OptionsUnreadable means the method is known but its options cannot be
	// read. protobuf-go reads options only when the descriptorpb package is
	// linked into the binary (registering gRPC reflection links it); this
	// package does not import it itself, which keeps a quarter of a
	// megabyte out of every Lambda binary that has no use for it.
	OptionsUnreadable
)

// Field numbers from google/protobuf/descriptor.proto.
const (
	methodOptionsIdempotencyLevel = 34 // MethodOptions.idempotency_level
	idempotencyNoSideEffects      = 1  // MethodOptions.IdempotencyLevel.NO_SIDE_EFFECTS
)

// OptionsReadable reports whether protobuf-go can read method options:
// the descriptorpb package registers google.protobuf.MethodOptions. Tests
// replace it to see a binary without descriptorpb.
var OptionsReadable = func() bool {
	_, err := protoregistry.GlobalTypes.FindMessageByName("google.protobuf.MethodOptions")
	return err == nil
}

// MethodIdempotency looks the method at path ("/package.Service/Method") up
// in the global protobuf registry.
func MethodIdempotency(path string) Idempotency {
	name := protoreflect.FullName(strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", "."))
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		return UnknownMethod
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return UnknownMethod
	}
	if !OptionsReadable() {
		return OptionsUnreadable
	}
	opts := md.Options()
	if opts == nil {
		return SideEffects
	}
	m := opts.ProtoReflect()
	fd := m.Descriptor().Fields().ByNumber(methodOptionsIdempotencyLevel)
	if fd == nil || fd.Kind() != protoreflect.EnumKind || m.Get(fd).Enum() != idempotencyNoSideEffects {
		return SideEffects
	}
	return NoSideEffects
}
