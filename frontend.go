package lambdagrpc

import (
	"net/http"
	"strings"

	"github.com/lambdagrpc/lambdagrpc/internal/frontend"
	"github.com/lambdagrpc/lambdagrpc/internal/protocol"
)

// The root makes the options of protocols that live in packages of their
// own (REST, in package rest), so that it need not import them.
func init() {
	frontend.Option = func(f frontend.Frontend) any {
		return optionFunc(func(c *config) { c.frontends = append(c.frontends, f) })
	}
}

// startFrontends starts the configured frontends on h's server.
func (h *handler) startFrontends() error {
	if len(h.cfg.frontends) == 0 {
		return nil
	}
	for _, f := range h.cfg.frontends {
		fh, err := f.Start(h.srv, h.serveConn, h.cfg.pathPrefix)
		if err != nil {
			return err
		}
		h.fronts = append(h.fronts, fh)
	}
	if h.cfg.cors != nil {
		// REST calls use the other methods too.
		p := *h.cfg.cors
		p.methods = "GET, POST, PUT, PATCH, DELETE"
		h.cfg.cors = &p
	}
	h.services = make(map[string]bool)
	for svc := range h.srv.GetServiceInfo() {
		h.services[svc] = true
	}
	for _, f := range h.fronts {
		for _, svc := range f.Services() {
			h.services[svc] = true
		}
	}
	return nil
}

// serveFrontends offers r to the frontends unless it is another
// protocol's call, and reports whether one answered. gRPC-Web, native gRPC
// and Connect streaming calls are never a frontend's. A Connect unary
// request (JSON, or a GET) is, unless its path names a service the server
// has: then it is a Connect call, answered as one even when the method is
// unknown.
func (h *handler) serveFrontends(w http.ResponseWriter, r *http.Request) bool {
	call, restLike := protocol.IsCall(r)
	if call && !restLike {
		return false
	}
	if call {
		if m, ok := h.route(r.URL); ok {
			svc, _, _ := strings.Cut(m[1:], "/")
			if h.services[svc] {
				return false
			}
		}
	}
	r, ok := h.unprefixed(r)
	if !ok {
		return false // outside the prefix, as a call there is
	}
	for _, f := range h.fronts {
		if f.Serve(w, r) {
			return true
		}
	}
	return false
}

// unprefixed returns r with the configured path prefix taken off its
// path, as the other protocols' calls are routed below it; false when the
// path is not below the prefix.
func (h *handler) unprefixed(r *http.Request) (*http.Request, bool) {
	pre := h.cfg.pathPrefix
	if pre == "" {
		return r, true
	}
	p, ok := strings.CutPrefix(r.URL.Path, pre)
	if !ok || !strings.HasPrefix(p, "/") {
		return r, false
	}
	raw := r.URL.RawPath
	if raw != "" {
		if raw, ok = strings.CutPrefix(raw, pre); !ok || !strings.HasPrefix(raw, "/") {
			return r, false
		}
	}
	u := *r.URL
	u.Path, u.RawPath = p, raw
	r2 := *r
	r2.URL = &u
	return &r2, true
}

// serveConn runs a frontend's call as every call runs.
func (h *handler) serveConn(c *protocol.Conn) { h.serve(c) }
