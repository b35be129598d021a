package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"

	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
)

// The example, in TCP mode, fronts a backend on loopback: REST from its
// reflection service, and the OpenAPI document.
func TestProxyExample(t *testing.T) {
	srv := grpc.NewServer()
	resttest.Register(srv)
	reflection.Register(srv)
	t.Setenv("BACKEND_ADDR", resttest.Serve(t, srv))
	t.Setenv("BACKEND_TLS", "")
	t.Setenv("DESCRIPTOR_SET", "")
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := lis.Addr().(*net.TCPAddr).Port
	_ = lis.Close()
	t.Setenv("PORT", strconv.Itoa(port))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return after its context ended")
		}
	}()

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	var body string
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/v1/shelves/3")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			body = string(b)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /v1/shelves/3: %d %s", resp.StatusCode, body)
			}
			break
		}
		if i == 300 {
			t.Fatalf("the example did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(body, `"shelves/3"`) {
		t.Errorf("GET /v1/shelves/3: %s", body)
	}
	resp, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(doc), `"openapi": "3.1.0"`) || !strings.Contains(string(doc), `"/v1/shelves/{shelf}"`) {
		t.Errorf("GET /openapi.json: %d %.300s", resp.StatusCode, doc)
	}
}
