// Command web serves the example page of examples/web and runs the greeter
// beside it on the local Lambda emulator, in RESPONSE_STREAM mode, on
// another origin: the page calls the Function URL across origins, which
// the URL's CORS configuration allows. From the repository's root, after
// npm ci in examples/web:
//
//	go run ./examples/web
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/lambdagrpc/lambdagrpc/emulator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "web:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8000", "where the page is served")
	fnAddr := flag.String("function-addr", "127.0.0.1:9000", "where the greeter's Function URL listens")
	dir := flag.String("dir", "examples/web", "the folder of the page")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := start(ctx, *addr, *fnAddr, *dir, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Printf("Function URL  %s\nPage          %s\n\nPress Ctrl-C to stop.\n", d.functionURL, d.pageURL)
	<-ctx.Done()
	return d.close()
}

// demo is the page's server and the greeter's emulator.
type demo struct {
	page        *http.Server
	fn          *emulator.Emulator
	pageURL     string // with the Function URL in its query
	functionURL string
}

// start serves dir on addr and starts the greeter with a Function URL on
// fnAddr that allows the page's origin; either address may have port 0.
// The greeter's log goes to log.
func start(ctx context.Context, addr, fnAddr, dir string, log io.Writer) (*demo, error) {
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@connectrpc", "connect-web")); err != nil {
		return nil, fmt.Errorf("the page needs its npm packages: run npm ci in %s (%w)", dir, err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	fn, err := emulator.Start(ctx, emulator.Config{
		Name:       "greeter",
		Package:    "github.com/lambdagrpc/lambdagrpc/examples/greeter",
		Addr:       fnAddr,
		InvokeMode: emulator.ResponseStream,
		Env:        []string{"LAMBDAGRPC_INVOKE_MODE=RESPONSE_STREAM"},
		CORS: &emulator.CORS{
			AllowOrigins:  []string{"http://127.0.0.1:" + port, "http://localhost:" + port},
			AllowMethods:  []string{"GET", "POST"},
			AllowHeaders:  []string{"*"},
			ExposeHeaders: []string{"grpc-status", "grpc-message", "grpc-status-details-bin"},
			MaxAge:        7200,
		},
		Output: log,
	})
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	d := &demo{
		page:        &http.Server{Handler: http.FileServer(http.Dir(dir))},
		fn:          fn,
		functionURL: fn.URL(),
	}
	d.pageURL = "http://127.0.0.1:" + port + "/?url=" + url.QueryEscape(d.functionURL)
	go func() { _ = d.page.Serve(ln) }()
	return d, nil
}

func (d *demo) close() error {
	return errors.Join(d.page.Close(), d.fn.Close())
}
