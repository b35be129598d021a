package openapi

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// pathParams turns a template into an OpenAPI path and its parameters. A
// variable of one segment ({name} or {name=*}) is one parameter named by its
// field path. A variable with literal segments ({name=shelves/*}) is spelled
// out, so that the path matches real requests: each wildcard becomes a
// parameter named after the literal before it (shelves/{shelf}), described
// as a part of the field. A "**" wildcard stands for one or more segments,
// which OpenAPI cannot say; its parameter is described so.
func (b *builder) pathParams(t template, in protoreflect.MessageDescriptor) (string, []any, map[string]bool, error) {
	var parts []string
	var params []any
	bound := map[string]bool{}
	used := map[string]bool{}
	unique := func(name string) string {
		n, i := name, 2
		for used[n] {
			n = name + strconv.Itoa(i)
			i++
		}
		used[n] = true
		return n
	}
	var prevLiteral string
	anon := 0
	for _, seg := range t.segments {
		switch {
		case seg.literal != "":
			parts = append(parts, seg.literal)
			prevLiteral = seg.literal
		case seg.wildcard != "":
			anon++
			name := unique("segment" + strconv.Itoa(anon))
			parts = append(parts, "{"+name+"}")
			params = append(params, pathParam(name, map[string]any{"type": "string"}, wildcardNote(seg.wildcard, "A path segment that binds no field.")))
		default:
			fd, err := fieldByPath(in, seg.field)
			if err != nil {
				return "", nil, nil, err
			}
			if fd.IsList() || fd.IsMap() || fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
				return "", nil, nil, fmt.Errorf("path variable {%s} binds a field that is not a singular scalar", seg.field)
			}
			bound[jsonPath(in, seg.field)] = true
			name := jsonPath(in, seg.field)
			desc := comments(fd)
			if len(seg.sub) == 1 && seg.sub[0].wildcard != "" {
				n := unique(name)
				parts = append(parts, "{"+n+"}")
				s := queryScalar(b, fd) // a path segment is a string too
				if seg.sub[0].wildcard == "**" {
					s = map[string]any{"type": "string"}
				}
				params = append(params, pathParam(n, s, wildcardNote(seg.sub[0].wildcard, desc)))
				continue
			}
			shape := spellTemplate(seg.sub)
			for _, sub := range seg.sub {
				if sub.literal != "" {
					parts = append(parts, sub.literal)
					prevLiteral = sub.literal
					continue
				}
				base := singularWord(prevLiteral)
				if base == "" {
					base = name
				}
				n := unique(base)
				parts = append(parts, "{"+n+"}")
				note := fmt.Sprintf("A part of the field %s, whose value has the form %s.", name, shape)
				if desc != "" {
					note = desc + "\n\n" + note
				}
				params = append(params, pathParam(n, map[string]any{"type": "string"}, wildcardNote(sub.wildcard, note)))
			}
		}
	}
	path := "/" + strings.Join(parts, "/")
	if t.verb != "" {
		path += ":" + t.verb
	}
	return path, params, bound, nil
}

func wildcardNote(wildcard, desc string) string {
	if wildcard != "**" {
		return desc
	}
	note := "It may span several path segments, slashes included."
	if desc == "" {
		return note
	}
	return desc + "\n\n" + note
}

func pathParam(name string, schema map[string]any, desc string) map[string]any {
	p := map[string]any{"name": name, "in": "path", "required": true, "schema": schema}
	if desc != "" {
		p["description"] = desc
	}
	return p
}

// spellTemplate writes a variable's segments back, as shelves/*/books/*.
func spellTemplate(segs []segment) string {
	var parts []string
	for _, s := range segs {
		if s.literal != "" {
			parts = append(parts, s.literal)
		} else {
			parts = append(parts, s.wildcard)
		}
	}
	return strings.Join(parts, "/")
}

// singularWord names one of a collection: shelves → shelf, books → book.
func singularWord(w string) string {
	switch {
	case w == "":
		return ""
	case strings.HasSuffix(w, "ves"):
		return strings.TrimSuffix(w, "ves") + "f"
	case strings.HasSuffix(w, "ies"):
		return strings.TrimSuffix(w, "ies") + "y"
	case strings.HasSuffix(w, "ses"), strings.HasSuffix(w, "xes"):
		return strings.TrimSuffix(w, "es")
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return strings.TrimSuffix(w, "s")
	}
	return w
}

