package resttest

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
)

// RemoteAddr is the client address of every corpus request, so that the
// X-Forwarded-For that a front end derives from it is the same on both
// sides.
const RemoteAddr = "192.0.2.10:4321"

// Host is the Host of every corpus request that does not set its own.
const Host = "library.example"

// Request is one REST request of the differential corpus.
type Request struct {
	// Name identifies the request in test names and in knownDifferences.
	Name string `json:"name"`
	// Method is the HTTP method.
	Method string `json:"method"`
	// Target is the request target exactly as sent: the path, escapes and
	// all, and the raw query.
	Target string `json:"target"`
	// Header holds the request headers.
	Header map[string][]string `json:"header,omitempty"`
	// Body is the request body, as text.
	Body string `json:"body,omitempty"`
	// BodyBase64 is the request body in base64, for bytes that are not
	// text; it replaces Body.
	BodyBase64 string `json:"bodyBase64,omitempty"`
	// Status is what grpc-gateway answers, which the test checks so that
	// the corpus keeps testing what it says it tests.
	Status int `json:"status"`
	// FrontError marks a request that the front end itself refuses (a
	// path, query or body it cannot map): the wording of the error message
	// is then the front end's own, so only its code and details are
	// compared.
	FrontError bool `json:"frontError,omitempty"`
	// About says what the request tests.
	About string `json:"about,omitempty"`
}

// LoadCorpus reads a corpus file: a JSON array of Request.
func LoadCorpus(path string) ([]Request, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var reqs []Request
	if err := json.Unmarshal(b, &reqs); err != nil {
		return nil, fmt.Errorf("resttest: %s: %w", path, err)
	}
	seen := map[string]bool{}
	for _, r := range reqs {
		if r.Name == "" || seen[r.Name] {
			return nil, fmt.Errorf("resttest: %s: request name %q is empty or repeated", path, r.Name)
		}
		seen[r.Name] = true
	}
	return reqs, nil
}

// BodyBytes returns the body of r.
func (r Request) BodyBytes() ([]byte, error) {
	if r.BodyBase64 != "" {
		return base64.StdEncoding.DecodeString(r.BodyBase64)
	}
	return []byte(r.Body), nil
}

// HTTPRequest returns r as a server receives it: its bytes on the wire,
// parsed by net/http, so that the target keeps its escapes (RequestURI,
// URL.RawPath) and a request that net/http refuses fails here.
func (r Request) HTTPRequest() (*http.Request, error) {
	body, err := r.BodyBytes()
	if err != nil {
		return nil, fmt.Errorf("resttest: %s: body: %w", r.Name, err)
	}
	var raw strings.Builder
	fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\n", r.Method, r.Target)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	host := false
	for _, k := range keys {
		if strings.EqualFold(k, "Host") {
			host = true
		}
		for _, v := range r.Header[k] {
			fmt.Fprintf(&raw, "%s: %s\r\n", k, v)
		}
	}
	if !host {
		fmt.Fprintf(&raw, "Host: %s\r\n", Host)
	}
	if len(body) > 0 {
		fmt.Fprintf(&raw, "Content-Length: %d\r\n", len(body))
	}
	raw.WriteString("\r\n")
	raw.Write(body)
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw.String())))
	if err != nil {
		return nil, fmt.Errorf("resttest: %s: net/http refuses the request: %w", r.Name, err)
	}
	req.RemoteAddr = RemoteAddr
	return req, nil
}
