package openapi

import (
	"maps"
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Schemas follow protojson, which grpc-gateway's default marshaler uses
// (lowerCamel names, unpopulated fields emitted): requests may use every
// form protojson reads, responses use the forms it writes.

// ref is a reference to the component schema named name.
func ref(name protoreflect.FullName) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + string(name)}
}

// messageRef is the schema of a message: the well-known types inline, any
// other a reference to its component, which it queues for writing.
func (b *builder) messageRef(md protoreflect.MessageDescriptor) map[string]any {
	if s := wellKnown(md); s != nil {
		return s
	}
	b.need(md)
	return ref(md.FullName())
}

func (b *builder) need(d protoreflect.Descriptor) {
	if _, ok := b.schemas[d.FullName()]; ok {
		return
	}
	b.schemas[d.FullName()] = nil // queued
	b.pending = append(b.pending, d)
}

// finishSchemas writes the queued component schemas, and those they
// reference, and returns them all.
func (b *builder) finishSchemas() map[string]any {
	for len(b.pending) > 0 {
		d := b.pending[0]
		b.pending = b.pending[1:]
		switch d := d.(type) {
		case protoreflect.MessageDescriptor:
			b.schemas[d.FullName()] = b.messageSchema(d)
		case protoreflect.EnumDescriptor:
			b.schemas[d.FullName()] = enumSchema(d)
		}
	}
	out := make(map[string]any, len(b.schemas))
	for _, name := range slices.Sorted(maps.Keys(b.schemas)) {
		out[string(name)] = b.schemas[name]
	}
	return out
}

func (b *builder) messageSchema(md protoreflect.MessageDescriptor) map[string]any {
	if md.FullName() == "google.protobuf.Any" {
		return map[string]any{
			"type":        "object",
			"description": "A message of any type, in protojson's form: \"@type\" names it, its fields follow (a well-known type's JSON form is under \"value\").",
			"properties": map[string]any{
				"@type": map[string]any{"type": "string", "description": "The message's type URL, such as type.googleapis.com/google.rpc.ErrorInfo."},
			},
			"required":             []any{"@type"},
			"additionalProperties": true,
		}
	}
	props := map[string]any{}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		props[fd.JSONName()] = b.fieldSchema(fd, true)
	}
	s := map[string]any{"type": "object", "properties": props}
	if c := comments(md); c != "" {
		s["description"] = c
	}
	return s
}

func enumSchema(ed protoreflect.EnumDescriptor) map[string]any {
	var names []any
	var numbers []any
	values := ed.Values()
	for i := range values.Len() {
		names = append(names, string(values.Get(i).Name()))
		numbers = append(numbers, int64(values.Get(i).Number()))
	}
	s := map[string]any{
		"type": []any{"string", "integer"},
		"enum": append(names, numbers...),
	}
	desc := "Responses name the value; requests may give its name or number."
	if c := comments(ed); c != "" {
		desc = c + "\n\n" + desc
	}
	s["description"] = desc
	return s
}

// fieldSchema is the schema of a field's JSON value, with its comment.
// With nullable, a singular message field may be null, as protojson writes
// an unset one when unpopulated fields are emitted.
func (b *builder) fieldSchema(fd protoreflect.FieldDescriptor, nullable bool) map[string]any {
	var s map[string]any
	switch {
	case fd.IsMap():
		s = map[string]any{"type": "object", "additionalProperties": b.singular(fd.MapValue())}
		if k := fd.MapKey().Kind(); k != protoreflect.StringKind {
			s["propertyNames"] = map[string]any{"pattern": keyPattern(k)}
		}
	case fd.IsList():
		s = map[string]any{"type": "array", "items": b.singular(fd)}
	default:
		s = b.singular(fd)
		if nullable && (fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind) {
			s = orNull(s)
		}
	}
	desc := comments(fd)
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		note := "Member of the oneof " + string(od.Name()) + ": set at most one of its fields."
		if desc == "" {
			desc = note
		} else {
			desc += "\n\n" + note
		}
	}
	if desc != "" {
		s = withDescription(s, desc)
	}
	return s
}

