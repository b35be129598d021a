package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// decodeScalar decodes a body that is one scalar field, into the Go type
// the generated code decodes it into.
func decodeScalar(dec runtime.Decoder, m protoreflect.Message, f protoreflect.FieldDescriptor) error {
	var v protoreflect.Value
	switch f.Kind() {
	case protoreflect.StringKind:
		var x string
		if err := dec.Decode(&x); err != nil {
			return err
		}
		v = protoreflect.ValueOfString(x)
	case protoreflect.BoolKind:
		var x bool
		if err := dec.Decode(&x); err != nil {
			return err
		}
		v = protoreflect.ValueOfBool(x)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		var x int32
		if err := dec.Decode(&x); err != nil {
			return err
		}
		v = protoreflect.ValueOfInt32(x)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		var x int64
		if err := dec.Decode(&x); err != nil {
			return err
		}
		v = protoreflect.ValueOfInt64(x)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		var x uint32
		if err := dec.Decode(&x); err != nil {
			return err
		}
		v = protoreflect.ValueOfUint32(x)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		var x uint64
		if err := dec.Decode(&x); err != nil {
			return err
		}
		v = protoreflect.ValueOfUint64(x)
	case protoreflect.FloatKind:
		var x float32
		if err := dec.Decode(&x); err != nil {
			return err
		}
		v = protoreflect.ValueOfFloat32(x)
	case protoreflect.DoubleKind:
		var x float64
		if err := dec.Decode(&x); err != nil {
			return err
		}
		v = protoreflect.ValueOfFloat64(x)
	case protoreflect.BytesKind:
		var x []byte
		if err := dec.Decode(&x); err != nil {
			return err
		}
		v = protoreflect.ValueOfBytes(x)
	case protoreflect.EnumKind:
		// As grpc-gateway decodes into a generated enum: a number only.
		var repr any
		if err := dec.Decode(&repr); err != nil {
			return err
		}
		switch x := repr.(type) {
		case string:
			return fmt.Errorf("unmarshaling of symbolic enum %q not supported: %s", x, f.Enum().FullName())
		case float64:
			if x != math.Trunc(x) || x < math.MinInt32 || x > math.MaxInt32 {
				return fmt.Errorf("%v is not a valid value for enum %s", x, f.Enum().FullName())
			}
			v = protoreflect.ValueOfEnum(protoreflect.EnumNumber(int32(x)))
		default:
			return fmt.Errorf("cannot assign %#v into enum %s", repr, f.Enum().FullName())
		}
	default:
		return fmt.Errorf("body field %s has an unsupported type", f.FullName())
	}
	m.Set(f, v)
	return nil
}

// decodeComposite decodes a body that is one repeated or map field, with
// protojson, as the field's value in the JSON of its message.
func decodeComposite(body io.Reader, m protoreflect.Message, f protoreflect.FieldDescriptor) error {
	raw, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return io.EOF
	}
	name, err := json.Marshal(f.JSONName())
	if err != nil {
		return err
	}
	doc := make([]byte, 0, len(raw)+len(name)+2)
	doc = append(append(append(append(doc, '{'), name...), ':'), raw...)
	doc = append(doc, '}')
	tmp := m.New()
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(doc, tmp.Interface()); err != nil {
		return err
	}
	proto.Merge(m.Interface(), tmp.Interface())
	return nil
}
