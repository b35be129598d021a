package rest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// limitedRecorder is a response writer with a Lambda-like limit: a unit
// test's stand-in for the event sources' writers.
type limitedRecorder struct {
	*httptest.ResponseRecorder
	limit int
}

func (l *limitedRecorder) Fits(p []byte) bool {
	return l.Body.Len()+len(p)+httpx.TrailerReserve <= l.limit
}

func (l *limitedRecorder) LimitError() string { return "the response exceeds the test's limit" }

func (l *limitedRecorder) Discard() { l.Body.Reset() }

func (l *limitedRecorder) Flush() {}

// A REST response past the Lambda response limit ends RESOURCE_EXHAUSTED:
// a unary one as its error, a stream with an error chunk.
func TestRESTResponseTooLarge(t *testing.T) {
	srv := grpc.NewServer()
	resttest.Register(srv)
	h := lambdagrpc.NewHandler(srv, rest.Enable(), lambdagrpc.WithLogger(quiet()))
	big := "/v1/shelves/1/books?tags=" + strings.Repeat("x", 2000)
	for _, c := range []struct {
		target string
		code   int
		check  func(string) bool
	}{
		{big, http.StatusTooManyRequests, func(b string) bool {
			return strings.HasPrefix(b, `{"code":8`) && strings.Contains(b, "test'slimit")
		}},
		{"/v1/shelves/1/books:stream?count=50", http.StatusOK, func(b string) bool {
			lines := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
			return len(lines) == 1 && strings.HasPrefix(lines[0], `{"error":{"code":8`)
		}},
		{"/v1/shelves/1", http.StatusOK, func(b string) bool { return strings.HasPrefix(b, `{"name":"shelves/1"`) }},
	} {
		w := &limitedRecorder{ResponseRecorder: httptest.NewRecorder(), limit: httpx.TrailerReserve + 1000}
		h.ServeHTTP(w, httptest.NewRequest("GET", c.target, nil))
		body := strings.ReplaceAll(w.Body.String(), " ", "")
		if w.Code != c.code || !c.check(body) {
			t.Errorf("%.40s: %d %s", c.target, w.Code, body)
		}
	}
}
