package eventsource

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDecodeRequests(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file, cookie, remote, host string
		query                      map[string][]string
		canStream, multi           bool
	}{
		{file: "functionurl.json", cookie: "session=abc; theme=dark", remote: "203.0.113.7:0", host: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws", canStream: true},
		{file: "httpapi-v2.json", remote: "198.51.100.1:0", query: map[string][]string{"a": {"1", "2"}}, host: "r3pmxmplak.execute-api.us-east-2.amazonaws.com"},
		{file: "httpapi-v1.json", remote: "198.51.100.2:0", multi: true},
		{file: "rest.json", remote: "192.0.2.10:0", query: map[string][]string{"q": {"a b"}}, canStream: true, multi: true, host: "1234567890.execute-api.us-east-1.amazonaws.com"},
		{file: "alb.json", query: map[string][]string{"q": {"a b"}}, host: "lambda-alb-123578498.us-east-2.elb.amazonaws.com"},
		{file: "alb-multivalue.json", query: map[string][]string{"q": {"a b", "c"}}, multi: true, host: "lambda-alb-123578498.us-east-2.elb.amazonaws.com"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "events", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			req, ev, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			// The HTTP API v2 fixture's rawPath holds its stage, which goes.
			if req.Method != "POST" || req.URL.Path != "/grpc.testing.TestService/UnaryCall" {
				t.Errorf("request %s %s", req.Method, req.URL.Path)
			}
			if got := req.Header.Get("Cookie"); got != tc.cookie {
				t.Errorf("Cookie = %q, want %q", got, tc.cookie)
			}
			if req.RemoteAddr != tc.remote {
				t.Errorf("RemoteAddr = %q, want %q", req.RemoteAddr, tc.remote)
			}
			if tc.host != "" && req.Host != tc.host {
				t.Errorf("Host = %q, want %q", req.Host, tc.host)
			}
			q := req.URL.Query()
			for k, want := range tc.query {
				got := q[k]
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("query %s = %q, want %q", k, got, want)
				}
			}
			// The response takes the headers in the form the event had them.
			multi := strings.Contains(string(ev.shape.appendHead(nil, 200, http.Header{"A": {"b"}})), `"multiValueHeaders"`)
			if ev.canStream != tc.canStream || multi != tc.multi {
				t.Errorf("canStream %v multiValue %v, want %v %v", ev.canStream, multi, tc.canStream, tc.multi)
			}
			// Every fixture carries the same 11-byte call; the HTTP API one as
			// gRPC-Web text, which the front door passes on undecoded.
			want := int64(11)
			if req.Header.Get("Content-Type") == "application/grpc-web-text" {
				want = 16
			}
			if req.ContentLength != want {
				t.Errorf("ContentLength = %d, want %d", req.ContentLength, want)
			}
		})
	}
}
