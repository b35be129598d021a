package lambdagrpc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// functionURLEvent builds a Function URL event carrying a gRPC-Web call.
func functionURLEvent(tb testing.TB, path string, msg []byte) []byte {
	tb.Helper()
	event, err := json.Marshal(map[string]any{
		"version":        "2.0",
		"routeKey":       "$default",
		"rawPath":        path,
		"rawQueryString": "",
		"headers": map[string]string{
			"content-type": "application/grpc-web+proto",
			"x-grpc-web":   "1",
			"host":         "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
			"user-agent":   "grpc-web-javascript/0.1",
		},
		"requestContext": map[string]any{
			"domainName": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
			"requestId":  "6ad6b1d4-42cb-4e6f-ab7a-6a6b5a6e9a10",
			"http":       map[string]string{"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
		},
		"body":            base64.StdEncoding.EncodeToString(wire.AppendFrame(nil, 0, msg)),
		"isBase64Encoded": true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return event
}

// BenchmarkInvokeUnary measures one buffered invocation end to end in
// process: Function URL event JSON in, response JSON out, through the
// gRPC-Web translation and a real grpc-go server.
func BenchmarkInvokeUnary(b *testing.B) {
	for _, size := range []int{16, 1 << 10, 256 << 10} {
		b.Run(fmt.Sprintf("bytes=%d", size), func(b *testing.B) {
			eh := lambdagrpc.NewEventHandler(newBenchServer(b), lambdagrpc.WithLogger(quietLogger()))
			event := functionURLEvent(b, unaryPath, mustMarshal(b, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, size)}}))
			ctx := context.Background()
			checkInvoke(b, eh, event, 1)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := eh.Invoke(ctx, event); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInvokeServerStream measures a buffered 10-message server stream.
func BenchmarkInvokeServerStream(b *testing.B) {
	params := make([]*testpb.ResponseParameters, 10)
	for i := range params {
		params[i] = &testpb.ResponseParameters{Size: 1 << 10}
	}
	eh := lambdagrpc.NewEventHandler(newBenchServer(b), lambdagrpc.WithLogger(quietLogger()))
	event := functionURLEvent(b, streamPath, mustMarshal(b, &testpb.StreamingOutputCallRequest{ResponseParameters: params}))
	checkInvoke(b, eh, event, 10)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := eh.Invoke(ctx, event); err != nil {
			b.Fatal(err)
		}
	}
}

// checkInvoke makes sure the benchmarked path answers correctly, so a
// broken path cannot look fast.
func checkInvoke(b *testing.B, eh *lambdagrpc.EventHandler, event []byte, messages int) {
	b.Helper()
	r := invoke(b, eh, event)
	res := parseWeb(b, r.body(b))
	if res.status.Code() != 0 || len(res.messages) != messages {
		b.Fatalf("status %v, %d messages; want OK and %d", res.status, len(res.messages), messages)
	}
}

func newBenchServer(b *testing.B) *grpc.Server { return newTestServer(b) }

// BenchmarkFunctionURL measures invocations through the emulator's Function
// URL front door on loopback: HTTP request, event, Runtime API, the
// function (in process), response, HTTP response. It reports invocations
// per second for one caller at a time and for 8 callers with Managed
// Instances concurrency 8.
func BenchmarkFunctionURL(b *testing.B) {
	for _, mode := range []emulator.InvokeMode{emulator.Buffered, emulator.ResponseStream} {
		for _, par := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("mode=%s/callers=%d", mode, par), func(b *testing.B) {
				e := emulatortest.Start(b, emulator.Config{InvokeMode: mode, MaxConcurrency: par, Timeout: time.Minute})
				lmode := lambdagrpc.Buffered
				if mode == emulator.ResponseStream {
					lmode = lambdagrpc.ResponseStream
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go func() {
					_ = lambdagrpc.Serve(ctx, newBenchServer(b), lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()),
						lambdagrpc.WithInvokeMode(lmode), lambdagrpc.WithMaxConcurrency(par), lambdagrpc.WithLogger(quietLogger()))
				}()
				body := wire.AppendFrame(nil, 0, mustMarshal(b, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, 1024)}}))
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: par}}
				post := func() error {
					resp, err := client.Post(e.URL()+unaryPath, "application/grpc-web+proto", bytes.NewReader(body))
					if err != nil {
						return err
					}
					out, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != 200 || !bytes.Contains(out, []byte("grpc-status: 0")) {
						return fmt.Errorf("HTTP %d, %w: %q", resp.StatusCode, err, out)
					}
					return nil
				}
				if err := post(); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				var failed atomic.Value
				per := max(b.N/par, 1)
				for range par {
					wg.Go(func() {
						for range per {
							if err := post(); err != nil {
								failed.Store(err)
								return
							}
						}
					})
				}
				wg.Wait()
				if err, _ := failed.Load().(error); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(per*par)/time.Since(start).Seconds(), "inv/s")
			})
		}
	}
}

// BenchmarkStreamThroughput streams 1,000 messages of 64 KiB (64 MB) through
// the emulator's streaming Function URL and reports the time to the first
// message and the throughput.
func BenchmarkStreamThroughput(b *testing.B) {
	e := emulatortest.Start(b, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = lambdagrpc.Serve(ctx, newBenchServer(b), lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()),
			lambdagrpc.WithInvokeMode(lambdagrpc.ResponseStream), lambdagrpc.WithLogger(quietLogger()))
	}()
	const n, size = 1000, 64 << 10
	params := make([]*testpb.ResponseParameters, n)
	for i := range params {
		params[i] = &testpb.ResponseParameters{Size: size}
	}
	body := wire.AppendFrame(nil, 0, mustMarshal(b, &testpb.StreamingOutputCallRequest{ResponseParameters: params}))
	var firstTotal time.Duration
	b.SetBytes(n * size)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		resp, err := http.Post(e.URL()+streamPath, "application/grpc-web+proto", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		r := wire.NewReader(resp.Body, 1<<20).TrustLengths()
		messages := 0
		for {
			flags, _, err := r.Next()
			if err != nil {
				b.Fatalf("after %d messages: %v", messages, err)
			}
			if messages == 0 {
				firstTotal += time.Since(start)
			}
			if flags&wire.FlagWebTrailer != 0 {
				break
			}
			messages++
		}
		resp.Body.Close()
		if messages != n {
			b.Fatalf("%d messages, want %d", messages, n)
		}
	}
	b.ReportMetric(float64(firstTotal.Microseconds())/float64(b.N)/1000, "first-msg-ms")
}
