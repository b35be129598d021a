package emulator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The credentials, scope and time of AWS's published Signature Version 4
// test suite.
const (
	suiteKey    = "AKIDEXAMPLE"
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	suiteDate   = "20150830T123600Z"
	suiteScope  = "20150830/us-east-1/service/aws4_request"
)

func suiteVerifier(service string) *sigv4 {
	return &sigv4{service: service, region: "us-east-1",
		keys: map[string]string{suiteKey: suiteSecret},
		now:  func() time.Time { return time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC) }}
}

// TestSigV4KnownAnswer checks the verifier against cases of AWS's published
// Signature Version 4 test suite (aws-sig-v4-test-suite): the request, and
// the Authorization header AWS computed for it.
func TestSigV4KnownAnswer(t *testing.T) {
	t.Parallel()
	v := suiteVerifier("service")
	for _, c := range []struct {
		name, method, target, body string
		headers                    [][2]string
		signedHeaders, signature   string
	}{
		{name: "get-vanilla", method: http.MethodGet, target: "/",
			signedHeaders: "host;x-amz-date", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{name: "get-vanilla-query-order-key-case", method: http.MethodGet, target: "/?Param2=value2&Param1=value1",
			signedHeaders: "host;x-amz-date", signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
		{name: "get-header-value-trim", method: http.MethodGet, target: "/",
			headers:       [][2]string{{"My-Header1", " value1"}, {"My-Header2", `"a   b   c"`}},
			signedHeaders: "host;my-header1;my-header2;x-amz-date", signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
		{name: "get-header-key-duplicate", method: http.MethodGet, target: "/",
			headers:       [][2]string{{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
			signedHeaders: "host;my-header1;x-amz-date", signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
		{name: "post-x-www-form-urlencoded", method: http.MethodPost, target: "/", body: "Param1=value1",
			headers:       [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}},
			signedHeaders: "content-type;host;x-amz-date", signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
	} {
		req, _ := http.NewRequest(c.method, "http://example.amazonaws.com"+c.target, strings.NewReader(c.body))
		for _, h := range c.headers {
			req.Header.Add(h[0], h[1])
		}
		req.Header.Set("X-Amz-Date", suiteDate)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+suiteKey+"/"+suiteScope+", SignedHeaders="+c.signedHeaders+", Signature="+c.signature)
		if key, err := v.verify(req, []byte(c.body)); err != nil || key != suiteKey {
			t.Errorf("verify(%s) = %q, %v", c.name, key, err)
		}
	}
}

// TestSigV4SignedHeaders checks that exactly the headers the client lists
// are verified, including one the SDK's signer leaves out of its own
// signatures (User-Agent), and that headers outside the list do not count.
// The signature was computed with the SigV4 algorithm independently of the
// AWS SDK.
func TestSigV4SignedHeaders(t *testing.T) {
	t.Parallel()
	v := suiteVerifier("lambda")
	body := []byte(`{"hello":"signed"}`)
	newReq := func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, "http://abc.lambda-url.us-east-1.on.aws/pkg.Svc/Method?b=2&a=1", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "test-agent/1.0")
		req.Header.Set("X-Amz-Date", suiteDate)
		req.Header.Set("X-Amz-Content-Sha256", "d40602f60b984932d853b5d38dc950005396146f421d96b85cdfe6e997c5cb82")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, "+
			"SignedHeaders=content-type;host;user-agent;x-amz-content-sha256;x-amz-date, Signature=d55d5e33b392c12d89bfc4474876c90c9ee3ffc8ee5494dec22f45ae4644e5b2")
		return req
	}
	for name, c := range map[string]struct {
		mutate func(r *http.Request)
		err    string // "" verifies
	}{
		"as signed":          {func(*http.Request) {}, ""},
		"an unsigned header": {func(r *http.Request) { r.Header.Set("X-Other", "1") }, ""},
		"another user agent": {func(r *http.Request) { r.Header.Set("User-Agent", "other") }, "the signature does not match"},
		"no user agent":      {func(r *http.Request) { r.Header.Del("User-Agent") }, `the signed header "user-agent" is not in the request`},
		"another host":       {func(r *http.Request) { r.Host = "def.lambda-url.us-east-1.on.aws" }, "the signature does not match"},
		"another query":      {func(r *http.Request) { r.URL.RawQuery = "a=1&b=3" }, "the signature does not match"},
		"another method":     {func(r *http.Request) { r.Method = http.MethodPut }, "the signature does not match"},
	} {
		r := newReq()
		c.mutate(r)
		_, err := v.verify(r, body)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: verify = %v, want %q", name, err, c.err)
		}
	}
}

// TestSigV4Refusals checks each reason a request is refused, and that the
// reason is named for the emulator's log.
func TestSigV4Refusals(t *testing.T) {
	t.Parallel()
	v := suiteVerifier("service")
	auth := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	withAuth := func(from, to string) func(r *http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", strings.Replace(auth, from, to, 1)) }
	}
	for name, c := range map[string]struct {
		mutate func(r *http.Request)
		body   string
		err    string
	}{
		"other path":        {func(r *http.Request) { r.URL.Path = "/x" }, "", "the signature does not match"},
		"wrong signature":   {withAuth("5fa0", "5fa1"), "", "the signature does not match"},
		"unknown key":       {withAuth("AKIDEXAMPLE", "AKIDOTHER"), "", `unknown access key "AKIDOTHER"`},
		"no auth":           {func(r *http.Request) { r.Header.Del("Authorization") }, "", "not AWS4-HMAC-SHA256"},
		"no signature":      {withAuth(", Signature=", ", Sig="), "", "lacks Credential, SignedHeaders or Signature"},
		"bad scope":         {withAuth("/aws4_request", "/aws5_request"), "", "malformed credential scope"},
		"wrong region":      {withAuth("/us-east-1/", "/eu-west-1/"), "", "signed for service in eu-west-1, want service in us-east-1"},
		"wrong service":     {withAuth("/service/", "/lambda/"), "", "signed for lambda in us-east-1, want service in us-east-1"},
		"stale":             {func(r *http.Request) { r.Header.Set("X-Amz-Date", "20150830T100000Z") }, "", "the request time is 2h36m0s away from now"},
		"future":            {func(r *http.Request) { r.Header.Set("X-Amz-Date", "20150830T130000Z") }, "", "the request time is -24m0s away from now"},
		"no date":           {func(r *http.Request) { r.Header.Del("X-Amz-Date") }, "", `bad X-Amz-Date ""`},
		"scope date":        {withAuth("/20150830/", "/20150831/"), "", "the credential scope's date is not the request's"},
		"host not signed":   {withAuth("host;x-amz-date", "x-amz-date"), "", "host is not signed"},
		"date not signed":   {withAuth("host;x-amz-date", "host"), "", "x-amz-date is not signed"},
		"unsorted":          {withAuth("host;x-amz-date", "x-amz-date;host"), "", `SignedHeaders "x-amz-date;host" is not a sorted list`},
		"duplicate":         {withAuth("host;x-amz-date", "host;host;x-amz-date"), "", `SignedHeaders "host;host;x-amz-date" is not a sorted list of distinct lower-case header names`},
		"upper case":        {withAuth("host;x-amz-date", "Host;x-amz-date"), "", `SignedHeaders "Host;x-amz-date" is not a sorted`},
		"empty name":        {withAuth("host;x-amz-date", ";host;x-amz-date"), "", "is not a sorted list"},
		"absent header":     {withAuth("host;x-amz-date", "host;my-header;x-amz-date"), "", `the signed header "my-header" is not in the request`},
		"zero length":       {withAuth("host;x-amz-date", "content-length;host;x-amz-date"), "", "content-length is signed for a request with a body of 0 bytes"},
		"payload hash":      {func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64)) }, "", "X-Amz-Content-Sha256 does not match the body"},
		"body not signed":   {func(*http.Request) {}, "a body", "the signature does not match"},
		"unsigned payload":  {func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") }, "", "X-Amz-Content-Sha256 is UNSIGNED-PAYLOAD"},
		"unsigned x-amz-*":  {func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "t") }, "", "the request's X-Amz-Security-Token header is not signed"},
		"signature in case": {withAuth("5fa00fa3", "5FA00FA3"), "", "the signature does not match"},
	} {
		req, _ := http.NewRequest(http.MethodGet, "http://example.amazonaws.com/", nil)
		req.Header.Set("X-Amz-Date", suiteDate)
		req.Header.Set("Authorization", auth)
		c.mutate(req)
		if _, err := v.verify(req, []byte(c.body)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: verify = %v, want %q", name, err, c.err)
		}
	}
}

