package wire

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// SideEffectFree looks the method at path ("/package.Service/Method") up in
// the global protobuf registry. known reports whether the registry has it;
// free whether it is declared idempotency_level = NO_SIDE_EFFECTS, the
// condition for Connect GET requests.
func SideEffectFree(path string) (known, free bool) {
	name := protoreflect.FullName(strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", "."))
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		return false, false
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return false, false
	}
	opts, _ := md.Options().(*descriptorpb.MethodOptions)
	return true, opts.GetIdempotencyLevel() == descriptorpb.MethodOptions_NO_SIDE_EFFECTS
}
