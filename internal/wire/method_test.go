package wire

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// registerIdempotencyService registers a service with one method of each
// idempotency level in the global registry, once.
func registerIdempotencyService(t *testing.T) {
	t.Helper()
	if _, err := protoregistry.GlobalFiles.FindFileByPath("wiretest/idempotency.proto"); err == nil {
		return
	}
	level := func(l descriptorpb.MethodOptions_IdempotencyLevel) *descriptorpb.MethodOptions {
		return &descriptorpb.MethodOptions{IdempotencyLevel: l.Enum()}
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name:        proto.String("wiretest/idempotency.proto"),
		Package:     proto.String("wiretest"),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("M")}},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: proto.String("S"),
			Method: []*descriptorpb.MethodDescriptorProto{
				{Name: proto.String("Plain"), InputType: proto.String(".wiretest.M"), OutputType: proto.String(".wiretest.M")},
				{Name: proto.String("Idempotent"), InputType: proto.String(".wiretest.M"), OutputType: proto.String(".wiretest.M"), Options: level(descriptorpb.MethodOptions_IDEMPOTENT)},
				{Name: proto.String("Free"), InputType: proto.String(".wiretest.M"), OutputType: proto.String(".wiretest.M"), Options: level(descriptorpb.MethodOptions_NO_SIDE_EFFECTS)},
			},
		}},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	if err := protoregistry.GlobalFiles.RegisterFile(fd); err != nil {
		t.Fatal(err)
	}
}

func TestMethodIdempotency(t *testing.T) {
	registerIdempotencyService(t)
	for path, want := range map[string]Idempotency{
		"/wiretest.S/Plain":      SideEffects,
		"/wiretest.S/Idempotent": SideEffects,
		"/wiretest.S/Free":       NoSideEffects,
		"/wiretest.S/Missing":    UnknownMethod,
		"/wiretest/M":            UnknownMethod,
	} {
		if got := MethodIdempotency(path); got != want {
			t.Errorf("MethodIdempotency(%q) = %d, want %d", path, got, want)
		}
	}
}

// TestMethodIdempotencyWithoutDescriptorpb pretends descriptorpb is not
// linked: a known method's options are then unreadable, and reading them
// must not be tried (protobuf-go would panic).
func TestMethodIdempotencyWithoutDescriptorpb(t *testing.T) {
	registerIdempotencyService(t)
	saved := OptionsReadable
	OptionsReadable = func() bool { return false }
	t.Cleanup(func() { OptionsReadable = saved })
	if got := MethodIdempotency("/wiretest.S/Free"); got != OptionsUnreadable {
		t.Fatalf("got %d, want OptionsUnreadable", got)
	}
	if got := MethodIdempotency("/wiretest.S/Missing"); got != UnknownMethod {
		t.Fatalf("got %d, want UnknownMethod", got)
	}
}
