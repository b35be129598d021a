package rest_test

import (
	"github.com/lambdagrpc/lambdagrpc/rest"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkREST times one REST call in process: lambdagrpc's REST
// protocol in front of a *grpc.Server, and grpc-gateway's generated mux in
// front of the same server over loopback TCP (its architecture), for a
// GET with a path variable and a POST with a JSON body.
func BenchmarkREST(b *testing.B) {
	p := newPair(b, rest.Enable())
	long := `{"title":"` + strings.Repeat("x", 64<<10) + `"}`
	calls := []struct{ name, method, target, body string }{
		{"GET", "GET", "/v1/shelves/1", ""},
		{"POST-16B", "POST", "/v1/shelves/1/books", `{"title":"T"}`},
		{"POST-64KiB", "POST", "/v1/shelves/1/books", long},
	}
	for _, c := range calls {
		for _, h := range []struct {
			name string
			h    http.Handler
		}{{"lambdagrpc", p.rest}, {"grpc-gateway", p.gateway}} {
			b.Run(c.name+"/"+h.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var body *strings.Reader
					if c.body != "" {
						body = strings.NewReader(c.body)
					}
					r := httptest.NewRequest(c.method, c.target, nilReader(body))
					r.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					h.h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("HTTP %d %s", w.Code, w.Body)
					}
				}
			})
		}
	}
}

// nilReader keeps a nil *strings.Reader from becoming a non-nil io.Reader.
func nilReader(r *strings.Reader) interface{ Read([]byte) (int, error) } {
	if r == nil {
		return nil
	}
	return r
}
