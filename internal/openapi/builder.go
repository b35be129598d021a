package openapi

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

const (
	httpBodyName = "google.api.HttpBody"
	statusName   = "google.rpc.Status"
)

// builder collects a document's paths and component schemas.
type builder struct {
	paths   map[string]map[string]any // path, then lower-case method
	owners  map[string]string         // "METHOD path" to the gRPC method bound to it
	opIDs   map[string]int
	schemas map[protoreflect.FullName]any // nil while queued
	pending []protoreflect.Descriptor
}

func newBuilder() *builder {
	return &builder{
		paths:   map[string]map[string]any{},
		owners:  map[string]string{},
		opIDs:   map[string]int{},
		schemas: map[protoreflect.FullName]any{},
	}
}

// httpRule returns md's google.api.http annotation, or nil. The options
// are read again as descriptorpb.MethodOptions with the global registry,
// which has the annotation's type: descriptors parsed without it hold the
// annotation as unknown fields, and a compiler's as a dynamic message.
func httpRule(md protoreflect.MethodDescriptor) *annotations.HttpRule {
	opts := md.Options()
	if opts == nil || !opts.ProtoReflect().IsValid() {
		return nil
	}
	raw, err := proto.Marshal(opts)
	if err != nil {
		return nil
	}
	mo := &descriptorpb.MethodOptions{}
	if err := (proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}).Unmarshal(raw, mo); err != nil {
		return nil
	}
	if !proto.HasExtension(mo, annotations.E_Http) {
		return nil
	}
	rule, _ := proto.GetExtension(mo, annotations.E_Http).(*annotations.HttpRule)
	return rule
}

func (b *builder) addMethod(md protoreflect.MethodDescriptor) error {
	rule := httpRule(md)
	if rule == nil || md.IsStreamingClient() {
		// Client streams are not served over REST (see the rest package).
		return nil
	}
	rules := append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...)
	for _, r := range rules {
		if err := b.addBinding(md, r); err != nil {
			return fmt.Errorf("openapi: method %s: %w", md.FullName(), err)
		}
	}
	return nil
}

func ruleVerbPath(r *annotations.HttpRule) (method, path string) {
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return "get", p.Get
	case *annotations.HttpRule_Put:
		return "put", p.Put
	case *annotations.HttpRule_Post:
		return "post", p.Post
	case *annotations.HttpRule_Delete:
		return "delete", p.Delete
	case *annotations.HttpRule_Patch:
		return "patch", p.Patch
	case *annotations.HttpRule_Custom:
		return strings.ToLower(p.Custom.GetKind()), p.Custom.GetPath()
	}
	return "", ""
}

// openAPIMethods are the methods an OpenAPI path item has fields for.
var openAPIMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}

