package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSigV4KnownAnswer checks the verifier against the "get-vanilla" case of
// AWS's published Signature Version 4 test suite.
func TestSigV4KnownAnswer(t *testing.T) {
	t.Parallel()
	v := &sigv4{service: "service", region: "us-east-1",
		keys: map[string]string{"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
		now:  func() time.Time { return time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC) }}
	req, _ := http.NewRequest(http.MethodGet, "http://example.amazonaws.com/", nil)
	req.Header.Set("X-Amz-Date", "20150830T123600Z")
	auth := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	req.Header.Set("Authorization", auth)
	if key, err := v.verify(req, nil); err != nil || key != "AKIDEXAMPLE" {
		t.Fatalf("verify(get-vanilla) = %q, %v", key, err)
	}
	for name, mutate := range map[string]func(r *http.Request){
		"other path":      func(r *http.Request) { r.URL.Path = "/x" },
		"wrong signature": func(r *http.Request) { r.Header.Set("Authorization", strings.Replace(auth, "5fa0", "5fa1", 1)) },
		"unknown key": func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(auth, "AKIDEXAMPLE", "AKIDOTHER", 1))
		},
		"no auth": func(r *http.Request) { r.Header.Del("Authorization") },
		"stale":   func(r *http.Request) { r.Header.Set("X-Amz-Date", "20150830T100000Z") },
	} {
		r := req.Clone(req.Context())
		mutate(r)
		if _, err := v.verify(r, nil); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	f.Add("AWS4-HMAC-SHA256 Credential=/,")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err == nil && (a.accessKey == "" || a.signature == "" || len(a.signedHeaders) == 0) {
			t.Fatalf("accepted an incomplete header %q", h)
		}
		v := &sigv4{service: "lambda", region: "us-east-1", keys: map[string]string{"AKID": "s"}, now: time.Now}
		req, _ := http.NewRequest(http.MethodPost, "http://x.lambda-url.us-east-1.on.aws/p?a=1", nil)
		req.Header.Set("Authorization", h)
		req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
		if _, err := v.verify(req, []byte("body")); err == nil {
			t.Fatalf("a fuzzed header verified: %q", h)
		}
	})
}
