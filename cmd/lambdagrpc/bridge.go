package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/lambdagrpc/lambdagrpc/bridge"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/client/awsclient"
)

// target says how to reach one upstream.
type target struct {
	Target   string `json:"target"`   // a URL, or a function name or ARN
	Protocol string `json:"protocol"` // grpc-web (default), grpc-web-text, connect
	SigV4    bool   `json:"sigv4"`    // sign URL requests for AWS_IAM
	Stream   bool   `json:"stream"`   // functions: InvokeWithResponseStream
	Region   string `json:"region"`
	Endpoint string `json:"endpoint"` // functions: the Lambda API endpoint, e.g. the emulator's
}

// bridgeFile is the JSON of `lambdagrpc bridge --config`.
type bridgeFile struct {
	Listen   string            `json:"listen"`
	Default  *target           `json:"default"`
	Services map[string]target `json:"services"`
}

func bridgeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bridge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:50051", "where native gRPC clients connect")
	var t target
	fs.StringVar(&t.Target, "target", "", "the upstream: a Function URL or API Gateway URL, or a function name or ARN (called through the Invoke APIs with IAM)")
	fs.StringVar(&t.Protocol, "protocol", "grpc-web", "the upstream protocol: grpc-web, grpc-web-text or connect")
	fs.BoolVar(&t.SigV4, "sigv4", false, "sign requests to the URL with SigV4 (AWS_IAM Function URLs), with the AWS SDK's default credentials")
	fs.BoolVar(&t.Stream, "stream", false, "call functions with InvokeWithResponseStream (the function must run in RESPONSE_STREAM mode)")
	fs.StringVar(&t.Region, "region", "", "the AWS region (default: the SDK's, from AWS_REGION or the profile)")
	fs.StringVar(&t.Endpoint, "endpoint", "", "the Lambda API endpoint for function names (default: AWS's; the emulator prints its Invoke API)")
	certFile := fs.String("tls-cert", "", "serve TLS with this certificate (PEM) instead of h2c")
	keyFile := fs.String("tls-key", "", "the certificate's key (PEM)")
	configFile := fs.String("config", "", "a JSON file with several upstreams by service name (see docs/bridge.md)")
	maxResp := fs.Int("max-response-bytes", 0, "the largest response message the bridge accepts from an upstream (default: what Lambda can deliver: 6291556 for a function invoked buffered, 200 MiB for a streamed one or a URL)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: lambdagrpc bridge --target URL|FUNCTION [flags]\n       lambdagrpc bridge --config FILE [flags]")
		fmt.Fprintln(fs.Output(), "\nServes native gRPC (h2c, or TLS) and forwards every call to a Lambda-hosted service.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *maxResp < 0 {
		return fmt.Errorf("--max-response-bytes %d: give a positive number of bytes, or leave it out for Lambda's limits", *maxResp)
	}
	def := &t
	var services map[string]target
	if *configFile != "" {
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return err
		}
		var f bridgeFile
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return fmt.Errorf("%s: %w", *configFile, err)
		}
		if f.Listen != "" {
			*listen = f.Listen
		}
		def, services = f.Default, f.Services
	}
	if def == nil || def.Target == "" {
		if len(services) == 0 {
			fs.Usage()
			return errors.New("give --target or a --config with upstreams")
		}
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	var opts []bridge.Option
	// Each upstream's Conn carries its own limit (responseLimit).
	opts = append(opts, bridge.WithLogger(logger), bridge.WithMaxResponseBytes(0))
	for svc, st := range services {
		cc, err := dial(ctx, st, *maxResp)
		if err != nil {
			return fmt.Errorf("service %s: %w", svc, err)
		}
		opts = append(opts, bridge.WithService(svc, st.Target, cc))
	}
	if *certFile != "" || *keyFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		opts = append(opts, bridge.WithServerOptions(grpc.Creds(credentials.NewServerTLSFromCert(&cert))))
	}
	var defConn grpc.ClientConnInterface // nil: services without an upstream are UNIMPLEMENTED
	defName := "(no default upstream)"
	if def != nil && def.Target != "" {
		cc, err := dial(ctx, *def, *maxResp)
		if err != nil {
			return err
		}
		defConn, defName = cc, def.Target
	}
	b, err := bridge.New(defConn, append([]bridge.Option{bridge.WithName(defName)}, opts...)...)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", *listen)
	if err != nil {
		return portHint(fmt.Errorf("listen on %s: %w", *listen, err), "--listen")
	}
	scheme := "h2c"
	if *certFile != "" {
		scheme = "TLS"
	}
	fmt.Fprintf(stdout, "bridge: native gRPC (%s) on %s → %s\n", scheme, lis.Addr(), defName)
	for _, svc := range slices.Sorted(maps.Keys(services)) {
		st := services[svc]
		proto := ""
		if st.Protocol != "" && st.Protocol != "grpc-web" {
			proto = " (" + st.Protocol + ")"
		}
		fmt.Fprintf(stdout, "  %s → %s%s\n", svc, st.Target, proto)
	}
	if *certFile == "" {
		fmt.Fprintf(stdout, "  grpcurl -plaintext %s list\n", lis.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- b.Serve(lis) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "bridge: stopping")
	b.GracefulStop()
	return nil
}

// Lambda's response limits (see spec/lambda.md): a buffered response
// document, and a streamed response.
const (
	lambdaBufferedResponse = 6_291_556
	lambdaStreamedResponse = 200 << 20
)

// responseLimit is the receive limit for upstream t: flag when given (> 0),
// else what Lambda can deliver there. A function invoked buffered answers
// with one document of at most 6,291,556 bytes, and its message is smaller
// still. A URL's invoke mode cannot be known from outside, so it gets the
// streamed cap: a buffered URL cannot deliver more than its document
// anyway, and the client grows a large message's buffer as bytes arrive,
// so the higher cap costs memory only for messages that really come.
func responseLimit(t target, flag int) int {
	switch {
	case flag > 0:
		return flag
	case isURL(t.Target) || t.Stream:
		return lambdaStreamedResponse
	}
	return lambdaBufferedResponse
}

func isURL(target string) bool {
	return strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://")
}

// dial builds the client for one upstream; maxResp is the
// --max-response-bytes flag (0: Lambda's limit for the upstream).
func dial(ctx context.Context, t target, maxResp int) (grpc.ClientConnInterface, error) {
	copts := []client.Option{client.WithMaxRecvMsgSize(responseLimit(t, maxResp))}
	switch t.Protocol {
	case "", "grpc-web":
	case "grpc-web-text":
		copts = append(copts, client.WithProtocol(client.GRPCWebText))
	case "connect":
		copts = append(copts, client.WithProtocol(client.Connect))
	default:
		return nil, fmt.Errorf("unknown protocol %q: use grpc-web, grpc-web-text or connect", t.Protocol)
	}
	byURL := isURL(t.Target)
	if byURL && !t.SigV4 {
		return client.New(t.Target, copts...)
	}
	var lopts []func(*config.LoadOptions) error
	if t.Region != "" {
		lopts = append(lopts, config.WithRegion(t.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lopts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if byURL {
		return client.New(t.Target, append(copts, awsclient.SigV4(cfg.Credentials, cfg.Region))...)
	}
	lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if t.Endpoint != "" {
			o.BaseEndpoint = aws.String(t.Endpoint)
		}
	})
	return awsclient.New(lc, t.Target, t.Stream, copts...)
}
