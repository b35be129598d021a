package rest

import (
	"errors"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// registerEnums makes the enums of a request message known to
// protoregistry.GlobalTypes, where grpc-gateway's runtime looks up an
// enum named in a query parameter or a nested path variable. It only
// matters for messages served with dynamicpb (descriptors from
// reflection): an enum whose Go type is linked in is registered already,
// and only names nobody registered are added.
func registerEnums(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) error {
	if seen[md.FullName()] {
		return nil
	}
	seen[md.FullName()] = true
	fields := md.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.IsMap() {
			f = f.MapValue()
		}
		switch {
		case f.Enum() != nil:
			ed := f.Enum()
			if _, err := protoregistry.GlobalTypes.FindEnumByName(ed.FullName()); errors.Is(err, protoregistry.NotFound) {
				if err := protoregistry.GlobalTypes.RegisterEnum(dynamicpb.NewEnumType(ed)); err != nil {
					return err
				}
			}
		case f.Message() != nil:
			if err := registerEnums(f.Message(), seen); err != nil {
				return err
			}
		}
	}
	return nil
}
