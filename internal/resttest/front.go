package resttest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
)

// Response is what a front end answered to a Request, reduced to what the
// differential compares.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers, with the values of a repeated
	// header joined by commas, as a Lambda response document has them.
	Header http.Header
	// Trailer holds the HTTP trailers, joined the same way.
	Trailer http.Header
	// Body is the whole response body.
	Body []byte
}

// Front answers a Request: one REST front end, reached one way.
type Front func(ctx context.Context, r Request) (Response, error)

// HandlerFront sends each request to h in process, as net/http would.
func HandlerFront(h http.Handler) Front {
	return func(ctx context.Context, r Request) (Response, error) {
		req, err := r.HTTPRequest()
		if err != nil {
			return Response{}, err
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(ctx))
		res := rec.Result()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			return Response{}, err
		}
		return Response{Status: res.StatusCode, Header: joined(res.Header), Trailer: joined(res.Trailer), Body: body}, nil
	}
}

// EventFront sends each request as the payload 2.0 event of a Function
// URL to invoke (an EventHandler's Invoke), and reads the buffered response
// document it answers with.
func EventFront(invoke func(ctx context.Context, event []byte) ([]byte, error)) Front {
	return func(ctx context.Context, r Request) (Response, error) {
		req, err := r.HTTPRequest()
		if err != nil {
			return Response{}, err
		}
		body, err := r.BodyBytes()
		if err != nil {
			return Response{}, err
		}
		ip, _, _ := net.SplitHostPort(RemoteAddr)
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		ev := events.NewV2Request(req, body, events.V2RequestContext{
			DomainName: req.Host, Stage: "$default", RequestID: "resttest-" + r.Name,
			Time: now.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.V2HTTP{SourceIP: ip},
		})
		ev.Headers["host"] = req.Host
		payload, err := json.Marshal(&ev)
		if err != nil {
			return Response{}, err
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		doc, err := invoke(ctx, payload)
		if err != nil {
			return Response{}, fmt.Errorf("resttest: %s: the invocation failed: %w", r.Name, err)
		}
		var out events.V2Response
		if err := json.Unmarshal(doc, &out); err != nil || out.StatusCode == 0 {
			return Response{}, fmt.Errorf("resttest: %s: the answer is not a response document: %q", r.Name, doc)
		}
		res := Response{Status: out.StatusCode, Header: http.Header{}, Trailer: http.Header{}, Body: []byte(out.Body)}
		if out.IsBase64Encoded {
			if res.Body, err = base64.StdEncoding.DecodeString(out.Body); err != nil {
				return Response{}, fmt.Errorf("resttest: %s: the body is not base64: %w", r.Name, err)
			}
		}
		for k, v := range out.Headers {
			res.Header.Set(k, v)
		}
		for _, c := range out.Cookies {
			res.Header.Add("Set-Cookie", c)
		}
		return res, nil
	}
}

// joined returns h with the values of each header joined by commas.
func joined(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		out[http.CanonicalHeaderKey(k)] = []string{strings.Join(vs, ",")}
	}
	return out
}
