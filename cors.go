package lambdagrpc

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CORS configures cross-origin access for browsers.
type CORS struct {
	// AllowedOrigins lists the origins allowed to call, exactly as browsers
	// send them ("https://app.example.com"). "*" allows every origin and must
	// be given explicitly. Empty allows none.
	AllowedOrigins []string
	// AllowedHeaders lists the request headers (metadata) browsers may send.
	// Empty allows whatever the preflight asks for, because gRPC metadata keys
	// are the application's own.
	AllowedHeaders []string
	// ExposedHeaders lists response headers, beyond those of the protocols
	// (grpc-status, grpc-message, grpc-status-details-bin, grpc-encoding,
	// connect-content-encoding, content-encoding), that scripts may read.
	ExposedHeaders []string
	// AllowCredentials lets browsers send cookies and HTTP authentication.
	// The default is false. It cannot be combined with the "*" origin.
	AllowCredentials bool
	// MaxAge is how long browsers may cache a preflight answer. Zero means
	// 2 hours; a negative value sends no Access-Control-Max-Age.
	MaxAge time.Duration
}

var protocolExposed = []string{
	"Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin", "Grpc-Encoding",
	"Connect-Content-Encoding", "Content-Encoding",
}

// corsPolicy is a CORS precomputed so requests do not allocate for it.
type corsPolicy struct {
	anyOrigin   bool
	origins     []string
	headers     string // empty: mirror the preflight's request
	exposed     string
	credentials bool
	maxAge      string
	methods     string // allowed methods; empty: GET and POST
}

func newCORSPolicy(c CORS) *corsPolicy {
	p := &corsPolicy{credentials: c.AllowCredentials}
	for _, o := range c.AllowedOrigins {
		if o == "*" {
			p.anyOrigin = true
		} else {
			p.origins = append(p.origins, strings.TrimRight(o, "/"))
		}
	}
	if p.anyOrigin && p.credentials {
		// Browsers reject "*" with credentials; echoing any origin with
		// credentials would be unsafe, so credentials lose.
		p.credentials = false
	}
	p.headers = strings.Join(c.AllowedHeaders, ", ")
	p.exposed = strings.Join(append(slices.Clone(protocolExposed), c.ExposedHeaders...), ", ")
	switch {
	case c.MaxAge == 0:
		p.maxAge = "7200"
	case c.MaxAge > 0:
		p.maxAge = strconv.Itoa(int(c.MaxAge / time.Second))
	}
	return p
}

func (p *corsPolicy) allowed(origin string) bool {
	return p.anyOrigin || slices.Contains(p.origins, origin)
}

// handle adds CORS headers for a cross-origin request and answers a
// preflight. It reports whether the request was fully answered.
func (p *corsPolicy) handle(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if !p.allowed(origin) {
		if preflight {
			w.WriteHeader(http.StatusForbidden)
			return true
		}
		return false
	}
	if p.anyOrigin {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if p.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if !preflight {
		h.Set("Access-Control-Expose-Headers", p.exposed)
		return false
	}
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	if p.methods != "" {
		h.Set("Access-Control-Allow-Methods", p.methods)
	} else {
		h.Set("Access-Control-Allow-Methods", "GET, POST")
	}
	if p.headers != "" {
		h.Set("Access-Control-Allow-Headers", p.headers)
	} else if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	if p.maxAge != "" {
		h.Set("Access-Control-Max-Age", p.maxAge)
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}
