package rest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// FuzzRESTRequest sends arbitrary methods, paths, queries and bodies
// through the REST protocol: it must never crash, and every answer other
// than a success is a google.rpc.Status JSON body whose code gives the
// HTTP status, as grpc-gateway maps it.
func FuzzRESTRequest(f *testing.F) {
	seeds := []struct{ method, path, query, body string }{
		{"GET", "/v1/shelves/1", "", ""},
		{"GET", "/v1/shelves/1/books/2", "", ""},
		{"GET", "/v1/shelves/1/books", "page_size=3&tags=a&genres=GENRE_FICTION&genres=2&after=2001-02-03T04:05:06Z&max_age=1s&filter.inner.author=x", ""},
		{"GET", "/v1/shelves/1/books", "page_size=x&genre=NOPE&labels=%7B", ""},
		{"POST", "/v1/shelves/1/books", "", `{"title":"T","pages":"3","genre":"GENRE_FICTION"}`},
		{"POST", "/v1/shelves/1/books", "", `{"title":`},
		{"PATCH", "/v1/shelves/1/books/2", "", `{"title":"T","cover":{"color":"r"}}`},
		{"PUT", "/v1/shelves/1/books/2", "", `{"book":{"name":"x"}}`},
		{"POST", "/v1/shelves/1/books/2:cancel", "", `{}`},
		{"POST", "/v1/shelves/1/books/2/content", "", `"aGk="`},
		{"POST", "/v1/shelves/1/books/2/content", "", `123`},
		{"POST", "/v1/echo", "", `{"data":"!!"}`},
		{"GET", "/v1/shelves/1/files/a/%2F/b", "", ""},
		{"GET", "/v1/shelves/1/books:stream", "count=3&fail_code=2", ""},
		{"GET", "/v1/fail/x", "", ""},
		{"GET", "/v1/fail/7", "details=true", ""},
		{"DELETE", "/v1/shelves/1/books/%zz", "", ""},
		{"OPTIONS", "/v1/shelves/1", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.body)
	}
	srv := grpc.NewServer()
	resttest.Register(srv)
	h := lambdagrpc.NewHandler(srv, rest.Enable())
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") {
			return
		}
		u, err := url.Parse("http://example.com" + path + "?" + query)
		if err != nil || u.Path == "" {
			return
		}
		r := httptest.NewRequest(method, "http://example.com/", strings.NewReader(body))
		r.URL = u
		r.RequestURI = u.RequestURI()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusOK || strings.HasSuffix(u.Path, ":stream") {
			return
		}
		var st struct {
			Code    codes.Code `json:"code"`
			Message string     `json:"message"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
			t.Fatalf("%s %s: HTTP %d, body %q is no status: %v", method, u, w.Code, w.Body, err)
		}
		if st.Code == codes.OK {
			t.Fatalf("%s %s: HTTP %d with status %+v", method, u, w.Code, st)
		}
		if want := runtime.HTTPStatusFromCode(st.Code); w.Code != want && w.Code != http.StatusMethodNotAllowed && w.Code != http.StatusNotFound && w.Code != http.StatusBadRequest {
			t.Fatalf("%s %s: HTTP %d for code %v, want %d", method, u, w.Code, st.Code, want)
		}
	})
}

// validMethod reports whether m is an HTTP method token.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
