package rest_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// oneMethod returns a registry holding a service test.v1.S whose method M
// (test.v1.Req{string name = 1} to test.v1.Req) has rule.
func oneMethod(t *testing.T, rule *annotations.HttpRule) *protoregistry.Files {
	t.Helper()
	opts := &descriptorpb.MethodOptions{}
	proto.SetExtension(opts, annotations.E_Http, rule)
	fd := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("test/v1/s.proto"),
		Package: proto.String("test.v1"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Req"),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name: proto.String("name"), JsonName: proto.String("name"), Number: proto.Int32(1),
				Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			}},
		}},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name:   proto.String("S"),
			Method: []*descriptorpb.MethodDescriptorProto{{Name: proto.String("M"), InputType: proto.String(".test.v1.Req"), OutputType: proto.String(".test.v1.Req"), Options: opts}},
		}},
	}
	f, err := protodesc.NewFile(fd, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	files := new(protoregistry.Files)
	if err := files.RegisterFile(f); err != nil {
		t.Fatal(err)
	}
	return files
}

// A binding that cannot be served is a configuration error: the handler
// fails every call and Serve returns it.
func TestRESTConfigurationErrors(t *testing.T) {
	cases := []struct {
		name string
		rule *annotations.HttpRule
		want string
	}{
		{"template", &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/v1/{name"}}, `"/v1/{name"`},
		{"path field", &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/v1/{title}"}}, `no field "title"`},
		{"body field", &annotations.HttpRule{Pattern: &annotations.HttpRule_Post{Post: "/v1/x"}, Body: "book"}, `body "book"`},
		{"response_body", &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/v1/x"}, ResponseBody: "nope"}, `response_body "nope"`},
		{"no pattern", &annotations.HttpRule{}, "no pattern"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := rest.Enable(rest.WithResolver(oneMethod(t, c.rule), nil), rest.WithServices("test.v1.S"))
			err := lambdagrpc.Serve(context.Background(), grpc.NewServer(), opt, lambdagrpc.WithAddr("127.0.0.1:0"), lambdagrpc.WithRuntimeAPI(""))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Serve: %v; want an error saying %s", err, c.want)
			}
			h := lambdagrpc.NewHandler(grpc.NewServer(), opt, lambdagrpc.WithLogger(quiet()))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/x", nil))
			if w.Code == 200 || !strings.Contains(w.Body.String(), "misconfigured") {
				t.Fatalf("a call to the misconfigured handler: %d %s", w.Code, w.Body)
			}
		})
	}
	if err := lambdagrpc.Serve(context.Background(), grpc.NewServer(), rest.Enable(rest.WithResolver(nil, nil)), lambdagrpc.WithRuntimeAPI("")); err == nil || !strings.Contains(err.Error(), "WithResolver") {
		t.Fatalf("WithResolver(nil): %v", err)
	}
}

// WithServices binds a service the server does not have, for a server
// whose unknown-service handler serves it, with dynamic messages.
func TestRESTWithServicesReachesUnknownServiceHandler(t *testing.T) {
	files := oneMethod(t, &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/v1/{name=things/*}"}})
	d, err := files.FindDescriptorByName("test.v1.Req")
	if err != nil {
		t.Fatal(err)
	}
	reqType := dynamicpb.NewMessageType(d.(protoreflect.MessageDescriptor))
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		if method, _ := grpc.MethodFromServerStream(stream); method != "/test.v1.S/M" {
			return status.Errorf(codes.Unimplemented, "unexpected %s", method)
		}
		m := reqType.New().Interface()
		if err := stream.RecvMsg(m); err != nil {
			return err
		}
		f := reqType.Descriptor().Fields().ByName("name")
		m.ProtoReflect().Set(f, protoreflect.ValueOfString("seen "+m.ProtoReflect().Get(f).String()))
		return stream.SendMsg(m)
	}))
	h := lambdagrpc.NewHandler(srv, rest.Enable(rest.WithResolver(files, nil), rest.WithServices("test.v1.S")), lambdagrpc.WithLogger(quiet()))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/things/a", nil))
	if w.Code != 200 || w.Body.String() != `{"name":"seen things/a"}` {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// NewEventHandler answers a REST call in a Function URL event.
func TestRESTEventHandler(t *testing.T) {
	srv := grpc.NewServer()
	resttest.Register(srv)
	h := lambdagrpc.NewEventHandler(srv, rest.Enable(), lambdagrpc.WithLogger(quiet()))
	event := `{"version":"2.0","rawPath":"/v1/shelves/fail-5","rawQueryString":"","headers":{"host":"x.lambda-url.us-east-1.on.aws"},` +
		`"requestContext":{"http":{"method":"GET","path":"/v1/shelves/fail-5","sourceIp":"10.0.0.1"}},"isBase64Encoded":false}`
	out, err := h.Invoke(context.Background(), []byte(event))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if resp.StatusCode != 404 || resp.Headers["content-type"] != "application/json" || !strings.Contains(resp.Body, `"code":5`) {
		t.Fatalf("%s", out)
	}
}
