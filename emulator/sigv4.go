package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
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
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return "", fmt.Errorf("bad X-Amz-Date %q", amzDate)
	}
	if skew := s.now().Sub(t); skew > 15*time.Minute || skew < -15*time.Minute {
		return "", fmt.Errorf("the request time is %v away from now", skew.Round(time.Second))
	}
	if a.date != t.Format("20060102") {
		return "", errors.New("the credential scope's date is not the request's")
	}
	if !contains(a.signedHeaders, "host") {
		return "", errors.New("host is not signed")
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	sum := sha256.Sum256(body)
	actual := hex.EncodeToString(sum[:])
	switch payloadHash {
	case "":
		payloadHash = actual
	case "UNSIGNED-PAYLOAD":
	default:
		if payloadHash != actual {
			return "", errors.New("X-Amz-Content-Sha256 does not match the body")
		}
	}
	canonical := strings.Join([]string{
		r.Method,
		canonicalURI(r.URL),
		canonicalQuery(r.URL),
		canonicalHeaders(r, a.signedHeaders),
		strings.Join(a.signedHeaders, ";"),
		payloadHash,
	}, "\n")
	scope := strings.Join([]string{a.date, a.region, a.service, "aws4_request"}, "/")
	ch := sha256.Sum256([]byte(canonical))
	toSign := sigAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(ch[:])
	key := hmacSHA256([]byte("AWS4"+secret), a.date)
	key = hmacSHA256(key, a.region)
	key = hmacSHA256(key, a.service)
	key = hmacSHA256(key, "aws4_request")
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return "", errors.New("the signature does not match")
	}
	return a.accessKey, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// uriEncode percent-encodes everything but RFC 3986's unreserved
// characters (and '/' when keepSlash).
func uriEncode(s string, keepSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// canonicalURI encodes the already-escaped path once more, as SigV4 does
// for every service but S3.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	return uriEncode(p, true)
}

func canonicalQuery(u *url.URL) string {
	q := u.Query()
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, kv{uriEncode(k, false), uriEncode(v, false)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		var vals []string
		if name == "host" {
			vals = []string{r.Host}
		} else {
			vals = r.Header.Values(name)
		}
		for i, v := range vals {
			vals[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(strings.Join(vals, ","))
		b.WriteByte('\n')
	}
	return b.String()
}
