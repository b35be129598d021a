package rest

import (
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lambdagrpc/lambdagrpc/internal/openapi"
)

// WithOpenAPI serves an OpenAPI 3.1 document of the REST bindings, as
// application/json, to GET requests for path (such as "/openapi.json").
// The document is built once, when the handler starts, from the same
// descriptors and google.api.http annotations as the bindings; leading
// comments in the .proto files become its summaries and descriptions
// (descriptors from the global registry carry none, as protoc-gen-go
// leaves them out; descriptors from reflection or a descriptor set built
// with source info do). A path that does not start with "/" is a
// configuration error. Under lambdagrpc.WithPathPrefix the document is
// served below the prefix, as the bindings are, and names the prefix as
// its server, so its paths resolve against it.
func WithOpenAPI(path string) Setting {
	return func(c *config) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "{}*:?#") {
			c.errs = append(c.errs, fmt.Errorf("rest.WithOpenAPI(%q): give a literal path that starts with /, such as /openapi.json", path))
			return
		}
		c.onStart = append(c.onStart, func(e *engine) error {
			var services []protoreflect.ServiceDescriptor
			seen := map[protoreflect.FullName]bool{}
			for _, b := range e.bindings {
				sd, ok := b.method.Parent().(protoreflect.ServiceDescriptor)
				if ok && !seen[sd.FullName()] {
					seen[sd.FullName()] = true
					services = append(services, sd)
				}
			}
			doc, err := openapi.Generate(services, openapi.Info{Server: e.prefix})
			if err != nil {
				return fmt.Errorf("rest.WithOpenAPI: %w", err)
			}
			err = e.mux.HandlePath(http.MethodGet, path, func(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(doc)
			})
			if err != nil {
				return fmt.Errorf("rest.WithOpenAPI(%q): %w", path, err)
			}
			return nil
		})
	}
}
