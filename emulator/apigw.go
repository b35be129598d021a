package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
)

// albTextual reports whether an ALB passes a body of this content type as
// text (spec §4.5); everything else arrives base64-encoded.
func albTextual(ct string) bool {
	ct = strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
	return strings.HasPrefix(ct, "text/") || ct == "application/json" || ct == "application/javascript" || ct == "application/xml"
}

// eventV1 builds a payload format 1.0 event: a REST API proxy integration,
// or an HTTP API with payload format 1.0 (which says "version":"1.0" and
// lower-cases header names).
func (f *frontDoor) eventV1(r *http.Request, body []byte, tr trace) ([]byte, error) {
	cfg := &f.e.cfg
	now := time.Now().UTC()
	domain := f.apiID + ".execute-api." + cfg.Region + ".amazonaws.com"
	name := func(k string) string { return k }
	// A REST API's path leaves the stage out and requestContext.path has
	// it; both keep the client's percent-encoding. An HTTP API's payload
	// 1.0 has the path decoded, a named stage included, in both.
	path, contextPath := events.SentPath(r), events.SentPath(r)
	if f.kind == HTTPAPIv1 {
		name = strings.ToLower
		path, contextPath = r.URL.Path, r.URL.Path
	} else {
		path = strings.TrimPrefix(path, "/"+f.stage)
		if path == "" {
			path = "/"
		}
	}
	single := make(map[string]string, len(r.Header)+1)
	multi := make(map[string][]string, len(r.Header)+1)
	for k, vs := range r.Header {
		single[name(k)] = vs[len(vs)-1]
		multi[name(k)] = vs
	}
	single[name("Host")], multi[name("Host")] = domain, []string{domain}
	// API Gateway passes the caller's trace header on, or adds the one it
	// started, which is the function's.
	trace := name("X-Amzn-Trace-Id")
	single[trace], multi[trace] = tr.header(), []string{tr.header()}
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	var qs map[string]string
	var mqs map[string][]string
	if vals, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(vals) > 0 {
		qs, mqs = make(map[string]string, len(vals)), map[string][]string(vals)
		for k, vs := range vals {
			qs[k] = vs[len(vs)-1]
		}
	}
	ev := events.V1Request{
		Resource:                        "/{proxy+}",
		Path:                            path,
		HTTPMethod:                      r.Method,
		Headers:                         single,
		MultiValueHeaders:               multi,
		QueryStringParameters:           qs,
		MultiValueQueryStringParameters: mqs,
		PathParameters:                  map[string]string{"proxy": strings.TrimPrefix(path, "/")},
		RequestContext: events.V1RequestContext{
			AccountID:         "123456789012",
			ResourceID:        "abc123",
			Stage:             f.stage,
			RequestID:         uuid(),
			ExtendedRequestID: randomID(16),
			Identity:          events.V1Identity{SourceIP: sourceIP, UserAgent: r.UserAgent()},
			ResourcePath:      "/{proxy+}",
			Path:              contextPath,
			HTTPMethod:        r.Method,
			APIID:             f.apiID,
			Protocol:          r.Proto,
			RequestTime:       now.Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch:  now.UnixMilli(),
			DomainName:        domain,
		},
	}
	if f.kind == HTTPAPIv1 {
		ev.Version = "1.0"
	}
	if len(body) > 0 {
		// REST APIs base64-encode the content types listed as binary; the
		// emulator treats every non-text type as binary, as "*/*" would.
		b := string(body)
		if !events.Textual(r.Header.Get("Content-Type"), body) {
			b = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
		ev.Body = &b
	}
	return json.Marshal(&ev)
}

// eventALB builds an ALB target group event.
func (f *frontDoor) eventALB(r *http.Request, body []byte, tr trace) ([]byte, error) {
	// An ALB passes the path on as the client sent it, still encoded.
	ev := events.ALBRequest{HTTPMethod: r.Method, Path: events.SentPath(r)}
	ev.RequestContext.ELB.TargetGroupARN = "arn:aws:elasticloadbalancing:" + f.e.cfg.Region + ":123456789012:targetgroup/" + f.e.cfg.Name + "/" + f.apiID
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	// ALB passes query strings on still percent-encoded.
	var pairs [][2]string
	for part := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		pairs = append(pairs, [2]string{k, v})
	}
	headers := func(add func(k, v string)) {
		for k, vs := range r.Header {
			if k == "X-Amzn-Trace-Id" {
				continue
			}
			for _, v := range vs {
				add(strings.ToLower(k), v)
			}
		}
		// An ALB passes the caller's trace header on, or adds one.
		add("x-amzn-trace-id", tr.header())
		add("host", r.Host)
		add("x-forwarded-for", sourceIP)
		add("x-forwarded-proto", "http")
	}
	if f.multi {
		ev.MultiValueHeaders = map[string][]string{}
		headers(func(k, v string) { ev.MultiValueHeaders[k] = append(ev.MultiValueHeaders[k], v) })
		ev.MultiValueQueryStringParameters = map[string][]string{}
		for _, p := range pairs {
			ev.MultiValueQueryStringParameters[p[0]] = append(ev.MultiValueQueryStringParameters[p[0]], p[1])
		}
	} else {
		ev.Headers = map[string]string{}
		headers(func(k, v string) { ev.Headers[k] = v })
		ev.QueryStringParameters = map[string]string{}
		for _, p := range pairs {
			ev.QueryStringParameters[p[0]] = p[1]
		}
	}
	if len(body) > 0 {
		if albTextual(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return json.Marshal(&ev)
}

// bufferedV1 writes a payload 1.0 or ALB response. Any other shape is a
// bad gateway, as API Gateway and ALBs answer it.
func (f *frontDoor) bufferedV1(w http.ResponseWriter, o *outcome) {
	var resp events.V1Response
	var probe map[string]json.RawMessage
	if json.Unmarshal(o.body, &probe) != nil || probe["statusCode"] == nil || json.Unmarshal(o.body, &resp) != nil {
		f.e.cfg.Logger.Warn("emulator: the function's answer is not a valid response for this front door", "function", f.e.cfg.Name, "frontDoor", f.kind)
		f.badGateway(w, "Function.InvalidResponse")
		return
	}
	if f.multi && len(resp.Headers) > 0 && len(resp.MultiValueHeaders) == 0 {
		// A multi-value target group takes only multiValueHeaders.
		f.badGateway(w, "Function.InvalidResponse")
		return
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			f.badGateway(w, "Function.InvalidResponse")
			return
		}
		body = b
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	code := resp.StatusCode
	if code < 100 || code > 999 {
		f.badGateway(w, "Function.InvalidResponse")
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
