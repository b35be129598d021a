package rest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
	"github.com/lambdagrpc/lambdagrpc/examples/greeter/server"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

const corpusPath = "../internal/resttest/testdata/corpus.json"

// openAPIHandler serves the Library with REST and its document on.
func openAPIHandler(t *testing.T) http.Handler {
	t.Helper()
	srv := grpc.NewServer()
	resttest.Register(srv)
	return lambdagrpc.NewHandler(srv, rest.Enable(rest.WithOpenAPI("/openapi.json")), lambdagrpc.WithLogger(quiet()))
}

// fetchDocument gets the document from h and checks it with
// libopenapi-validator against the OpenAPI 3.1 schema.
func fetchDocument(t *testing.T, h http.Handler) (validator.Validator, *v3.Document) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	doc, err := libopenapi.NewDocument(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetSpecInfo().Version; v != "3.1.0" {
		t.Fatalf("the document says OpenAPI %q, want 3.1.0", v)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		t.Fatalf("the document is not valid OpenAPI 3.1: %s", describe(verrs))
	}
	return v, &model.Model
}

func describe(errs []*liberrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n\t%s: %s", e.Message, e.Reason)
		for _, se := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n\t\tat %s: %s", se.FieldPath+" "+se.KeywordLocation, se.Reason)
		}
	}
	return b.String()
}

// notDescribable are the corpus requests that the document cannot
// describe, and why.
var notDescribable = map[string]string{
	"get-shelf-escaped-literal":     "an escaped letter in a literal segment: the validator matches paths before unescaping",
	"get-shelf-empty-var":           "an empty path variable: an OpenAPI path parameter is required",
	"get-file-deep":                 "a ** variable over several segments: an OpenAPI path parameter is one segment",
	"get-file-escaped":              "a ** variable over several segments: an OpenAPI path parameter is one segment",
	"get-file-empty":                "an empty ** variable: an OpenAPI path parameter is required",
	"get-file-trailing-slash":       "a ** variable over several segments: an OpenAPI path parameter is one segment",
	"method-override":               "X-HTTP-Method-Override turns the POST into a GET, which OpenAPI cannot say",
	"create-book-bad-enum":          "grpc-gateway discards an unknown enum name; the document lists the known ones",
	"create-book-text-content-type": "grpc-gateway reads any content type as JSON; the document names application/json",
	"create-book-trailing-garbage":  "grpc-gateway reads the first JSON value and ignores what follows",
	"cancel-book-escaped-colon":     "an escaped colon before the verb: the validator matches paths before unescaping",
	"download-json":                 "an HttpBody whose content type says JSON though its bytes are not",
}

