package lambdagrpc

import (
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// route returns the method a request path names: "/package.Service/Method"
// exactly, below the configured prefix. The path is read as sent
// (escaped), and no segment is skipped, cleaned or guessed: a front door's
// rule on a path prefix, or an authorizer's, must see the method this
// handler will run. Only the bytes of a protobuf full name are accepted,
// so no escape (%2F among them), query or fragment delimiter, space,
// control or non-ASCII byte can make two readers of a path disagree.
func (h *handler) route(u *url.URL) (string, bool) {
	// RawPath is the path as sent when it holds an escape that Path cannot
	// show (%2F among them); otherwise Path is, less escapes of characters
	// that are never separators, and it costs no scan.
	p := u.RawPath
	if p == "" {
		p = u.Path
	}
	if pre := h.cfg.pathPrefix; pre != "" {
		rest, ok := strings.CutPrefix(p, pre)
		if !ok {
			return "", false
		}
		p = rest
	}
	if !methodPath(p) {
		return "", false
	}
	return p, true
}

// methodPath reports whether p, a path below the prefix, names a method:
// "/package.Service/Method" exactly.
func methodPath(p string) bool {
	// Exactly "/" service "/" method, each a run of name bytes other than
	// a dot segment.
	if len(p) < 4 || p[0] != '/' {
		return false
	}
	slash := 0
	for i := 1; i < len(p); i++ {
		switch c := p[i]; {
		case c == '/':
			if slash != 0 {
				return false
			}
			slash = i
		case !nameByte[c]:
			return false
		}
	}
	return slash != 0 && !dotSegment(p[1:slash]) && !dotSegment(p[slash+1:])
}

// nameByte holds the bytes of a protobuf full name: [A-Za-z0-9._].
var nameByte = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
	}
	return t
}()

// dotSegment reports whether a path segment is empty, "." or "..", which
// a proxy would drop or resolve.
func dotSegment(s string) bool { return s == "" || s == "." || s == ".." }

// noRoute is the status of a call whose path names no method: what grpc-go
// answers for an unknown method.
func (h *handler) noRoute(u *url.URL) *status.Status {
	if h.cfg.pathPrefix != "" {
		return status.Newf(codes.Unimplemented, "no method at path %q: calls go to %s/<package.Service>/<Method>", u.EscapedPath(), h.cfg.pathPrefix)
	}
	return status.Newf(codes.Unimplemented, "no method at path %q: calls go to /<package.Service>/<Method>", u.EscapedPath())
}
