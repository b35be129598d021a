// Package protocol turns gRPC-Web (binary and text) and Connect (unary,
// GET and streaming) requests into calls seen message by message, and
// writes each call's answer back in its client's protocol.
//
// Each protocol is one file behind the wireFormat interface: how it is
// recognised, where its timeout and compression are said, how its request
// messages are framed, and how its response headers, messages and status
// are written. Everything else is shared by [Conn]. A dispatcher (package
// dispatch) runs a call through a Conn without knowing its protocol; nothing
// outside this package names one.
package protocol

import (
	"mime"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/status"
)

// wireFormat is one protocol.
type wireFormat interface {
	// String names the protocol in messages ("gRPC-Web").
	String() string
	// match reports whether a request with this method and content type
	// (lower case, without parameters; "" for none) is this protocol's,
	// and with which codec ("proto", "json").
	match(r *http.Request, contentType string) (codec string, ok bool)
	// allowsGET reports whether calls may use GET as well as POST.
	allowsGET() bool
	// timeout returns the client's timeout, -1 for none.
	timeout(r *http.Request) (time.Duration, *status.Status)
	// encodings returns the request messages' encoding ("" for none) and
	// the encodings the client accepts.
	encodings(r *http.Request) (enc, accept string)
	// openBody prepares the request's messages: c.body, c.bodyLen and, for
	// a message already in memory, c.unary.
	openBody(c *Conn) *status.Status
	// commit sets the response headers that say the content type and the
	// messages' encoding, and sends the headers, unless the protocol holds
	// them until the end.
	commit(c *Conn)
	// write writes p, a piece of the response's native gRPC frames: a
	// frame header, a message's bytes, or several whole frames.
	write(c *Conn, p []byte) error
	// flush hands what was written to the client.
	flush(c *Conn)
	// end writes the status and trailers that end the response.
	end(c *Conn, st *status.Status)
}

// protocols are tried in order: each content type prefix before a shorter
// one it extends (native gRPC, application/grpc, is tried between the
// gRPC-Web ones and Connect's).
var protocols = []wireFormat{webText, web, connectStream, connectUnary}

// match finds r's protocol; nil if it is none of them. native is true for
// a native gRPC call.
func match(r *http.Request) (p wireFormat, codec string, native bool) {
	ct := contentType(r)
	for _, p := range protocols[:2] {
		if codec, ok := p.match(r, ct); ok {
			return p, codec, false
		}
	}
	if isNative(r, ct) {
		return nil, "", true
	}
	for _, p := range protocols[2:] {
		if codec, ok := p.match(r, ct); ok {
			return p, codec, false
		}
	}
	return nil, "", false
}

// contentType returns r's content type in lower case without parameters.
// The common case needs no allocation: MIME parsing only runs when
// parameters are present.
func contentType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			ct = mt
		} else {
			ct = strings.TrimSpace(ct[:i])
		}
	}
	return strings.ToLower(ct)
}

// subtype matches "prefix" (codec "proto") and "prefix+codec".
func subtype(ct, prefix string) (string, bool) {
	if ct == prefix {
		return "proto", true
	}
	if len(ct) > len(prefix)+1 && strings.HasPrefix(ct, prefix) && ct[len(prefix)] == '+' {
		return ct[len(prefix)+1:], true
	}
	return "", false
}

// IsCall reports whether r's method and content type make it a gRPC-Web,
// Connect or native gRPC call, and whether a REST call could look the same
// (Connect unary's JSON and GET requests).
func IsCall(r *http.Request) (call, restLike bool) {
	p, _, native := match(r)
	switch {
	case native:
		return true, false
	case p == nil:
		return false, false
	}
	return true, p == connectUnary
}
