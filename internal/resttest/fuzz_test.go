package resttest_test

import (
	"bytes"
	"context"
	"testing"
	"unicode/utf8"

	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
)

// fuzzContentTypes are the content types the fuzzer picks from: JSON,
// which lambdagrpc also takes for Connect, and others, which it does not.
var fuzzContentTypes = []string{"application/json", "text/plain", "application/x-www-form-urlencoded"}

// fuzzMethods are the methods the fuzzer picks from.
var fuzzMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// FuzzRESTMatchesGateway mutates the paths and query strings of the
// corpus (and picks the method) and sends each request to grpc-gateway's
// mux and to every subject: their statuses must be in the same class, and
// when both succeed their bodies must be the same. A target that net/http
// refuses to parse reaches neither, and one that is not UTF-8 cannot be put
// in a Lambda event, so they are not compared.
//
// The content type is one of fuzzContentTypes, picked by the fuzzer.
func FuzzRESTMatchesGateway(f *testing.F) {
	for _, r := range loadCorpus(f) {
		m := 0
		for i, fm := range fuzzMethods {
			if fm == r.Method {
				m = i
			}
		}
		f.Add(uint8(m), uint8(len(r.Body)), r.Target, r.Body)
	}
	pairs := make([]pair, len(subjects))
	for i, s := range subjects {
		pairs[i] = newPair(f, s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, method, contentType uint8, target, body string) {
		r := resttest.Request{
			Name:   "fuzz",
			Method: fuzzMethods[int(method)%len(fuzzMethods)],
			Target: target,
			Header: map[string][]string{"Content-Type": {fuzzContentTypes[int(contentType)%len(fuzzContentTypes)]}},
			Body:   body,
		}
		if _, err := r.HTTPRequest(); err != nil || !utf8.ValidString(target) {
			// A Lambda event is JSON, which cannot carry a target that is
			// not UTF-8.
			return
		}
		for i, p := range pairs {
			want, err := p.gateway(ctx, r)
			if err != nil {
				t.Fatalf("grpc-gateway: %v", err)
			}
			got, err := p.subject(ctx, r)
			if err != nil {
				t.Fatalf("%s %q: %s: %v", r.Method, r.Target, subjects[i].name, err)
			}
			if want.Status/100 != got.Status/100 {
				t.Fatalf("%s %q body %q: %s: status %d, grpc-gateway %d\nsubject: %s\ngrpc-gateway: %s",
					r.Method, r.Target, r.Body, subjects[i].name, got.Status, want.Status, got.Body, want.Body)
			}
			if want.Status/100 == 2 && !bytes.Equal(want.Body, got.Body) {
				t.Fatalf("%s %q body %q: %s: body\n%s\ngrpc-gateway's\n%s", r.Method, r.Target, r.Body, subjects[i].name, got.Body, want.Body)
			}
		}
	})
}
