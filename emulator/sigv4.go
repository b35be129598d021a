package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// sigv4 verifies AWS Signature Version 4 on requests to an AWS_IAM Function
// URL (service "lambda"), as Lambda does before invoking.
type sigv4 struct {
	service string // "lambda" for Function URLs
	region  string
	keys    map[string]string // access key id -> secret access key
	now     func() time.Time
}

// authorization is a parsed Authorization header.
type authorization struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

const sigAlgorithm = "AWS4-HMAC-SHA256"

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/
// SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (*authorization, error) {
	rest, ok := strings.CutPrefix(h, sigAlgorithm+" ")
	if !ok {
		return nil, errors.New("the Authorization header is not AWS4-HMAC-SHA256")
	}
	a := &authorization{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("malformed Authorization component %q", part)
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" || f[0] == "" {
				return nil, fmt.Errorf("malformed credential scope %q", v)
			}
			a.accessKey, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKey == "" || len(a.signedHeaders) == 0 || a.signature == "" {
		return nil, errors.New("the Authorization header lacks Credential, SignedHeaders or Signature")
	}
	return a, nil
}

// verify checks r's signature over body. The error says what is wrong, for
// the emulator's log; callers only learn "Forbidden", like Lambda's.
//
// The signature is recomputed with the AWS SDK's SigV4 signer: a copy of the
// request carrying exactly the headers the client declared in SignedHeaders
// is signed with the caller's secret, for the same region, service, time and
// payload hash, and the two signatures are compared in constant time.
func (s *sigv4) verify(r *http.Request, body []byte) (accessKey string, err error) {
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	secret, ok := s.keys[a.accessKey]
	if !ok {
		return "", fmt.Errorf("unknown access key %q", a.accessKey)
	}
	if a.service != s.service || a.region != s.region {
		return "", fmt.Errorf("signed for %s in %s, want %s in %s", a.service, a.region, s.service, s.region)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return "", fmt.Errorf("bad X-Amz-Date %q", amzDate)
	}
	if skew := s.now().Sub(t); skew > 15*time.Minute || skew < -15*time.Minute {
		return "", fmt.Errorf("the request time is %v away from now", skew.Round(time.Second))
	}
	if a.date != t.Format("20060102") {
		return "", errors.New("the credential scope's date is not the request's")
	}
	declared := strings.Join(a.signedHeaders, ";")
	if !sortedLowerDistinct(a.signedHeaders) {
		return "", fmt.Errorf("SignedHeaders %q is not a sorted list of distinct lower-case header names", declared)
	}
	for _, name := range []string{"host", "x-amz-date"} {
		if !slices.Contains(a.signedHeaders, name) {
			return "", fmt.Errorf("%s is not signed", name)
		}
	}
	// The body is always part of the signature: UNSIGNED-PAYLOAD is an S3
	// option, and a Function URL hashes the body it received.
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	switch sent := r.Header.Get("X-Amz-Content-Sha256"); sent {
	case "", payloadHash:
	case "UNSIGNED-PAYLOAD":
		return "", errors.New("X-Amz-Content-Sha256 is UNSIGNED-PAYLOAD: a Function URL verifies the body's hash")
	default:
		return "", errors.New("X-Amz-Content-Sha256 does not match the body")
	}
	// Every x-amz-* header the request carries is signed (the IAM User
	// Guide's SigV4 rules): an unsigned one could be added on the way.
	for name := range r.Header {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-amz-") && !slices.Contains(a.signedHeaders, lower) {
			return "", fmt.Errorf("the request's %s header is not signed", name)
		}
	}
	signed, err := signedPart(r, a.signedHeaders)
	if err != nil {
		return "", err
	}
	// A signer of its own: the SDK's caches derived keys by access key id,
	// not by secret, and emulators in one process may give one id different
	// secrets.
	creds := aws.Credentials{AccessKeyID: a.accessKey, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, signed, payloadHash, s.service, s.region, t); err != nil {
		return "", fmt.Errorf("signing the request again: %w", err)
	}
	want, err := parseAuthorization(signed.Header.Get("Authorization"))
	if err != nil {
		return "", fmt.Errorf("signing the request again: %w", err)
	}
	if got := strings.Join(want.signedHeaders, ";"); got != declared {
		return "", fmt.Errorf("signing the request again covered %q, not SignedHeaders %q", got, declared)
	}
	if !hmac.Equal([]byte(want.signature), []byte(a.signature)) {
		return "", errors.New("the signature does not match")
	}
	return a.accessKey, nil
}

// sortedLowerDistinct reports whether names are non-empty lower-case names
// in strictly increasing order, as SigV4's SignedHeaders must be.
func sortedLowerDistinct(names []string) bool {
	for i, n := range names {
		if n == "" || n != strings.ToLower(n) || i > 0 && names[i-1] >= n {
			return false
		}
	}
	return true
}

// amzDateFormat is X-Amz-Date's layout.
const amzDateFormat = "20060102T150405Z"

// signedPart returns a request for the signer to sign: r's method, host,
// path and query, and of its headers exactly those named in signed, so that
// the signer's SignedHeaders is the client's. The signer adds host and
// x-amz-date itself (from the Host and the signing time), signs
// content-length from ContentLength, and signs every other header it is
// given except a few (User-Agent, Expect, ...) that it skips by their
// canonical names: the headers are set under their lower-case names, which
// it signs as given. verify still compares the signer's SignedHeaders with
// the client's, so any difference is refused rather than misverified.
func signedPart(r *http.Request, signed []string) (*http.Request, error) {
	u := &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	req := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: make(http.Header, len(signed))}
	for _, name := range signed {
		switch name {
		case "host", "x-amz-date":
			continue
		case "content-length":
			if r.ContentLength <= 0 {
				return nil, fmt.Errorf("content-length is signed for a request with a body of %d bytes; only a positive length can be verified", r.ContentLength)
			}
			req.ContentLength = r.ContentLength
			continue
		}
		vals := r.Header.Values(name)
		if len(vals) == 0 {
			return nil, fmt.Errorf("the signed header %q is not in the request", name)
		}
		req.Header[name] = slices.Clone(vals)
	}
	return req, nil
}
