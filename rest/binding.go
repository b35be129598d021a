package rest

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// binding is one HTTP rule of one method: what protoc-gen-grpc-gateway
// generates a handler for, worked out at start from the descriptors.
type binding struct {
	method     protoreflect.MethodDescriptor
	fullMethod string // "/package.Service/Method"
	verb       string // the HTTP method
	template   string // the path template
	streaming  bool   // server streaming

	in, out protoreflect.MessageType
	outType reflect.Type // out's Go type

	body         string                         // "", "*" or a field path
	bodyField    []protoreflect.FieldDescriptor // the path of body when a field
	responseBody protoreflect.FieldDescriptor   // nil: the whole response
	params       []pathParam
	hasQuery     bool // query parameters fill the remaining fields
	filter       *utilities.DoubleArray
	patchMask    protoreflect.FieldDescriptor // PATCH: update_mask from the body
}

// pathParam is a path variable and the field it sets.
type pathParam struct {
	name   string // the field path, "book.name"
	fields []protoreflect.FieldDescriptor
	enum   map[string]int32 // a top-level enum field's values by name
}

// newBindings returns the bindings of md's google.api.http rule and its
// additional bindings; none when it has no rule.
func newBindings(md protoreflect.MethodDescriptor, types protoregistry.MessageTypeResolver) ([]*binding, error) {
	rule := httpRule(md)
	if rule == nil {
		return nil, nil
	}
	if md.IsStreamingClient() {
		// grpc-gateway reads a client stream's requests as a stream of
		// JSON messages; that is not offered here: such methods are not
		// bound (see docs/rest.md).
		return nil, nil
	}
	in, out := messageType(md.Input(), types), messageType(md.Output(), types)
	rules := append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...)
	bs := make([]*binding, 0, len(rules))
	for _, r := range rules {
		b, err := newBinding(md, r, in, out)
		if err != nil {
			return nil, fmt.Errorf("rest: %s: %w", md.FullName(), err)
		}
		bs = append(bs, b)
	}
	return bs, nil
}

// httpRule reads md's google.api.http option, also from options parsed
// without the extension known (descriptors from reflection).
func httpRule(md protoreflect.MethodDescriptor) *annotations.HttpRule {
	opts, ok := md.Options().(*descriptorpb.MethodOptions)
	if !ok || opts == nil {
		return nil
	}
	if proto.HasExtension(opts, annotations.E_Http) {
		r, _ := proto.GetExtension(opts, annotations.E_Http).(*annotations.HttpRule)
		return r
	}
	if len(opts.ProtoReflect().GetUnknown()) == 0 {
		return nil
	}
	raw, err := proto.Marshal(opts)
	if err != nil {
		return nil
	}
	var again descriptorpb.MethodOptions
	if err := (proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}).Unmarshal(raw, &again); err != nil {
		return nil
	}
	r, _ := proto.GetExtension(&again, annotations.E_Http).(*annotations.HttpRule)
	return r
}

// messageType is the registered Go type of d, else a dynamic one. An
// HttpBody is always the Go type, which the runtime's marshaler knows.
func messageType(d protoreflect.MessageDescriptor, types protoregistry.MessageTypeResolver) protoreflect.MessageType {
	if d.FullName() == "google.api.HttpBody" {
		return (*httpbody.HttpBody)(nil).ProtoReflect().Type()
	}
	if types != nil {
		if mt, err := types.FindMessageByName(d.FullName()); err == nil {
			return mt
		}
	}
	return dynamicpb.NewMessageType(d)
}

