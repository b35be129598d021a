package events

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Textual reports whether a Function URL passes a body of this content
// type as text rather than base64: text types, JSON, XML, JavaScript and
// forms, when the bytes are valid UTF-8.
func Textual(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	if !utf8.Valid(body) {
		return false
	}
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "xml") ||
		strings.Contains(ct, "javascript") || strings.HasPrefix(ct, "application/x-www-form-urlencoded")
}

// SentPath returns the path of r as the client sent it, percent-encoding
// and all: the request target of a request a server received, less its
// query; for a request about to be sent, its URL's escaped path.
func SentPath(r *http.Request) string {
	if t := r.RequestURI; strings.HasPrefix(t, "/") {
		t, _, _ = strings.Cut(t, "?")
		return t
	}
	return r.URL.EscapedPath()
}

// NewV2Request builds the payload 2.0 event of an HTTP request as a
// Function URL presents it (spec §4.1): rawPath as the client sent it
// (still percent-encoded; an HTTP API decodes it, which its caller does),
// lower-case header names, repeated headers joined by commas, cookies in
// their own field, query parameters both raw and parsed, and a binary body
// in base64. rc is completed with the request's method, decoded path,
// protocol and user agent.
func NewV2Request(r *http.Request, body []byte, rc V2RequestContext) V2Request {
	headers := make(map[string]string, len(r.Header)+1)
	var cookies []string
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lk] = strings.Join(vs, ",")
	}
	var query map[string]string
	if r.URL.RawQuery != "" {
		if vals, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(vals) > 0 {
			query = make(map[string]string, len(vals))
			for k, vs := range vals {
				query[k] = strings.Join(vs, ",")
			}
		}
	}
	rc.HTTP.Method = r.Method
	rc.HTTP.Path = r.URL.Path
	rc.HTTP.Protocol = r.Proto
	rc.HTTP.UserAgent = r.UserAgent()
	ev := V2Request{
		Version:               "2.0",
		RouteKey:              "$default",
		RawPath:               SentPath(r),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		RequestContext:        rc,
	}
	if rc.RouteKey == "" {
		ev.RequestContext.RouteKey = "$default"
	}
	if len(body) > 0 {
		if Textual(r.Header.Get("Content-Type"), body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// preludeDelimiter ends the JSON prelude of a streamed HTTP-integration
// response (runtimeapi.PreludeDelimiter; repeated here to keep this package
// free of imports).
var preludeDelimiter = []byte{0, 0, 0, 0, 0, 0, 0, 0}

// maxPrelude bounds a streamed response's prelude.
const maxPrelude = 1 << 20

// ReadPrelude reads the JSON prelude and eight NUL bytes that open a
// streamed HTTP-integration response, returning any body bytes read past
// them.
func ReadPrelude(r io.Reader) (*StreamPrelude, []byte, error) {
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		if i := bytes.Index(buf, preludeDelimiter); i >= 0 {
			p, err := ParsePrelude(buf[:i])
			return p, buf[i+len(preludeDelimiter):], err
		}
		if len(buf) > maxPrelude {
			return nil, nil, fmt.Errorf("no prelude delimiter in the first %d bytes", maxPrelude)
		}
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if err != nil {
			if errors.Is(err, io.EOF) && bytes.Contains(buf, preludeDelimiter) {
				continue
			}
			if errors.Is(err, io.EOF) {
				return nil, nil, errors.New("the stream ended before the prelude delimiter")
			}
			return nil, nil, err
		}
	}
}

// ParsePrelude parses the JSON prelude of a streamed HTTP-integration
// response.
func ParsePrelude(b []byte) (*StreamPrelude, error) {
	var p StreamPrelude
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("invalid streamed response prelude: %w", err)
	}
	if p.StatusCode != 0 && (p.StatusCode < 100 || p.StatusCode > 999) {
		return nil, fmt.Errorf("invalid streamed response prelude: status code %d", p.StatusCode)
	}
	return &p, nil
}
