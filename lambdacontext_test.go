package lambdagrpc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// contextService reports what it sees of the Lambda invocation.
type contextService struct {
	testpb.UnimplementedTestServiceServer
}

func (contextService) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	lc, ok := lambdagrpc.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.FailedPrecondition, "no Lambda context")
	}
	dl, _ := ctx.Deadline()
	err := grpc.SetHeader(ctx, metadata.Pairs(
		"x-request-id", lc.RequestID,
		"x-arn", lc.FunctionARN,
		"x-trace", lc.TraceID,
		"x-lambda-deadline", lc.Deadline.Format(time.RFC3339Nano),
		"x-call-deadline", dl.Format(time.RFC3339Nano),
		"x-request-context", string(lc.RequestContext),
	))
	return &testpb.SimpleResponse{}, err
}

func (contextService) StreamingOutputCall(_ *testpb.StreamingOutputCallRequest, stream testpb.TestService_StreamingOutputCallServer) error {
	return stream.Send(&testpb.StreamingOutputCallResponse{})
}

func TestLambdaContextReachesHandlers(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Timeout: 5 * time.Second, MaxConcurrency: 2})
	s := grpc.NewServer()
	testpb.RegisterTestServiceServer(s, contextService{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = lambdagrpc.Serve(ctx, s, lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()), lambdagrpc.WithLogger(quietLogger()), lambdagrpc.WithMaxConcurrency(2))
	}()
	resp, body := do(t, "POST", e.URL()+unaryPath, "application/grpc-web", wire.AppendFrame(nil, 0, nil), nil)
	if r := parseWeb(t, body); r.status.Code() != codes.OK {
		t.Fatalf("status %v", r.status)
	}
	h := resp.Header
	if h.Get("X-Request-Id") != resp.Header.Get("X-Amzn-Requestid") || h.Get("X-Request-Id") == "" {
		t.Errorf("request id %q, front door's %q", h.Get("X-Request-Id"), resp.Header.Get("X-Amzn-Requestid"))
	}
	if !strings.HasSuffix(h.Get("X-Arn"), ":function:function") || !strings.HasPrefix(h.Get("X-Trace"), "Root=1-") {
		t.Errorf("ARN %q, trace %q", h.Get("X-Arn"), h.Get("X-Trace"))
	}
	if !strings.Contains(h.Get("X-Request-Context"), ".lambda-url.") {
		t.Errorf("request context %q", h.Get("X-Request-Context"))
	}
	lambdaDL, err1 := time.Parse(time.RFC3339Nano, h.Get("X-Lambda-Deadline"))
	callDL, err2 := time.Parse(time.RFC3339Nano, h.Get("X-Call-Deadline"))
	if err1 != nil || err2 != nil {
		t.Fatalf("deadlines %q %q", h.Get("X-Lambda-Deadline"), h.Get("X-Call-Deadline"))
	}
	// The call ends before Lambda's deadline by at least the margin.
	if margin := lambdaDL.Sub(callDL); margin < 250*time.Millisecond || margin > time.Second {
		t.Errorf("call deadline %v before Lambda's, want the 250ms margin plus a little grace", margin)
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestServeTLS(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	cert := selfSigned(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- lambdagrpc.Serve(ctx, newTestServer(t), lambdagrpc.WithAddr(addr), lambdagrpc.WithLogger(quietLogger()),
			lambdagrpc.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}))
	}()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	waitListening(t, addr)
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool.AddCert(leaf)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, "localhost")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ccancel()
	if _, err := testpb.NewTestServiceClient(conn).UnaryCall(cctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatalf("native gRPC over TLS: %v", err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequestWithContext(cctx, http.MethodPost, "https://"+addr+unaryPath, strings.NewReader(string(wire.AppendFrame(nil, 0, nil))))
	req.Header.Set("Content-Type", "application/grpc-web")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/grpc-web+proto" {
		t.Fatalf("gRPC-Web over TLS: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestStreamInterceptorApplies(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if md, _ := metadata.FromIncomingContext(ss.Context()); len(md.Get("authorization")) == 0 {
			return status.Error(codes.Unauthenticated, "no token")
		}
		return h(srv, ss)
	}))
	url := startHandler(t, s)
	req := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}}}))
	if r := parseWeb(t, second(do(t, "POST", url+streamPath, "application/grpc-web", req, nil))); r.status.Code() != codes.Unauthenticated {
		t.Fatalf("without a token: %v", r.status)
	}
	if r := parseWeb(t, second(do(t, "POST", url+streamPath, "application/grpc-web", req, map[string]string{"Authorization": "Bearer x"}))); r.status.Code() != codes.OK || len(r.messages) != 1 {
		t.Fatalf("with a token: %v", r.status)
	}
}
