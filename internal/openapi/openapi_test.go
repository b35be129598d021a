package openapi

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bufbuild/protocompile"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	_ "google.golang.org/genproto/googleapis/api/annotations"
	_ "google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
	_ "google.golang.org/protobuf/types/known/anypb"
	_ "google.golang.org/protobuf/types/known/durationpb"
	_ "google.golang.org/protobuf/types/known/emptypb"
	_ "google.golang.org/protobuf/types/known/fieldmaskpb"
	_ "google.golang.org/protobuf/types/known/structpb"
	_ "google.golang.org/protobuf/types/known/timestamppb"
	_ "google.golang.org/protobuf/types/known/wrapperspb"
)

var update = flag.Bool("update", false, "rewrite the golden documents in testdata")

// compile compiles testdata/name with its comments; its imports come from
// the descriptors linked into the test binary.
func compile(t testing.TB, name string) protoreflect.FileDescriptor {
	t.Helper()
	return compileFrom(t, "testdata", name)
}

// compileFrom compiles dir/name with its comments.
func compileFrom(t testing.TB, dir, name string) protoreflect.FileDescriptor {
	t.Helper()
	c := protocompile.Compiler{
		Resolver: protocompile.CompositeResolver{
			&protocompile.SourceResolver{ImportPaths: []string{dir}},
			protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
				fd, err := protoregistry.GlobalFiles.FindFileByPath(path)
				if err != nil {
					return protocompile.SearchResult{}, err
				}
				return protocompile.SearchResult{Proto: protodesc.ToFileDescriptorProto(fd)}, nil
			}),
		},
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	files, err := c.Compile(context.Background(), name)
	if err != nil {
		t.Fatalf("compiling %s: %v", name, err)
	}
	return files[0]
}

func services(fd protoreflect.FileDescriptor) []protoreflect.ServiceDescriptor {
	var out []protoreflect.ServiceDescriptor
	for i := range fd.Services().Len() {
		out = append(out, fd.Services().Get(i))
	}
	return out
}

// newValidator checks doc against the OpenAPI 3.1 schema with
// libopenapi-validator and returns the validator for requests and
// responses.
func newValidator(t testing.TB, doc []byte) validator.Validator {
	t.Helper()
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatalf("libopenapi cannot read the document: %v", err)
	}
	if v := d.GetSpecInfo().Version; v != Version {
		t.Fatalf("libopenapi reads version %q, want %q", v, Version)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		t.Fatalf("building the validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("document invalid: %s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  at %s: %s", se.FieldPath+" "+se.KeywordLocation, se.Reason)
			}
		}
		t.FailNow()
	}
	return v
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the document differs from %s; if the change is meant, run go test ./internal/openapi -update and review the diff", path)
	}
}

func TestFeaturesDocument(t *testing.T) {
	doc, err := Generate(services(compile(t, "features.proto")), Info{Title: "Shelves", Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	newValidator(t, doc)
	golden(t, "features.openapi.json", doc)

	again, err := Generate(services(compile(t, "features.proto")), Info{Title: "Shelves", Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, again) {
		t.Error("two runs over the same descriptors gave different documents")
	}
}

// TestLibraryDocument is the document of the REST test service, from its
// .proto source, comments included.
func TestLibraryDocument(t *testing.T) {
	fd := compileFrom(t, "../resttest/librarypb", "library.proto")
	doc, err := Generate(services(fd), Info{})
	if err != nil {
		t.Fatal(err)
	}
	newValidator(t, doc)
	golden(t, "library.openapi.json", doc)
}

// compileSource compiles one .proto file's source.
func compileSource(t testing.TB, src string) protoreflect.FileDescriptor {
	t.Helper()
	c := protocompile.Compiler{Resolver: protocompile.CompositeResolver{
		&protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(map[string]string{"e.proto": src})},
		protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
			fd, err := protoregistry.GlobalFiles.FindFileByPath(path)
			if err != nil {
				return protocompile.SearchResult{}, err
			}
			return protocompile.SearchResult{Proto: protodesc.ToFileDescriptorProto(fd)}, nil
		}),
	}}
	files, err := c.Compile(context.Background(), "e.proto")
	if err != nil {
		t.Fatal(err)
	}
	return files[0]
}

