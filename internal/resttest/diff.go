package resttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
)

// Compared headers. The differential compares these, and every header
// whose name starts with "Grpc-" (Grpc-Metadata-* from response headers,
// Grpc-Trailer-* from trailers), on both sides:
//
//   - Content-Type: the marshaler's, or an HttpBody's own;
//   - WWW-Authenticate: grpc-gateway sets it to the message of an
//     UNAUTHENTICATED status;
//   - Trailer: the trailers grpc-gateway announces when the request
//     accepts them (TE: trailers), compared as a set because grpc-gateway
//     lists them in map order.
//
// Other headers are not compared: Date; Content-Length, which net/http
// or the Lambda response document supplies (grpc-gateway sets none by
// default); Transfer-Encoding, a hop-by-hop header that grpc-gateway sets
// on streams and that a Lambda response document cannot carry; and the
// CORS headers, which lambdagrpc answers for every protocol and grpc-gateway
// leaves to the user.
var comparedHeaders = []string{"Content-Type", "Www-Authenticate", "Trailer"}

// Mismatch is one way a subject's answer differs from grpc-gateway's.
type Mismatch struct {
	// Aspect names what differs: "status", "header Content-Type",
	// "trailer Grpc-Trailer-X", "body", "body bytes" (the same JSON,
	// different bytes), "error code", "error details", "error message".
	Aspect string
	// Want is grpc-gateway's, Got the subject's.
	Want, Got string
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s: grpc-gateway %s, subject %s", m.Aspect, clip(m.Want), clip(m.Got))
}

// clip shortens s for a test log.
func clip(s string) string {
	const max = 2000
	if len(s) > max {
		return fmt.Sprintf("%q... (%d bytes)", s[:max], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// Compare returns how got, a subject's answer to r, differs from want,
// grpc-gateway's. JSON bodies are compared byte for byte: grpc-gateway's
// are deterministic within one binary (protojson sorts map keys, and its
// random spaces are fixed per binary), and the issue asks for the same
// bytes; a byte difference between equal JSON values is its own aspect,
// "body bytes". The error of a request that the front end itself refuses
// (r.FrontError) is compared by code and details, and its message only for
// being there.
func Compare(r Request, want, got Response) []Mismatch {
	var ms []Mismatch
	add := func(aspect, w, g string) {
		if w != g {
			ms = append(ms, Mismatch{Aspect: aspect, Want: w, Got: g})
		}
	}
	add("status", fmt.Sprint(want.Status), fmt.Sprint(got.Status))
	for _, k := range headerNames(want.Header, got.Header) {
		w, g := want.Header.Get(k), got.Header.Get(k)
		if k == "Trailer" {
			w, g = asSet(w), asSet(g)
		}
		add("header "+k, w, g)
	}
	for _, k := range headerNames(want.Trailer, got.Trailer) {
		add("trailer "+k, want.Trailer.Get(k), got.Trailer.Get(k))
	}
	if r.FrontError && want.Status >= 400 {
		return append(ms, compareStatus(want.Body, got.Body)...)
	}
	if bytes.Equal(want.Body, got.Body) {
		return ms
	}
	if isJSON(want.Header.Get("Content-Type")) && sameJSON(want.Body, got.Body) {
		return append(ms, Mismatch{Aspect: "body bytes", Want: string(want.Body), Got: string(got.Body)})
	}
	return append(ms, Mismatch{Aspect: "body", Want: string(want.Body), Got: string(got.Body)})
}

// headerNames lists the compared headers present on either side, sorted.
func headerNames(a, b http.Header) []string {
	set := map[string]bool{}
	for _, h := range []http.Header{a, b} {
		for k := range h {
			if strings.HasPrefix(k, "Grpc-") {
				set[k] = true
			}
		}
		for _, k := range comparedHeaders {
			if _, ok := h[k]; ok {
				set[k] = true
			}
		}
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// asSet sorts the comma-separated names in v.
func asSet(v string) string {
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func isJSON(contentType string) bool {
	return strings.Contains(strings.ToLower(contentType), "json")
}

// sameJSON reports whether a and b hold equal JSON values, or equal
// newline-delimited sequences of them.
func sameJSON(a, b []byte) bool {
	va, oka := decodeAll(a)
	vb, okb := decodeAll(b)
	return oka && okb && reflect.DeepEqual(va, vb)
}

func decodeAll(b []byte) ([]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var vs []any
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		vs = append(vs, v)
	}
	return vs, true
}

// rpcStatus is the JSON of a google.rpc.Status, as grpc-gateway writes it.
type rpcStatus struct {
	Code    *int              `json:"code"`
	Message *string           `json:"message"`
	Details []json.RawMessage `json:"details"`
}

// compareStatus compares two google.rpc.Status bodies by code and details;
// the subject's message must be there and not empty.
func compareStatus(want, got []byte) []Mismatch {
	var w, g rpcStatus
	if err := json.Unmarshal(want, &w); err != nil || w.Code == nil {
		return []Mismatch{{Aspect: "body", Want: string(want), Got: "(grpc-gateway's error body is not a google.rpc.Status)"}}
	}
	if err := json.Unmarshal(got, &g); err != nil || g.Code == nil {
		return []Mismatch{{Aspect: "body", Want: string(want), Got: string(got)}}
	}
	var ms []Mismatch
	if *w.Code != *g.Code {
		ms = append(ms, Mismatch{Aspect: "error code", Want: fmt.Sprint(*w.Code), Got: fmt.Sprint(*g.Code)})
	}
	wd, _ := json.Marshal(w.Details)
	gd, _ := json.Marshal(g.Details)
	if !sameJSON(wd, gd) {
		ms = append(ms, Mismatch{Aspect: "error details", Want: string(wd), Got: string(gd)})
	}
	if g.Message == nil || *g.Message == "" {
		ms = append(ms, Mismatch{Aspect: "error message", Want: *w.Message, Got: ""})
	}
	return ms
}
