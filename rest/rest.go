// Package rest serves REST/JSON calls mapped by google.api.http
// annotations, as grpc-gateway does, beside gRPC-Web and Connect, with no
// protoc plugin and no generated gateway code.
//
// [Enable] returns the option that turns REST on for lambdagrpc.Serve,
// lambdagrpc.NewHandler and lambdagrpc.NewEventHandler. When the handler is
// built, every service registered on the *grpc.Server is looked up in the
// protobuf registry, and each annotated method is bound to its HTTP paths.
// A REST request runs the method through the handler's own dispatch, as a
// gRPC-Web call does: interceptors, stats handlers, metadata, deadlines and
// the server's message size limits all apply.
//
// Requests are read and responses written by grpc-gateway's runtime
// package, with its defaults: the path templates, query parameters, JSON
// options, the google.rpc.Status error bodies and their HTTP status codes,
// the newline-delimited envelope of server streams and the mapping of
// headers to metadata are those of a grpc-gateway v2 mux.
package rest

import (
	"errors"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/frontend"
)

// Setting configures [Enable].
type Setting func(*config)

// DescriptorResolver finds descriptors by full name; *protoregistry.Files
// is one.
type DescriptorResolver interface {
	FindDescriptorByName(protoreflect.FullName) (protoreflect.Descriptor, error)
}

// config is what the settings set.
type config struct {
	files    DescriptorResolver
	types    protoregistry.MessageTypeResolver
	services []protoreflect.FullName
	errs     []error

	// onStart runs when the engine has bound every method, before it
	// serves: settings that add endpoints of their own (a document about
	// the bindings, say) hook in here.
	onStart []func(*engine) error
}

// Enable turns REST on. Only methods with a google.api.http annotation
// are served over REST; the others stay gRPC-Web, Connect and gRPC only,
// as with grpc-gateway.
//
// gRPC-Web, native gRPC and Connect streaming requests are never taken for
// REST requests. A request Connect unary could have sent as well (JSON or
// proto, or a GET) is a Connect call when its path names a service the
// server has, and REST's otherwise. A REST request that matches no binding
// is answered as grpc-gateway answers it: 404, or 501 when another HTTP
// method is bound to the path.
//
// Services must be registered on the server before the handler is built.
// A binding that cannot be served (a path template that does not parse, a
// body or path field the request message lacks) is a configuration error:
// the handler logs it and fails every call, and lambdagrpc.Serve returns
// it.
func Enable(settings ...Setting) lambdagrpc.Option {
	cfg := &config{files: protoregistry.GlobalFiles, types: protoregistry.GlobalTypes}
	for _, s := range settings {
		if s != nil {
			s(cfg)
		}
	}
	return frontend.Option(&engineFactory{cfg: cfg}).(lambdagrpc.Option)
}

// WithResolver reads the services' descriptors from files instead of the
// global registry, and their message types from types. A message type
// that types does not have (or every one, when types is nil) is served
// with dynamicpb, from its descriptor: this is what a front for a remote
// backend needs, whose descriptors come from reflection. A message whose
// Go type is registered is faster.
func WithResolver(files DescriptorResolver, types protoregistry.MessageTypeResolver) Setting {
	return func(c *config) {
		if files == nil {
			c.errs = append(c.errs, errors.New("rest.WithResolver: files must not be nil"))
			return
		}
		c.files, c.types = files, types
	}
}

// WithServices serves these services' annotated methods over REST even
// though they are not registered on the server: for a server whose
// unknown-service handler forwards them elsewhere. Their descriptors must
// be in the resolver.
func WithServices(names ...protoreflect.FullName) Setting {
	return func(c *config) { c.services = append(c.services, names...) }
}
