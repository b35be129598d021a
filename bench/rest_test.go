package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/vanguard/vanguardgrpc"
	"github.com/akrylysov/algnhsa"
	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest/librarypb"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// restServer is a grpc-go server with the REST test service registered.
func restServer() *grpc.Server {
	s := grpc.NewServer(grpc.MaxRecvMsgSize(16<<20), grpc.MaxSendMsgSize(16<<20))
	resttest.Register(s)
	return s
}

// lambdagrpcREST is lambdagrpc's event handler with REST turned on.
func lambdagrpcREST(testing.TB) invoker {
	eh := lambdagrpc.NewEventHandler(restServer(), rest.Enable(), lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)))
	return eh.Invoke
}

// vanguardRESTAlgnhsa is vanguard's REST transcoder behind algnhsa.
func vanguardRESTAlgnhsa(testing.TB) invoker {
	t, err := vanguardgrpc.NewTranscoder(restServer())
	if err != nil {
		panic(err)
	}
	return algnhsa.New(t, nil).Invoke
}

// gatewayAPIProxy is the seed architecture: grpc-gateway's generated mux,
// dialing a grpc-go server over a Unix socket in the same process, behind
// aws-lambda-go-api-proxy's payload 2.0 adapter.
func gatewayAPIProxy(tb testing.TB) invoker {
	sock := filepath.Join(tb.TempDir(), "grpc.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	srv := restServer()
	go func() { _ = srv.Serve(lis) }()
	tb.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	mux := runtime.NewServeMux()
	if err := librarypb.RegisterLibraryHandler(context.Background(), mux, conn); err != nil {
		tb.Fatal(err)
	}
	adapter := httpadapter.NewV2(mux)
	return func(ctx context.Context, event []byte) ([]byte, error) {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, err
		}
		resp, err := adapter.ProxyWithContext(ctx, ev)
		if err != nil {
			return nil, err
		}
		return json.Marshal(resp)
	}
}

var restPaths = []struct {
	name string
	new  func(testing.TB) invoker
}{
	{"lambdagrpc", lambdagrpcREST},
	{"vanguard+algnhsa", vanguardRESTAlgnhsa},
	{"grpc-gateway+api-proxy", gatewayAPIProxy},
}

// restBody is the JSON body of a CreateBook call of size bytes: a book
// whose title fills it.
func restBody(size int) string {
	const frame = `{"title":""}`
	if size < len(frame) {
		size = len(frame)
	}
	return `{"title":"` + strings.Repeat("x", size-len(frame)) + `"}`
}

// restEvent builds the Function URL event of a REST call: CreateBook,
// POST /v1/shelves/1/books with body as the book.
func restEvent(tb testing.TB, body string) []byte {
	tb.Helper()
	const path = "/v1/shelves/1/books"
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: path, RawQueryString: "bookId=b1",
		QueryStringParameters: map[string]string{"bookId": "b1"},
		Headers:               map[string]string{"content-type": "application/json", "host": "abc.lambda-url.eu-west-1.on.aws"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "abc.lambda-url.eu-west-1.on.aws", RequestID: "r", Stage: "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodPost, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7"},
		},
		Body: body,
	}
	out, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// checkREST decodes a response document: a 200 with the created book,
// whose title is the one sent.
func checkREST(tb testing.TB, out []byte, title string) {
	tb.Helper()
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("response %d (%v): %.300s", resp.StatusCode, err, out)
	}
	if resp.IsBase64Encoded {
		tb.Fatalf("a JSON answer in base64: %.300s", out)
	}
	var got struct {
		Name  string `json:"name"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil || got.Title != title || !strings.HasPrefix(got.Name, "shelves/1/books/b1") {
		tb.Fatalf("body (%v): %.300s", err, resp.Body)
	}
}

// BenchmarkInvokeREST measures one REST invocation per path and JSON body
// size: a Function URL event in, the response document out.
func BenchmarkInvokeREST(b *testing.B) {
	for _, size := range []int{16, 64 << 10} {
		body := restBody(size)
		var sent struct {
			Title string `json:"title"`
		}
		if err := json.Unmarshal([]byte(body), &sent); err != nil || len(body) != size {
			b.Fatalf("restBody(%d): %d bytes (%v)", size, len(body), err)
		}
		ev := restEvent(b, body)
		for _, p := range restPaths {
			b.Run(fmt.Sprintf("bytes=%d/path=%s", size, p.name), func(b *testing.B) {
				inv := p.new(b)
				ctx := context.Background()
				out, err := inv(ctx, ev)
				if err != nil {
					b.Fatal(err)
				}
				checkREST(b, out, sent.Title)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := inv(ctx, ev); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestRESTPeersAnswer checks that every REST path answers the benchmark's
// call correctly, so that a broken peer cannot look fast.
func TestRESTPeersAnswer(t *testing.T) {
	body := restBody(64)
	for _, p := range restPaths {
		t.Run(p.name, func(t *testing.T) {
			out, err := p.new(t)(context.Background(), restEvent(t, body))
			if err != nil {
				t.Fatal(err)
			}
			checkREST(t, out, strings.Repeat("x", 64-len(`{"title":""}`)))
		})
	}
}