// fieldByPath follows a dotted path of proto field names from md.
func fieldByPath(md protoreflect.MessageDescriptor, path string) (protoreflect.FieldDescriptor, error) {
	var fd protoreflect.FieldDescriptor
	for i, name := range strings.Split(path, ".") {
		if i > 0 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return nil, fmt.Errorf("field path %q goes through %s, which is not a singular message field", path, fd.Name())
			}
			md = fd.Message()
		}
		fd = md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return nil, fmt.Errorf("field path %q: %s has no field %s", path, md.FullName(), name)
		}
	}
	return fd, nil
}

// jsonPath spells a valid proto field path in JSON names: book.name →
// book.name, page_size → pageSize.
func jsonPath(md protoreflect.MessageDescriptor, path string) string {
	var out []string
	for _, name := range strings.Split(path, ".") {
		fd := md.Fields().ByName(protoreflect.Name(name))
		out = append(out, fd.JSONName())
		if fd.Message() != nil {
			md = fd.Message()
		}
	}
	return strings.Join(out, ".")
}

// queryParams lists the fields that neither the path nor the body binds,
// as grpc-gateway reads them from the query string: scalars, enums (by
// name or number), repeated scalars (the parameter repeated), the fields of
// nested messages by dotted path, and the well-known types with a string
// form. Maps, repeated messages, Struct, Value, ListValue and Any have no
// query form and are left out, as are recursive messages past their first
// appearance.
func (b *builder) queryParams(md protoreflect.MessageDescriptor, prefix string, bound map[string]bool, body protoreflect.FieldDescriptor, seen map[protoreflect.FullName]bool) []any {
	var params []any
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if prefix == "" && body != nil && fd == body {
			continue
		}
		name := prefix + fd.JSONName()
		if bound[name] || fd.IsMap() {
			continue
		}
		var s map[string]any
		if msg := fd.Message(); msg != nil {
			switch wk := wellKnown(msg); {
			case wk != nil:
				switch msg.FullName() {
				case "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Empty":
					continue // no query form
				}
				s = wk
				if v := msg.Fields().ByName("value"); v != nil && strings.HasSuffix(string(msg.FullName()), "Value") {
					s = queryScalar(b, v) // a wrapper
				}
			case fd.IsList(), seen[msg.FullName()]:
				continue
			default:
				seen[msg.FullName()] = true
				params = append(params, b.queryParams(msg, name+".", bound, nil, seen)...)
				delete(seen, msg.FullName())
				continue
			}
		} else {
			s = queryScalar(b, fd)
		}
		if fd.IsList() {
			s = map[string]any{"type": "array", "items": s}
		}
		p := map[string]any{"name": name, "in": "query", "schema": s}
		if fd.IsList() {
			p["explode"] = true
			p["style"] = "form"
		}
		if c := comments(fd); c != "" {
			p["description"] = c
		}
		params = append(params, p)
	}
	return params
}

// queryScalar is the schema of a scalar query or path parameter, whose value is
// a string, so an enum is one of its value names or numbers, and a 64-bit
// integer is a string of digits, which no JSON number could hold exactly.
func queryScalar(b *builder, fd protoreflect.FieldDescriptor) map[string]any {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		if fd.Enum().FullName() == "google.protobuf.NullValue" {
			return map[string]any{"type": "string", "enum": []any{"NULL_VALUE", "0"}}
		}
		var names, numbers []any
		values := fd.Enum().Values()
		for i := range values.Len() {
			names = append(names, string(values.Get(i).Name()))
			numbers = append(numbers, strconv.Itoa(int(values.Get(i).Number())))
		}
		return map[string]any{"type": "string", "enum": append(names, numbers...), "description": "By name or number."}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return map[string]any{"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return map[string]any{"type": "string", "format": "uint64", "pattern": "^[0-9]+$"}
	}
	return b.singular(fd)
}