// TestSigV4SDKSigned verifies requests signed by the AWS SDK's signer, which
// signs content-length and X-Amz-Content-Sha256 along with the rest.
func TestSigV4SDKSigned(t *testing.T) {
	t.Parallel()
	v := suiteVerifier("lambda")
	at := time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC)
	for _, body := range []string{"", `{"hello":"signed"}`} {
		req, _ := http.NewRequest(http.MethodPost, "http://abc.lambda-url.us-east-1.on.aws:8080/a%20b/c?x=1&x=0&y", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Custom", "  spaced   value ")
		sum := sha256.Sum256([]byte(body))
		hash := hex.EncodeToString(sum[:])
		req.Header.Set("X-Amz-Content-Sha256", hash)
		creds := aws.Credentials{AccessKeyID: suiteKey, SecretAccessKey: suiteSecret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "lambda", "us-east-1", at); err != nil {
			t.Fatal(err)
		}
		if key, err := v.verify(req, []byte(body)); err != nil || key != suiteKey {
			t.Errorf("body %q: verify = %q, %v (%s)", body, key, err, req.Header.Get("Authorization"))
		}
		req.Header.Set("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")
		if _, err := v.verify(req, []byte(body)); err != nil {
			t.Errorf("body %q: an unsigned X-Amzn-Trace-Id, which signers skip, made verify fail: %v", body, err)
		}
		req.Header.Set("X-Amz-Meta-Role", "admin")
		if _, err := v.verify(req, []byte(body)); err == nil || !strings.Contains(err.Error(), "X-Amz-Meta-Role header is not signed") {
			t.Errorf("body %q: an unsigned x-amz-* header: verify = %v", body, err)
		}
		req.Header.Del("X-Amz-Meta-Role")
		req.Header.Set("X-Custom", "other")
		if _, err := v.verify(req, []byte(body)); err == nil {
			t.Errorf("body %q: a changed signed header verified", body)
		}
	}
	// UNSIGNED-PAYLOAD, signed as such, with the body it was sent with or
	// another: refused either way.
	for _, sent := range []string{`{"hello":"signed"}`, `{"hello":"FORGED"}`} {
		req, _ := http.NewRequest(http.MethodPost, "http://abc.lambda-url.us-east-1.on.aws/p", strings.NewReader(sent))
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		creds := aws.Credentials{AccessKeyID: suiteKey, SecretAccessKey: suiteSecret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "lambda", "us-east-1", at); err != nil {
			t.Fatal(err)
		}
		if _, err := v.verify(req, []byte(sent)); err == nil || !strings.Contains(err.Error(), "UNSIGNED-PAYLOAD") {
			t.Errorf("UNSIGNED-PAYLOAD with body %s: verify = %v", sent, err)
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