// TestOpenAPIDescribesCorpus replays the differential corpus: each request
// goes to the REST handler; a request that succeeds must be valid against
// the document, and so must its response; every error response must be a
// google.rpc.Status as the document says.
func TestOpenAPIDescribesCorpus(t *testing.T) {
	h := openAPIHandler(t)
	v, model := fetchDocument(t, h)
	statusSchema := model.Components.Schemas.GetOrZero("google.rpc.Status").Schema()
	sv := schema_validation.NewSchemaValidator()
	reqs, err := resttest.LoadCorpus(corpusPath)
	if err != nil {
		t.Fatal(err)
	}
	var ok, failed, streams int
	for _, r := range reqs {
		if why, skip := notDescribable[r.Name]; skip {
			t.Logf("%s: not described: %s", r.Name, why)
			continue
		}
		req, err := r.HTTPRequest()
		if err != nil {
			continue // net/http refuses it: no handler sees it
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		resp := w.Result()
		body := w.Body.Bytes()
		if w.Code >= 400 {
			probe, _ := r.HTTPRequest()
			if item, errs, _ := paths.FindPath(probe, model, nil); item == nil || len(errs) > 0 {
				continue // no operation of the document: it says nothing of the answer
			}
			failed++
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%s: error %d with content type %q, not a google.rpc.Status", r.Name, w.Code, resp.Header.Get("Content-Type"))
				continue
			}
			if valid, errs := sv.ValidateSchemaBytes(statusSchema, body); !valid {
				t.Errorf("%s: the error body is not the document's google.rpc.Status: %s%s", r.Name, body, describe(errs))
			}
			continue
		}
		ok++
		// The path is looked up by paths.FindPath, which prefers a path
		// with the request's method: the validator's own lookup takes
		// /v1/shelves/1/books/2:cancel for /v1/shelves/{shelf}/books/{book}
		// and then finds no POST there.
		again, _ := r.HTTPRequest()
		item, errs, pathValue := paths.FindPath(again, model, nil)
		if item == nil || len(errs) > 0 {
			t.Errorf("%s: %s %s succeeded (%d) but the document has no such operation:%s", r.Name, r.Method, r.Target, w.Code, describe(errs))
			continue
		}
		again, _ = r.HTTPRequest()
		if valid, errs := v.ValidateHttpRequestSyncWithPathItem(again, item, pathValue); !valid {
			t.Errorf("%s: %s %s succeeded (%d) but the document does not allow it:%s", r.Name, r.Method, r.Target, w.Code, describe(errs))
			continue
		}
		if s := streamSchema(item, r.Method); s != nil {
			streams++
			sc := bufio.NewScanner(bytes.NewReader(body))
			for sc.Scan() {
				if valid, errs := sv.ValidateSchemaBytes(s, sc.Bytes()); !valid {
					t.Errorf("%s: stream line %s is not the document's:%s", r.Name, sc.Bytes(), describe(errs))
				}
			}
			continue
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		again, _ = r.HTTPRequest()
		if valid, errs := v.GetResponseBodyValidator().ValidateResponseBodyWithPathItem(again, resp, item, pathValue); !valid {
			t.Errorf("%s: the response (%d %s) is not the document's: %s%s", r.Name, w.Code, resp.Header.Get("Content-Type"), body, describe(errs))
		}
	}
	t.Logf("%d requests succeeded and were validated with their responses (%d streams), %d error bodies validated", ok, streams, failed)
	if ok < 40 || failed < 20 || streams < 1 {
		t.Errorf("too few requests checked: %d successes, %d errors, %d streams", ok, failed, streams)
	}
}

// streamSchema is the schema of one line of a server stream's answer, or
// nil for a method that does not stream JSON.
func streamSchema(item *v3.PathItem, method string) *base.Schema {
	op := item.GetOperations().GetOrZero(strings.ToLower(method))
	if op == nil || op.Responses == nil {
		return nil
	}
	ok := op.Responses.Codes.GetOrZero("200")
	if ok == nil {
		return nil
	}
	mt := ok.Content.GetOrZero("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	s := mt.Schema.Schema()
	if !strings.HasPrefix(s.Title, "Stream result of ") {
		return nil
	}
	return s
}

// A path WithOpenAPI cannot serve is a configuration error, which Serve
// returns.
func TestOpenAPISettingErrors(t *testing.T) {
	for _, path := range []string{"", "openapi.json", "/v1/{name}"} {
		srv := grpc.NewServer()
		resttest.Register(srv)
		err := lambdagrpc.Serve(context.Background(), srv, rest.Enable(rest.WithOpenAPI(path)), lambdagrpc.WithRuntimeAPI(""), lambdagrpc.WithLogger(quiet()))
		if err == nil || !strings.Contains(err.Error(), "WithOpenAPI") {
			t.Errorf("WithOpenAPI(%q): Serve returned %v; want the configuration error", path, err)
		}
	}
}

// ExampleWithOpenAPI serves the greeter's document beside its REST paths.
func ExampleWithOpenAPI() {
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &server.Greeter{})
	h := lambdagrpc.NewHandler(s, rest.Enable(rest.WithOpenAPI("/openapi.json")))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Code, w.Header().Get("Content-Type"), doc.OpenAPI)
	for _, p := range slices.Sorted(maps.Keys(doc.Paths)) {
		fmt.Println(p)
	}
	// Output:
	// 200 application/json 3.1.0
	// /v1/greet
	// /v1/greet/{name}
	// /v1/greet/{name}:stream
}

// Under a path prefix the document is served below it, as the bindings
// are, and names the prefix as its server, so a request below the prefix
// is one the document describes.
func TestOpenAPIBelowPathPrefix(t *testing.T) {
	srv := grpc.NewServer()
	resttest.Register(srv)
	h := lambdagrpc.NewHandler(srv, rest.Enable(rest.WithOpenAPI("/openapi.json")), lambdagrpc.WithPathPrefix("/api"), lambdagrpc.WithLogger(quiet()))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if w.Code == http.StatusOK {
		t.Fatalf("GET /openapi.json outside the prefix: %d, want no document there", w.Code)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/openapi.json: %d: %s", w.Code, w.Body)
	}
	doc, err := libopenapi.NewDocument(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	if s := model.Model.Servers; len(s) != 1 || s[0].URL != "/api" {
		t.Fatalf("servers %+v, want one, /api", s)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/shelves/1", nil)
	if ok, verrs := v.ValidateHttpRequest(req); !ok {
		t.Errorf("GET /api/v1/shelves/1 is not described: %s", describe(verrs))
	}
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, req)
	if rw.Code != http.StatusOK {
		t.Errorf("GET /api/v1/shelves/1: %d: %s", rw.Code, rw.Body)
	}
}
