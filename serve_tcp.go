//go:build !lambdagrpc.notcp

package lambdagrpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func listenAddr(cfg *config) string {
	if cfg.addr != "" {
		return cfg.addr
	}
	if p := os.Getenv("PORT"); p != "" {
		return ":" + p
	}
	return DefaultAddr
}

func serveTCP(ctx context.Context, h *handler, cfg *config) error {
	addr := listenAddr(cfg)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("lambdagrpc: listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	if cfg.tlsConfig == nil {
		protocols.SetUnencryptedHTTP2(true)
	} else {
		srv.TLSConfig = cfg.tlsConfig.Clone()
	}
	srv.Protocols = &protocols

	errc := make(chan error, 1)
	go func() {
		if cfg.tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	scheme := "http"
	if cfg.tlsConfig != nil {
		scheme = "https"
	}
	cfg.logger.Info("lambdagrpc: serving gRPC, gRPC-Web and Connect", "addr", ln.Addr().String(), "scheme", scheme)
	select {
	case err := <-errc:
		return fmt.Errorf("lambdagrpc: serve: %w", err)
	case <-ctx.Done():
	}
	timeout := cfg.shutdownTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		cfg.logger.Warn("lambdagrpc: the server stopped with an error", "error", serr)
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("lambdagrpc: shutdown: %w", err)
	}
	if err != nil {
		cfg.logger.Warn("lambdagrpc: calls still running at the end of the shutdown timeout were cut off", "timeout", timeout)
		_ = srv.Close()
	}
	return nil
}
