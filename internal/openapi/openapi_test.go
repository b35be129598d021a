package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bufbuild/protocompile"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	_ "google.golang.org/genproto/googleapis/api/annotations"
	_ "google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
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

// lookup returns the JSON value at a slash-separated path of doc.
func lookup(t *testing.T, doc []byte, path ...string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not an object at %q", strings.Join(path, " > "), p)
		}
		v, ok = m[p]
		if !ok {
			t.Fatalf("%s: no %q", strings.Join(path, " > "), p)
		}
	}
	return v
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
