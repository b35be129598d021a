// Command lambdaserver is the server under test for the Connect conformance
// runner (connectrpc.com/conformance, --mode server). It serves the
// conformance service on a plain grpc-go server through lambdagrpc and
// reports the address to the runner:
//
//   - -via handler: lambdagrpc.NewHandler on an HTTP/1.1 listener, the
//     translation on its own;
//   - -via emulator: the project's Lambda emulator, with the function
//     running lambdagrpc.Serve against the emulator's Runtime API, so every
//     call crosses the Function URL front door and the Runtime API;
//   - -via bridge: the bridge (native gRPC over h2c) in front of the
//     emulator, so native gRPC clients drive the whole path.
//
// It reads one length-prefixed ServerCompatRequest from stdin, writes one
// length-prefixed ServerCompatResponse to stdout, and serves until SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/conformance/internal/compat"
	conformancev1 "github.com/lambdagrpc/lambdagrpc/conformance/internal/gen/conformancev1"
	"github.com/lambdagrpc/lambdagrpc/conformance/internal/service"
)

func main() {
	via := flag.String("via", "handler", "how calls reach the server: handler or emulator")
	mode := flag.String("invoke-mode", "BUFFERED", "with -via emulator: BUFFERED or RESPONSE_STREAM")
	flag.Parse()
	if err := run(*via, lambdagrpc.InvokeMode(*mode)); err != nil {
		fmt.Fprintln(os.Stderr, "lambdaserver:", err)
		os.Exit(1)
	}
}

func run(via string, mode lambdagrpc.InvokeMode) error {
	var req conformancev1.ServerCompatRequest
	if err := compat.Read(os.Stdin, &req); err != nil {
		return fmt.Errorf("reading the ServerCompatRequest: %w", err)
	}
	if req.GetUseTls() {
		return errors.New("TLS is the front door's business; the config must not ask for it")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	var opts []grpc.ServerOption
	if n := req.GetMessageReceiveLimit(); n > 0 {
		opts = append(opts, grpc.MaxRecvMsgSize(int(n)))
	}
	s := grpc.NewServer(opts...)
	service.Register(s)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	var addr string
	var wait func() error
	switch via {
	case "handler":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: lambdagrpc.NewHandler(s, lambdagrpc.WithLogger(logger))}
		go func() { _ = srv.Serve(ln) }()
		addr = ln.Addr().String()
		wait = func() error {
			<-ctx.Done()
			return srv.Close()
		}
	case "emulator":
		a, w, err := viaEmulator(ctx, s, mode, logger)
		if err != nil {
			return err
		}
		addr, wait = a, w
	case "bridge":
		a, w, err := viaBridge(ctx, s, mode, logger)
		if err != nil {
			return err
		}
		addr, wait = a, w
	default:
		return fmt.Errorf("unknown -via %q", via)
	}

	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	p, _ := strconv.Atoi(port)
	if err := compat.Write(os.Stdout, &conformancev1.ServerCompatResponse{Host: host, Port: uint32(p)}); err != nil {
		return fmt.Errorf("writing the ServerCompatResponse: %w", err)
	}
	return wait()
}
