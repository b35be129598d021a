package rest

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/lambdagrpc/lambdagrpc/internal/frontend"
	"github.com/lambdagrpc/lambdagrpc/internal/protocol"
)

// engineFactory is the frontend Enable adds: it builds an engine for
// each handler.
type engineFactory struct{ cfg *config }

// engine serves one handler's REST requests.
type engine struct {
	cfg      *config
	mux      *runtime.ServeMux
	bindings []*binding // in the order they were added to mux
	serve    func(*protocol.Conn)
	prefix   string // the handler's path prefix, "" for none
}

// Start binds the annotated methods of the services registered on s.
func (f *engineFactory) Start(s *grpc.Server, serve func(*protocol.Conn), prefix string) (frontend.Handler, error) {
	if len(f.cfg.errs) > 0 {
		return nil, errors.Join(f.cfg.errs...)
	}
	e := &engine{cfg: f.cfg, serve: serve, prefix: prefix}
	e.mux = runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, newMarshaler()))
	names := make([]protoreflect.FullName, 0, len(f.cfg.services))
	for name := range s.GetServiceInfo() {
		names = append(names, protoreflect.FullName(name))
	}
	slices.Sort(names)
	for _, n := range f.cfg.services {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, name := range names {
		d, err := f.cfg.files.FindDescriptorByName(name)
		if err != nil {
			if slices.Contains(f.cfg.services, name) {
				return nil, fmt.Errorf("rest: service %s: %w", name, err)
			}
			continue // registered without a descriptor: not annotated
		}
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if !ok {
			return nil, fmt.Errorf("rest: %s is a %T, not a service", name, d)
		}
		if err := e.bindService(sd); err != nil {
			return nil, err
		}
	}
	for _, hook := range f.cfg.onStart {
		if err := hook(e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// bindService adds the bindings of sd's annotated methods.
func (e *engine) bindService(sd protoreflect.ServiceDescriptor) error {
	methods := sd.Methods()
	for i := range methods.Len() {
		md := methods.Get(i)
		bs, err := newBindings(md, e.cfg.types)
		if err != nil {
			return err
		}
		for _, b := range bs {
			if _, dynamic := b.in.Zero().Interface().(*dynamicpb.Message); dynamic {
				if err := registerEnums(b.in.Descriptor(), map[protoreflect.FullName]bool{}); err != nil {
					return fmt.Errorf("rest: %s: %w", md.FullName(), err)
				}
			}
			if err := e.mux.HandlePath(b.verb, b.template, e.handler(b)); err != nil {
				return fmt.Errorf("rest: %s: %s %q: %w", md.FullName(), b.verb, b.template, err)
			}
			e.bindings = append(e.bindings, b)
		}
	}
	return nil
}

// Services are the services WithServices names.
func (e *engine) Services() []string {
	s := make([]string, len(e.cfg.services))
	for i, n := range e.cfg.services {
		s[i] = string(n)
	}
	return s
}

// Serve serves every request it is offered: one that matches no binding
// is answered as grpc-gateway answers it.
func (e *engine) Serve(w http.ResponseWriter, r *http.Request) bool {
	e.mux.ServeHTTP(w, r)
	return true
}
