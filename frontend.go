package lambdagrpc

import (
	"fmt"
	"net/http"

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
		fh, err := f.Start(h.srv, h.serveConn)
		if err != nil {
			return err
		}
		h.fronts = append(h.fronts, fh)
	}
	h.methods = make(map[string]bool)
	for svc, info := range h.srv.GetServiceInfo() {
		for _, m := range info.Methods {
			h.methods[fmt.Sprintf("/%s/%s", svc, m.Name)] = true
		}
	}
	return nil
}

// serveFrontends offers r to the frontends, unless it is a gRPC-Web,
// Connect or native gRPC call to a method the server has: those are never
// shadowed. It reports whether a frontend answered.
func (h *handler) serveFrontends(w http.ResponseWriter, r *http.Request) bool {
	rpc := protocol.IsCall(r)
	if rpc {
		if m, ok := h.route(r.URL); ok && h.methods[m] {
			return false
		}
	}
	for _, f := range h.fronts {
		if f.Serve(w, r, rpc) {
			return true
		}
	}
	return false
}

// serveConn runs a frontend's call as every call runs.
func (h *handler) serveConn(c *protocol.Conn) { h.serve(c) }
