package resttest_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
)

// TestCompareFindsDifferences checks that Compare sees each kind of
// difference it claims to, and ignores the headers it says it ignores, so
// that a green differential means the answers agree.
func TestCompareFindsDifferences(t *testing.T) {
	base := func() resttest.Response {
		return resttest.Response{
			Status:  200,
			Header:  http.Header{"Content-Type": {"application/json"}, "Grpc-Metadata-A": {"1"}, "Trailer": {"Grpc-Trailer-X,Grpc-Trailer-Y"}},
			Trailer: http.Header{"Grpc-Trailer-X": {"t"}},
			Body:    []byte(`{"a":1,"b":[1,2]}`),
		}
	}
	errBody := []byte(`{"code":3,"message":"bad thing","details":[{"@type":"x"}]}`)
	for _, tc := range []struct {
		name    string
		front   bool
		change  func(*resttest.Response)
		aspects []string
	}{
		{"same", false, func(*resttest.Response) {}, nil},
		{"ignored headers", false, func(r *resttest.Response) {
			r.Header.Set("Date", "now")
			r.Header.Set("Content-Length", "9")
			r.Header.Set("Transfer-Encoding", "chunked")
			r.Header.Set("Access-Control-Allow-Origin", "*")
		}, nil},
		{"trailer names in another order", false, func(r *resttest.Response) { r.Header.Set("Trailer", "Grpc-Trailer-Y, Grpc-Trailer-X") }, nil},
		{"status", false, func(r *resttest.Response) { r.Status = 201 }, []string{"status"}},
		{"content type", false, func(r *resttest.Response) { r.Header.Set("Content-Type", "text/plain") }, []string{"header Content-Type"}},
		{"metadata value", false, func(r *resttest.Response) { r.Header.Set("Grpc-Metadata-A", "2") }, []string{"header Grpc-Metadata-A"}},
		{"extra metadata", false, func(r *resttest.Response) { r.Header.Set("Grpc-Metadata-B", "2") }, []string{"header Grpc-Metadata-B"}},
		{"missing trailer", false, func(r *resttest.Response) { r.Trailer = http.Header{} }, []string{"trailer Grpc-Trailer-X"}},
		{"www-authenticate", false, func(r *resttest.Response) { r.Header.Set("Www-Authenticate", "m") }, []string{"header Www-Authenticate"}},
		{"json bytes", false, func(r *resttest.Response) { r.Body = []byte(`{"a":1, "b":[1,2]}`) }, []string{"body bytes"}},
		{"json value", false, func(r *resttest.Response) { r.Body = []byte(`{"a":2,"b":[1,2]}`) }, []string{"body"}},
		{"front error wording", true, func(r *resttest.Response) {
			r.Body = []byte(`{"code":3,"message":"other words","details":[{"@type":"x"}]}`)
		}, nil},
		{"front error code", true, func(r *resttest.Response) {
			r.Body = []byte(`{"code":13,"message":"bad thing","details":[{"@type":"x"}]}`)
		}, []string{"error code"}},
		{"front error details", true, func(r *resttest.Response) { r.Body = []byte(`{"code":3,"message":"bad thing","details":[]}`) }, []string{"error details"}},
		{"front error no message", true, func(r *resttest.Response) { r.Body = []byte(`{"code":3,"details":[{"@type":"x"}]}`) }, []string{"error message"}},
		{"front error not a status", true, func(r *resttest.Response) { r.Body = []byte(`not found`) }, []string{"body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, got := base(), base()
			if tc.front {
				want.Status, got.Status = 400, 400
				want.Body, got.Body = errBody, errBody
			}
			tc.change(&got)
			var aspects []string
			for _, m := range resttest.Compare(resttest.Request{FrontError: tc.front}, want, got) {
				aspects = append(aspects, m.Aspect)
			}
			if !slices.Equal(aspects, tc.aspects) {
				t.Errorf("Compare found %q, want %q", aspects, tc.aspects)
			}
		})
	}
}