func keyPattern(k protoreflect.Kind) string {
	switch k {
	case protoreflect.BoolKind:
		return "^(true|false)$"
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return "^[0-9]+$"
	}
	return "^-?[0-9]+$"
}

// withDescription adds a description to s, copying s first when it is a
// shared schema.
func withDescription(s map[string]any, desc string) map[string]any {
	out := maps.Clone(s)
	out["description"] = desc
	return out
}

// orNull widens s to accept null too.
func orNull(s map[string]any) map[string]any {
	switch t := s["type"].(type) {
	case string:
		out := maps.Clone(s)
		out["type"] = []any{t, "null"}
		return out
	case []any:
		if slices.Contains(t, any("null")) {
			return s
		}
		out := maps.Clone(s)
		out["type"] = append(slices.Clone(t), "null")
		return out
	}
	if len(s) == 0 {
		return s // any value, null included
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

// singular is the schema of one value of fd's type.
func (b *builder) singular(fd protoreflect.FieldDescriptor) map[string]any {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return map[string]any{"type": "boolean"}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return map[string]any{"type": "integer", "format": "int32"}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return map[string]any{"type": "integer", "format": "uint32", "minimum": 0}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return int64Schema("int64", "^-?[0-9]+$")
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return int64Schema("uint64", "^[0-9]+$")
	case protoreflect.FloatKind:
		return floatSchema("float")
	case protoreflect.DoubleKind:
		return floatSchema("double")
	case protoreflect.StringKind:
		return map[string]any{"type": "string"}
	case protoreflect.BytesKind:
		return bytesSchema()
	case protoreflect.EnumKind:
		ed := fd.Enum()
		if ed.FullName() == "google.protobuf.NullValue" {
			return map[string]any{"type": "null"}
		}
		b.need(ed)
		return ref(ed.FullName())
	default: // message, group
		return b.messageRef(fd.Message())
	}
}

// int64Schema: protojson writes 64-bit integers as decimal strings and
// reads strings or numbers.
func int64Schema(format, pattern string) map[string]any {
	return map[string]any{"type": []any{"string", "integer"}, "format": format, "pattern": pattern}
}

// floatSchema: protojson writes NaN and the infinities as strings.
func floatSchema(format string) map[string]any {
	return map[string]any{"anyOf": []any{
		map[string]any{"type": "number", "format": format},
		map[string]any{"type": "string", "enum": []any{"NaN", "Infinity", "-Infinity"}},
	}}
}

func bytesSchema() map[string]any {
	return map[string]any{"type": "string", "format": "byte", "contentEncoding": "base64"}
}

// wellKnown is the inline schema of a well-known type with a JSON form of
// its own, or nil.
func wellKnown(md protoreflect.MessageDescriptor) map[string]any {
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		return map[string]any{"type": "string", "format": "date-time", "description": "An RFC 3339 time in UTC, such as 2017-01-15T01:30:15.01Z."}
	case "google.protobuf.Duration":
		return map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,9})?s$`, "description": "Seconds with an s suffix, such as 1.5s."}
	case "google.protobuf.FieldMask":
		return map[string]any{"type": "string", "description": "Comma-separated field paths in lowerCamel case, such as title,author.name."}
	case "google.protobuf.Struct":
		return map[string]any{"type": "object"}
	case "google.protobuf.ListValue":
		return map[string]any{"type": "array"}
	case "google.protobuf.Value":
		return map[string]any{}
	case "google.protobuf.Empty":
		return map[string]any{"type": "object"}
	case "google.protobuf.DoubleValue", "google.protobuf.FloatValue",
		"google.protobuf.Int64Value", "google.protobuf.UInt64Value",
		"google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue":
		return (&builder{}).singular(md.Fields().ByName("value"))
	}
	return nil
}
