package resttest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
)

// TestGatewayEchoes checks the reference side on its own: grpc-gateway's
// mux maps a multi-segment capture and query parameters onto the server,
// which echoes them, and a fail- id comes back as a google.rpc.Status.
func TestGatewayEchoes(t *testing.T) {
	srv := grpc.NewServer()
	resttest.Register(srv)
	addr := resttest.Serve(t, srv)
	gw := resttest.Gateway(t, addr)
	for _, tc := range []struct {
		target string
		code   int
		want   []string
	}{
		{"/v1/shelves/7/books/9", http.StatusOK, []string{`"name":"shelves/7/books/9"`, `"pages":"1099511627776"`, `"genre":"GENRE_HISTORY"`}},
		{"/v1/shelves/7/books?pageSize=3&filter.author=Ann&genres=GENRE_FICTION&genres=2&after=2020-01-02T03:04:05Z", http.StatusOK,
			[]string{`"pageSize":3`, `"filter":{"author":"Ann","genre":"GENRE_UNSPECIFIED","tags":[],"inner":null}`, `"genres":["GENRE_FICTION","GENRE_HISTORY"]`, `"after":"2020-01-02T03:04:05Z"`}},
		{"/v1/shelves/fail-5/books/1", http.StatusNotFound, []string{`"code":5`, `"@type":"type.googleapis.com/google.rpc.ErrorInfo"`}},
		{"/v1/nowhere", http.StatusNotFound, []string{`"code":5`}},
	} {
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.target, nil))
		raw, _ := io.ReadAll(rec.Body)
		// protojson puts a space after some commas, at random per binary.
		body := strings.ReplaceAll(string(raw), ", ", ",")
		if rec.Code != tc.code {
			t.Errorf("GET %s: status %d, want %d; body %s", tc.target, rec.Code, tc.code, body)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: body %s lacks %s", tc.target, body, w)
			}
		}
	}
}
