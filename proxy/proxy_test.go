package proxy_test

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest/librarypb"
	"github.com/lambdagrpc/lambdagrpc/proxy"
)

func TestNewServerErrors(t *testing.T) {
	if _, err := proxy.NewServer(nil); err == nil || !strings.Contains(err.Error(), "nil") {
		t.Errorf("NewServer(nil): %v", err)
	}
	cc, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if _, err := proxy.NewServer(cc, proxy.WithLogger(nil)); err == nil || !strings.Contains(err.Error(), "WithLogger(nil)") {
		t.Errorf("WithLogger(nil): %v", err)
	}
	if _, err := proxy.NewServer(cc, proxy.WithMaxResponseBytes(0)); err == nil || !strings.Contains(err.Error(), "WithMaxResponseBytes(0)") {
		t.Errorf("WithMaxResponseBytes(0): %v", err)
	}
}

// A backend without a reflection service gets an error that says what to
// do.
func TestReflectWithoutReflection(t *testing.T) {
	srv := grpc.NewServer()
	resttest.Register(srv)
	cc, err := grpc.NewClient(resttest.Serve(t, srv), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := proxy.Reflect(ctx, cc); err == nil || !strings.Contains(err.Error(), "reflection.Register") {
		t.Errorf("Reflect: %v", err)
	}
}

func TestReflectListsServices(t *testing.T) {
	cc := backend(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	files, err := proxy.Reflect(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	if got := proxy.Services(files); !slices.Equal(got, []protoreflect.FullName{library}) {
		t.Errorf("Services: %v", got)
	}
}

func TestReadDescriptorSetErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := proxy.ReadDescriptorSet(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file: no error")
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte{0xff, 0xff, 0xff}, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := proxy.ReadDescriptorSet(garbage); err == nil || !strings.Contains(err.Error(), "not a serialized FileDescriptorSet") {
		t.Errorf("garbage: %v", err)
	}
	// A file whose import is neither in the set nor linked in.
	fdp := protodesc.ToFileDescriptorProto(librarypb.File_library_proto)
	fdp.Dependency = append(fdp.Dependency, "elsewhere/unknown.proto")
	raw, err := proto.Marshal(&descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{fdp}})
	if err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(dir, "partial")
	if err := os.WriteFile(partial, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := proxy.ReadDescriptorSet(partial); err == nil || !strings.Contains(err.Error(), "elsewhere/unknown.proto") || !strings.Contains(err.Error(), "--include_imports") {
		t.Errorf("a missing import: %v", err)
	}
}

// panicking is a backend connection whose calls panic.
type panicking struct{ grpc.ClientConnInterface }

func (panicking) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	panic("the backend connection broke its contract")
}

// A panic while forwarding ends the call INTERNAL, as in any handler.
func TestPanicIsInternal(t *testing.T) {
	srv, err := proxy.NewServer(panicking{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(lambdagrpc.NewHandler(srv, lambdagrpc.WithLogger(slog.New(slog.DiscardHandler))))
	defer hs.Close()
	conn, err := client.New(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = librarypb.NewLibraryClient(conn).GetShelf(ctx, &librarypb.GetShelfRequest{Shelf: "1"})
	if status.Code(err) != codes.Internal {
		t.Fatalf("GetShelf: %v; want INTERNAL", err)
	}
}

// A backend that cannot be reached is UNAVAILABLE to the caller, who is
// not told its address.
func TestBackendDown(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	srv, err := proxy.NewServer(cc)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(lambdagrpc.NewHandler(srv, lambdagrpc.WithLogger(slog.New(slog.DiscardHandler))))
	defer hs.Close()
	conn, err := client.New(hs.URL, client.WithProtocol(client.Connect))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = librarypb.NewLibraryClient(conn).GetShelf(ctx, &librarypb.GetShelfRequest{Shelf: "1"})
	if status.Code(err) != codes.Unavailable || strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "the proxy could not reach the backend; the proxy's log has the cause") {
		t.Fatalf("GetShelf: %v; want UNAVAILABLE without the backend's address", err)
	}
}
