package rest

import (
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// set sets the path variable's field to val as the generated code does: a
// nested field through runtime.PopulateFieldFromPath, a top-level one
// through the runtime's converter for its type.
func (p pathParam) set(msg proto.Message, val string) error {
	if len(p.fields) > 1 {
		return runtime.PopulateFieldFromPath(msg, p.name, val)
	}
	f := p.fields[0]
	m := msg.ProtoReflect()
	if f.IsList() {
		return setList(m, f, val, p.enum)
	}
	var v protoreflect.Value
	switch f.Kind() {
	case protoreflect.StringKind:
		v = protoreflect.ValueOfString(val)
	case protoreflect.BoolKind:
		x, err := runtime.Bool(val)
		if err != nil {
			return err
		}
		v = protoreflect.ValueOfBool(x)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		x, err := runtime.Int32(val)
		if err != nil {
			return err
		}
		v = protoreflect.ValueOfInt32(x)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		x, err := runtime.Int64(val)
		if err != nil {
			return err
		}
		v = protoreflect.ValueOfInt64(x)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		x, err := runtime.Uint32(val)
		if err != nil {
			return err
		}
		v = protoreflect.ValueOfUint32(x)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		x, err := runtime.Uint64(val)
		if err != nil {
			return err
		}
		v = protoreflect.ValueOfUint64(x)
	case protoreflect.FloatKind:
		x, err := runtime.Float32(val)
		if err != nil {
			return err
		}
		v = protoreflect.ValueOfFloat32(x)
	case protoreflect.DoubleKind:
		x, err := runtime.Float64(val)
		if err != nil {
			return err
		}
		v = protoreflect.ValueOfFloat64(x)
	case protoreflect.BytesKind:
		x, err := runtime.Bytes(val)
		if err != nil {
			return err
		}
		v = protoreflect.ValueOfBytes(x)
	case protoreflect.EnumKind:
		x, err := runtime.Enum(val, p.enum)
		if err != nil {
			return err
		}
		v = protoreflect.ValueOfEnum(protoreflect.EnumNumber(x))
	default:
		// Messages (the well-known types): the runtime parses them as it
		// parses query parameters.
		return runtime.PopulateFieldFromPath(msg, p.name, val)
	}
	m.Set(f, v)
	return nil
}

// setList sets a repeated field from a comma-separated path variable, as
// the runtime's slice converters read it.
func setList(m protoreflect.Message, f protoreflect.FieldDescriptor, val string, enum map[string]int32) error {
	l := m.Mutable(f).List()
	switch f.Kind() {
	case protoreflect.EnumKind:
		xs, err := runtime.EnumSlice(val, ",", enum)
		if err != nil {
			return err
		}
		for _, x := range xs {
			l.Append(protoreflect.ValueOfEnum(protoreflect.EnumNumber(x)))
		}
	case protoreflect.StringKind:
		xs, err := runtime.StringSlice(val, ",")
		if err != nil {
			return err
		}
		for _, x := range xs {
			l.Append(protoreflect.ValueOfString(x))
		}
	default:
		m.Clear(f)
		return runtime.PopulateFieldFromPath(m.Interface(), string(f.Name()), val)
	}
	return nil
}

// enumValues maps an enum's value names to numbers, as a generated
// X_value map does.
func enumValues(e protoreflect.EnumDescriptor) map[string]int32 {
	vs := e.Values()
	m := make(map[string]int32, vs.Len())
	for i := range vs.Len() {
		m[string(vs.Get(i).Name())] = int32(vs.Get(i).Number())
	}
	return m
}
