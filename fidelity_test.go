package lambdagrpc_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

func TestHealthAndReflection(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	hs := health.NewServer()
	hs.SetServingStatus("grpc.testing.TestService", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, hs)
	reflection.Register(s)
	url := startHandler(t, s)

	t.Run("health over Connect JSON", func(t *testing.T) {
		resp, body := do(t, "POST", url+"/grpc.health.v1.Health/Check", "application/json", []byte(`{"service":"grpc.testing.TestService"}`), nil)
		var out healthpb.HealthCheckResponse
		if resp.StatusCode != 200 || protojson.Unmarshal(body, &out) != nil || out.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("reflection over gRPC-Web, half-duplex", func(t *testing.T) {
		var req []byte
		req = wire.AppendFrame(req, 0, mustMarshal(t, &reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}))
		req = wire.AppendFrame(req, 0, mustMarshal(t, &reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "grpc.testing.TestService"}}))
		_, body := do(t, "POST", url+"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "application/grpc-web+proto", req, nil)
		r := parseWeb(t, body)
		if r.status.Code() != codes.OK || len(r.messages) != 2 {
			t.Fatalf("status %v, %d messages; want OK and 2", r.status, len(r.messages))
		}
		var list reflectionpb.ServerReflectionResponse
		if err := proto.Unmarshal(r.messages[0], &list); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, svc := range list.GetListServicesResponse().GetService() {
			names = append(names, svc.GetName())
		}
		if !strings.Contains(strings.Join(names, ","), "grpc.testing.TestService") {
			t.Fatalf("services %v", names)
		}
		var file reflectionpb.ServerReflectionResponse
		if err := proto.Unmarshal(r.messages[1], &file); err != nil || len(file.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
			t.Fatalf("file descriptor response %v: %v", &file, err)
		}
	})
}

// headerService sends headers explicitly before its first message.
type headerService struct {
	testpb.UnimplementedTestServiceServer
}

func (headerService) StreamingOutputCall(_ *testpb.StreamingOutputCallRequest, stream testpb.TestService_StreamingOutputCallServer) error {
	if err := stream.SendHeader(metadata.Pairs("x-early", "yes")); err != nil {
		return err
	}
	stream.SetTrailer(metadata.Pairs("x-late", "also"))
	return stream.Send(&testpb.StreamingOutputCallResponse{})
}

func (headerService) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if err := grpc.SendHeader(ctx, metadata.Pairs("x-early", "unary")); err != nil {
		return nil, err
	}
	if req.GetResponseStatus().GetCode() != 0 {
		return nil, status.Error(codes.Code(req.GetResponseStatus().GetCode()), "after headers")
	}
	return &testpb.SimpleResponse{}, nil
}

func TestSendHeaderAndJSONCodec(t *testing.T) {
	t.Parallel()
	s := grpc.NewServer()
	testpb.RegisterTestServiceServer(s, headerService{})
	url := startHandler(t, s)
	resp, body := do(t, "POST", url+streamPath, "application/grpc-web+json", wire.AppendFrame(nil, 0, []byte(`{}`)), nil)
	if resp.Header.Get("X-Early") != "yes" || resp.Header.Get("Content-Type") != "application/grpc-web+json" {
		t.Fatalf("headers %v", resp.Header)
	}
	r := parseWeb(t, body)
	if r.status.Code() != codes.OK || len(r.messages) != 1 || string(r.messages[0]) != "{}" || r.trailer.Get("X-Late") != "also" {
		t.Fatalf("status %v, messages %q, trailer %v", r.status, r.messages, r.trailer)
	}
	resp, _ = do(t, "POST", url+unaryPath, "application/proto", nil, nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Early") != "unary" {
		t.Fatalf("Connect unary with SendHeader: %d %v", resp.StatusCode, resp.Header)
	}
	// Headers sent early must not fix the status line before the outcome.
	failing := mustMarshal(t, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound)}})
	resp, body = do(t, "POST", url+unaryPath, "application/proto", failing, nil)
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("X-Early") != "unary" || !strings.Contains(string(body), "not_found") {
		t.Fatalf("Connect unary error after SendHeader: %d %v %s", resp.StatusCode, resp.Header, body)
	}
}
