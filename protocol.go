package lambdagrpc

import (
	"mime"
	"net/http"
	"strings"
)

// protocol is the wire protocol of one request.
type protocol uint8

const (
	protoUnknown       protocol = iota
	protoGRPC                   // native gRPC, HTTP/2 only
	protoWeb                    // gRPC-Web binary
	protoWebText                // gRPC-Web text (base64)
	protoConnectUnary           // Connect unary, POST or GET
	protoConnectStream          // Connect streaming
)

func (p protocol) String() string {
	switch p {
	case protoGRPC:
		return "gRPC"
	case protoWeb:
		return "gRPC-Web"
	case protoWebText:
		return "gRPC-Web text"
	case protoConnectUnary:
		return "Connect unary"
	case protoConnectStream:
		return "Connect streaming"
	}
	return "unknown"
}

// classify tells the protocol and codec name ("proto", "json") of r from
// its method and content type. A Connect GET carries its codec in the
// query string.
func classify(r *http.Request) (protocol, string) {
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		if q.Has("message") || q.Get("connect") == "v1" {
			enc := q.Get("encoding")
			if enc == "" {
				enc = "proto"
			}
			return protoConnectUnary, enc
		}
		return protoUnknown, ""
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return protoUnknown, ""
	}
	// The common case needs no allocation: compare prefixes directly and only
	// fall back to MIME parsing when parameters are present.
	base := ct
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			base = mt
		} else {
			base = strings.TrimSpace(ct[:i])
		}
	}
	base = strings.ToLower(base)
	sub := func(prefix string) (string, bool) {
		if base == prefix {
			return "proto", true
		}
		if len(base) > len(prefix)+1 && strings.HasPrefix(base, prefix) && base[len(prefix)] == '+' {
			return base[len(prefix)+1:], true
		}
		return "", false
	}
	if s, ok := sub("application/grpc-web-text"); ok {
		return protoWebText, s
	}
	if s, ok := sub("application/grpc-web"); ok {
		return protoWeb, s
	}
	if s, ok := sub("application/grpc"); ok {
		return protoGRPC, s
	}
	if strings.HasPrefix(base, "application/connect+") {
		return protoConnectStream, base[len("application/connect+"):]
	}
	if strings.HasPrefix(base, "application/") {
		return protoConnectUnary, base[len("application/"):]
	}
	return protoUnknown, ""
}

// responseContentType is the content type of a successful response.
func (p protocol) responseContentType(codec string) string {
	switch p {
	case protoWeb:
		return "application/grpc-web+" + codec
	case protoWebText:
		return "application/grpc-web-text+" + codec
	case protoConnectStream:
		return "application/connect+" + codec
	case protoConnectUnary:
		return "application/" + codec
	}
	return "application/grpc+" + codec
}