// TestGenerateErrors: an annotation that cannot be described is reported
// with its method.
func TestGenerateErrors(t *testing.T) {
	cases := map[string]string{
		`get: "/v1/{name"`:                    "malformed variable",
		`get: "v1/x"`:                         "does not start with /",
		`get: "/v1/{title}"`:                  "has no field title",
		`post: "/v1/x" body: "nope"`:          `body "nope"`,
		`get: "/v1/x" response_body: "nope"`:  `response_body "nope"`,
		`get: "/v1/{inner}"`:                  "not a singular scalar",
		`custom {kind: "LINK" path: "/v1/x"}`: `"LINK"`,
	}
	for rule, want := range cases {
		src := `syntax = "proto3";
package e.v1;
import "google/api/annotations.proto";
message Inner { string a = 1; }
message Req { string name = 1; Inner inner = 2; }
service S { rpc M(Req) returns (Req) { option (google.api.http) = {` + rule + `}; } }
`
		_, err := Generate(services(compileSource(t, src)), Info{})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "e.v1.S.M") {
			t.Errorf("%s: %v; want an error naming e.v1.S.M and saying %s", rule, err, want)
		}
	}
}

// Two methods bound to the same method and path are reported.
func TestGenerateDuplicateBinding(t *testing.T) {
	src := `syntax = "proto3";
package e.v1;
import "google/api/annotations.proto";
message Req { string name = 1; }
service S {
  rpc A(Req) returns (Req) { option (google.api.http) = {get: "/v1/{name}"}; }
  rpc B(Req) returns (Req) { option (google.api.http) = {get: "/v1/{name=*}"}; }
}
`
	_, err := Generate(services(compileSource(t, src)), Info{})
	if err == nil || !strings.Contains(err.Error(), "e.v1.S.B") || !strings.Contains(err.Error(), "e.v1.S.A binds already") {
		t.Fatalf("%v; want an error naming both methods", err)
	}
}

// TestProtoJSONMatchesSchemas writes a Book with every field set, and one
// with none, as grpc-gateway does (protojson, unpopulated fields emitted),
// and checks both against the document's Book schema.
func TestProtoJSONMatchesSchemas(t *testing.T) {
	fd := compile(t, "features.proto")
	doc, err := Generate(services(fd), Info{})
	if err != nil {
		t.Fatal(err)
	}
	newValidator(t, doc)
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	model, err := d.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	schema := model.Model.Components.Schemas.GetOrZero("openapitest.v1.Book").Schema()
	bookType := dynamicpb.NewMessageType(fd.Messages().ByName("Book"))
	full := bookType.New().Interface()
	text := `name: "shelves/1/books/2" title: "T" pages: -3 words: 9007199254740993 copies: 18446744073709551615
edition: 4 in_print: true price: inf rating: nan cover: "\x00\xff" genre: POETRY author {name: "A" born: 1900}
published {seconds: 1 nanos: 5} reading_time {seconds: 90 nanos: 500000000} mask {paths: ["title", "author.name"]}
sold {value: -1} subtitle {value: "S"} signed {value: false}
metadata {fields {key: "k" value {list_value {values {number_value: 1} values {null_value: NULL_VALUE}}}}}
extra {struct_value {}} notes {values {string_value: "n"}}
attachment {[type.googleapis.com/google.protobuf.Duration] {seconds: 3}}
counts {key: "a" value: 1} chapters {key: -7 value: "seven"} tags: ["x", "y"]
related {name: "r" genres: [FICTION]} isbn: "978" shelf_code: "c" genres: [FICTION, POETRY]
discount {value: 0.5} thumbnail {value: "\x01"} sequel_of: 0`
	if err := (prototext.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}).Unmarshal([]byte(text), full); err != nil {
		t.Fatal(err)
	}
	sv := schema_validation.NewSchemaValidator()
	for name, m := range map[string]proto.Message{"full": full, "empty": bookType.New().Interface()} {
		js, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if ok, errs := sv.ValidateSchemaBytes(schema, js); !ok {
			for _, e := range errs {
				for _, se := range e.SchemaValidationErrors {
					t.Errorf("%s: %s at %s: %s", name, js, se.FieldPath+" "+se.KeywordLocation, se.Reason)
				}
			}
		}
	}
	// The schema is not vacuous: a wrong type fails it.
	for _, bad := range []string{`{"pages":"x"}`, `{"cover":7}`, `{"tags":"x"}`, `{"genre":"NOPE"}`, `{"published":3}`, `{"words":1.5}`} {
		if ok, _ := sv.ValidateSchemaBytes(schema, []byte(bad)); ok {
			t.Errorf("%s passes the Book schema", bad)
		}
	}
}