func newBinding(md protoreflect.MethodDescriptor, r *annotations.HttpRule, in, out protoreflect.MessageType) (*binding, error) {
	b := &binding{
		method:     md,
		fullMethod: fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name()),
		streaming:  md.IsStreamingServer(),
		in:         in,
		out:        out,
		outType:    reflect.TypeOf(out.Zero().Interface()),
		body:       r.GetBody(),
	}
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		b.verb, b.template = http.MethodGet, p.Get
	case *annotations.HttpRule_Put:
		b.verb, b.template = http.MethodPut, p.Put
	case *annotations.HttpRule_Post:
		b.verb, b.template = http.MethodPost, p.Post
	case *annotations.HttpRule_Delete:
		b.verb, b.template = http.MethodDelete, p.Delete
	case *annotations.HttpRule_Patch:
		b.verb, b.template = http.MethodPatch, p.Patch
	case *annotations.HttpRule_Custom:
		b.verb, b.template = p.Custom.GetKind(), p.Custom.GetPath()
	default:
		return nil, errors.New("the google.api.http rule has no pattern")
	}
	msg := in.Descriptor()
	if b.body != "" && b.body != "*" {
		fs, err := fieldPath(msg, b.body)
		if err != nil {
			return nil, fmt.Errorf("body %q: %w", b.body, err)
		}
		b.bodyField = fs
	}
	if rb := r.GetResponseBody(); rb != "" {
		fs, err := fieldPath(out.Descriptor(), rb)
		if err != nil {
			return nil, fmt.Errorf("response_body %q: %w", rb, err)
		}
		if len(fs) != 1 {
			return nil, fmt.Errorf("response_body %q must name a field of %s", rb, out.Descriptor().FullName())
		}
		b.responseBody = fs[0]
	}
	names, err := templateVariables(b.template)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", b.verb, b.template, err)
	}
	for _, n := range names {
		fs, err := fieldPath(msg, n)
		if err != nil {
			return nil, fmt.Errorf("path variable %q: %w", n, err)
		}
		p := pathParam{name: n, fields: fs}
		if len(fs) == 1 && fs[0].Enum() != nil {
			p.enum = enumValues(fs[0].Enum())
		}
		b.params = append(b.params, p)
	}
	b.hasQuery, b.filter = queryFilter(msg, b)
	if b.verb == http.MethodPatch && len(b.bodyField) > 0 {
		if f := msg.Fields().ByName("update_mask"); f != nil && f.Message() != nil &&
			f.Message().FullName() == "google.protobuf.FieldMask" && !f.IsList() {
			b.patchMask = f
		}
	}
	return b, nil
}

// queryFilter says, as protoc-gen-grpc-gateway does, whether query
// parameters are read, and which fields they may not set: the body's and
// the path's.
func queryFilter(msg protoreflect.MessageDescriptor, b *binding) (bool, *utilities.DoubleArray) {
	if b.body == "*" {
		return false, nil
	}
	remaining := msg.Fields().Len()
	var seqs [][]string
	if b.body != "" {
		seqs = append(seqs, strings.Split(b.body, "."))
		if msg.Fields().ByName(protoreflect.Name(b.body)) != nil {
			remaining--
		}
	}
	for _, p := range b.params {
		seqs = append(seqs, strings.Split(p.name, "."))
		if len(p.fields) == 1 && p.name != b.body {
			remaining--
		}
	}
	return remaining > 0, utilities.NewDoubleArray(seqs)
}

// fieldPath resolves a dotted path of field names in msg.
func fieldPath(msg protoreflect.MessageDescriptor, path string) ([]protoreflect.FieldDescriptor, error) {
	var fs []protoreflect.FieldDescriptor
	for i, name := range strings.Split(path, ".") {
		if msg == nil {
			return nil, fmt.Errorf("%s is not a message field", strings.Join(strings.Split(path, ".")[:i], "."))
		}
		f := msg.Fields().ByName(protoreflect.Name(name))
		if f == nil {
			return nil, fmt.Errorf("%s has no field %q", msg.FullName(), name)
		}
		if i < len(strings.Split(path, "."))-1 && (f.IsList() || f.IsMap()) {
			return nil, fmt.Errorf("%s is repeated: a path cannot go through it", f.FullName())
		}
		fs = append(fs, f)
		msg = f.Message()
	}
	return fs, nil
}

// templateVariables returns the field paths of a path template's
// variables, in order.
func templateVariables(t string) ([]string, error) {
	var names []string
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			return names, nil
		}
		t = t[i+1:]
		j := strings.IndexAny(t, "=}")
		if j < 0 {
			return nil, errors.New("unterminated variable")
		}
		names = append(names, t[:j])
	}
}
