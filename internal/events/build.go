package events

import (
	"encoding/base64"
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

// NewV2Request builds the payload 2.0 event of an HTTP request as a
// Function URL presents it (spec §4.1): lower-case header names, repeated
// headers joined by commas, cookies in their own field, query parameters
// both raw and parsed, and a binary body in base64. rc is completed with
// the request's method, path, protocol and user agent.
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
		RawPath:               r.URL.EscapedPath(),
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