func (b *builder) addBinding(md protoreflect.MethodDescriptor, r *annotations.HttpRule) error {
	verb, tmpl := ruleVerbPath(r)
	if verb == "" {
		return fmt.Errorf("a google.api.http rule without a pattern")
	}
	if !openAPIMethods[verb] {
		return fmt.Errorf("custom HTTP method %q has no place in an OpenAPI path item", strings.ToUpper(verb))
	}
	t, err := parseTemplate(tmpl)
	if err != nil {
		return err
	}
	in, out := md.Input(), md.Output()
	path, params, bound, err := b.pathParams(t, in)
	if err != nil {
		return err
	}
	key := strings.ToUpper(verb) + " " + path
	if other, dup := b.owners[key]; dup {
		return fmt.Errorf("binds %s, which %s binds already", key, other)
	}
	b.owners[key] = string(md.FullName())

	op := map[string]any{
		"operationId": b.operationID(md),
		"tags":        []any{string(md.Parent().Name())},
	}
	summary, desc := summarize(comments(md))
	if summary != "" {
		op["summary"] = summary
	}
	if desc != "" {
		op["description"] = desc
	}

	body := r.GetBody()
	var bodyField protoreflect.FieldDescriptor
	switch body {
	case "":
	case "*":
		op["requestBody"] = b.requestBody(b.messageBody(in))
	default:
		fd := in.Fields().ByName(protoreflect.Name(body))
		if fd == nil {
			return fmt.Errorf("body %q names no field of %s", body, in.FullName())
		}
		bodyField = fd
		op["requestBody"] = b.requestBody(b.fieldBody(fd))
	}
	if body != "*" {
		params = append(params, b.queryParams(in, "", bound, bodyField, map[protoreflect.FullName]bool{in.FullName(): true})...)
	}
	if len(params) > 0 {
		op["parameters"] = params
	}

	var resp map[string]any
	switch rb := r.GetResponseBody(); rb {
	case "":
		resp = b.messageBody(out)
	default:
		fd := out.Fields().ByName(protoreflect.Name(rb))
		if fd == nil {
			return fmt.Errorf("response_body %q names no field of %s", rb, out.FullName())
		}
		resp = b.fieldBody(fd)
	}
	okResp := map[string]any{"description": "A successful response.", "content": resp}
	if md.IsStreamingServer() {
		okResp = b.streamResponse(out, resp)
	}
	b.need(statusMessage())
	op["responses"] = map[string]any{
		"200": okResp,
		"default": map[string]any{
			"description": "An error: a google.rpc.Status, with the HTTP status grpc-gateway maps its code to.",
			"content":     map[string]any{"application/json": map[string]any{"schema": ref(statusName)}},
		},
	}
	item := b.paths[path]
	if item == nil {
		item = map[string]any{}
		b.paths[path] = item
	}
	item[verb] = op
	return nil
}

func (b *builder) operationID(md protoreflect.MethodDescriptor) string {
	id := string(md.Parent().Name()) + "_" + string(md.Name())
	b.opIDs[id]++
	if n := b.opIDs[id]; n > 1 {
		return id + strconv.Itoa(n)
	}
	return id
}

func (b *builder) requestBody(content map[string]any) map[string]any {
	return map[string]any{"content": content}
}

// messageBody is the content of a body that holds a whole message: raw
// bytes of any type for google.api.HttpBody, else its JSON.
func (b *builder) messageBody(md protoreflect.MessageDescriptor) map[string]any {
	if md.FullName() == httpBodyName {
		return rawContent()
	}
	return map[string]any{"application/json": map[string]any{"schema": b.messageRef(md)}}
}

func (b *builder) fieldBody(fd protoreflect.FieldDescriptor) map[string]any {
	if fd.Message() != nil && fd.Message().FullName() == httpBodyName && !fd.IsList() {
		return rawContent()
	}
	return map[string]any{"application/json": map[string]any{"schema": b.fieldSchema(fd, false)}}
}

// rawContent is a google.api.HttpBody's: its content type and bytes are
// the message's.
func rawContent() map[string]any {
	return map[string]any{"*/*": map[string]any{
		"schema": map[string]any{"description": "The bytes of a google.api.HttpBody, with its content type."},
	}}
}

// streamResponse describes a server stream as grpc-gateway writes it: one
// JSON object per line, {"result": message} for each message and
// {"error": status} if the stream fails after its first message.
func (b *builder) streamResponse(out protoreflect.MessageDescriptor, content map[string]any) map[string]any {
	if out.FullName() == httpBodyName {
		return map[string]any{"description": "A stream of google.api.HttpBody messages: their bytes, one after the other.", "content": content}
	}
	var msg any = map[string]any{}
	if c, ok := content["application/json"].(map[string]any); ok {
		msg = c["schema"]
	}
	b.need(statusMessage())
	return map[string]any{
		"description": "A stream: newline-delimited JSON, one object per line, {\"result\": message} for each message and {\"error\": status} if the stream fails.",
		"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
			"type":  "object",
			"title": "Stream result of " + string(out.FullName()),
			"properties": map[string]any{
				"result": msg,
				"error":  ref(statusName),
			},
		}}},
	}
}

func statusMessage() protoreflect.MessageDescriptor {
	return (&statuspb.Status{}).ProtoReflect().Descriptor()
}
