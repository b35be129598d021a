package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest/librarypb"
	"github.com/lambdagrpc/lambdagrpc/proxy"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

const library = "lambdagrpc.resttest.v1.Library"

// backend runs the Library, with reflection, on loopback TCP, and returns
// a connection to it.
func backend(t *testing.T) *grpc.ClientConn {
	t.Helper()
	srv := grpc.NewServer()
	resttest.Register(srv)
	reflection.Register(srv)
	addr := resttest.Serve(t, srv)
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// front runs the proxy as a function on an emulator, with REST from
// files, and returns the emulator.
func front(t *testing.T, cc *grpc.ClientConn, files *protoregistry.Files) *emulator.Emulator {
	t.Helper()
	log := &lockedBuffer{}
	e := emulatortest.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream, MaxConcurrency: 2, Timeout: 10 * time.Second})
	srv, err := proxy.NewServer(cc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- lambdagrpc.Serve(ctx, srv,
			rest.Enable(rest.WithResolver(files, nil), rest.WithServices(proxy.Services(files)...), rest.WithOpenAPI("/openapi.json")),
			lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()), lambdagrpc.WithInvokeMode(lambdagrpc.ResponseStream),
			lambdagrpc.WithMaxConcurrency(2), lambdagrpc.WithLogger(slog.New(slog.NewTextHandler(log, nil))))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
		// The proxy's server (an unknown-service handler and a
		// pass-through codec) keeps the direct dispatch path.
		if l := log.String(); strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			t.Errorf("the function logged a warning or an error:\n%s", l)
		}
	})
	return e
}

// TestE2EProxy fronts a real grpc-go backend on loopback with a function
// on the emulator, and calls it in gRPC-Web, Connect and REST: unary, a
// server stream, and an error with details. REST's descriptors come from
// the backend's reflection service.
func TestE2EProxy(t *testing.T) {
	cc := backend(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	files, err := proxy.Reflect(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := files.FindDescriptorByName(library); err != nil {
		t.Fatalf("reflection did not give the Library: %v", err)
	}
	e := front(t, cc, files)
	for _, p := range []client.Protocol{client.GRPCWeb, client.Connect} {
		t.Run(p.String(), func(t *testing.T) { callRPC(ctx, t, e.URL(), p) })
	}
	t.Run("REST", func(t *testing.T) { callREST(ctx, t, e.URL()) })
}

// TestE2EProxyDescriptorSet serves REST from a descriptor-set file.
func TestE2EProxyDescriptorSet(t *testing.T) {
	cc := backend(t)
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		for i := range fd.Imports().Len() {
			add(fd.Imports().Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	add(librarypb.File_library_proto)
	raw, err := proto.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "library.binpb")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := proxy.ReadDescriptorSet(path)
	if err != nil {
		t.Fatal(err)
	}
	e := front(t, cc, files)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	callREST(ctx, t, e.URL())
}

func callRPC(ctx context.Context, t *testing.T, url string, p client.Protocol) {
	conn, err := client.New(url, client.WithProtocol(p))
	if err != nil {
		t.Fatal(err)
	}
	lib := librarypb.NewLibraryClient(conn)
	shelf, err := lib.GetShelf(ctx, &librarypb.GetShelfRequest{Shelf: "7"})
	if err != nil || shelf.GetName() != "shelves/7" {
		t.Fatalf("GetShelf: %v, %v", shelf, err)
	}
	stream, err := lib.StreamBooks(ctx, &librarypb.StreamBooksRequest{Parent: "shelves/7", Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		b, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("StreamBooks after %v: %v", names, err)
		}
		names = append(names, b.GetName())
	}
	if strings.Join(names, " ") != "shelves/7/books/0 shelves/7/books/1 shelves/7/books/2" {
		t.Errorf("StreamBooks: %v", names)
	}
	_, err = lib.Fail(ctx, &librarypb.FailRequest{Code: int32(codes.FailedPrecondition), Message: "not now", Details: true})
	st := status.Convert(err)
	if st.Code() != codes.FailedPrecondition || st.Message() != "not now" {
		t.Fatalf("Fail: %v", err)
	}
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	if info.GetReason() != "ASKED" {
		t.Errorf("Fail: the details did not come through: %v", st.Details())
	}
}

func get(ctx context.Context, t *testing.T, url string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

func callREST(ctx context.Context, t *testing.T, url string) {
	code, ct, body := get(ctx, t, url+"/openapi.json")
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || code != 200 || ct != "application/json" || doc.Paths["/v1/shelves/{shelf}"]["get"] == nil {
		t.Errorf("GET /openapi.json: %d %s %.200s (%v)", code, ct, body, err)
	}
	code, ct, body = get(ctx, t, url+"/v1/shelves/7")
	var shelf map[string]string
	_ = json.Unmarshal([]byte(body), &shelf)
	if code != 200 || ct != "application/json" || shelf["name"] != "shelves/7" || shelf["theme"] != "echo" || len(shelf) != 2 {
		t.Errorf("GET /v1/shelves/7: %d %s %s", code, ct, body)
	}
	code, _, body = get(ctx, t, url+"/v1/shelves/7/books:stream?count=2")
	sc := bufio.NewScanner(strings.NewReader(body))
	var lines []string
	for sc.Scan() {
		var line struct {
			Result struct {
				Name string `json:"name"`
			} `json:"result"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("stream line %q: %v", sc.Text(), err)
		}
		lines = append(lines, line.Result.Name)
	}
	if code != 200 || strings.Join(lines, " ") != "shelves/7/books/0 shelves/7/books/1" {
		t.Errorf("GET books:stream: %d %q", code, body)
	}
	code, _, body = get(ctx, t, url+"/v1/fail/9?message=not%20now&details=true")
	var st struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Type   string `json:"@type"`
			Reason string `json:"reason"`
		} `json:"details"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("GET /v1/fail/9: %d %q: %v", code, body, err)
	}
	if code != http.StatusBadRequest || st.Code != 9 || st.Message != "not now" || len(st.Details) == 0 || st.Details[0].Reason != "ASKED" {
		t.Errorf("GET /v1/fail/9: %d %s", code, body)
	}
}

// lockedBuffer is a log sink that goroutines share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
