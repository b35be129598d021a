package protocol

import (
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Encodable reports whether proto.Marshal would encode m without error,
// without encoding it: its required fields are set and every string in it
// is valid UTF-8. It is stricter than Marshal (a proto2 string need not be
// UTF-8), which only sends such a message down the slower path, where
// Marshal decides.
func Encodable(m proto.Message) bool {
	return proto.CheckInitialized(m) == nil && validStrings(m.ProtoReflect())
}

// validStrings reports whether every string field, list element, map key
// and value in m, at any depth, is valid UTF-8.
func validStrings(m protoreflect.Message) bool {
	ok := true
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := range l.Len() {
				if !validValue(fd, l.Get(i)) {
					ok = false
					return false
				}
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapKey().Kind() == protoreflect.StringKind && !utf8.ValidString(k.String()) {
					ok = false
				} else if !validValue(fd.MapValue(), mv) {
					ok = false
				}
				return ok
			})
		default:
			ok = validValue(fd, v)
		}
		return ok
	})
	return ok
}

// validValue checks one value of field fd (a list's element or a map's
// value).
func validValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return utf8.ValidString(v.String())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return validStrings(v.Message())
	}
	return true
}
