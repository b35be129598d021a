package dispatch

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/protocol"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// viaServeHTTP runs calls through (*grpc.Server).ServeHTTP: it hands the
// server a native gRPC request and reads the native response the server
// writes into the Conn as it comes.
type viaServeHTTP struct {
	srv *grpc.Server
	log *slog.Logger
}

// Direct reports false.
func (*viaServeHTTP) Direct() bool { return false }

// Serve implements Dispatcher.
func (v *viaServeHTTP) Serve(ctx context.Context, c *protocol.Conn, deadline, now time.Time) {
	r := c.Request()
	if r.ProtoMajor == 1 && !c.InMemory() {
		// net/http closes an HTTP/1 request body once the response starts
		// unless told otherwise, and a client-stream or bidi handler may
		// answer before it has read every message (the direct path does
		// the same for those methods). This path cannot tell the method's
		// kind before the server does; for the others the flag changes
		// nothing. A body in memory stays readable.
		if c.EnableFullDuplex() {
			// In full duplex, net/http drains a body left open only after
			// it has stopped watching the connection, and then starts
			// watching it again while it reads the next request ("invalid
			// concurrent Body.Read call"). The server leaves it open when
			// it rejects a request before reading it: close it while the
			// call is still ours.
			defer func() { _ = r.Body.Close() }()
		}
	}
	path := c.Method()
	req := &http.Request{
		Method:        http.MethodPost,
		URL:           &url.URL{Path: path},
		RequestURI:    path,
		Proto:         "HTTP/2.0",
		ProtoMajor:    2,
		Header:        c.NativeHeader(deadline, now),
		Body:          c.Body(),
		ContentLength: -1,
		Host:          r.Host,
		RemoteAddr:    r.RemoteAddr,
		TLS:           r.TLS,
	}
	w := &nativeWriter{c: c, hdr: make(http.Header, 8)}
	v.srv.ServeHTTP(w, req.WithContext(ctx))
	c.End(ctx, w.status(v.log), w.trailer(), !deadline.IsZero())
}

// nativeWriter is the http.ResponseWriter the server writes its native
// response into. It passes the headers, each message and the status on to
// the Conn.
type nativeWriter struct {
	c         *protocol.Conn
	hdr       http.Header
	headerOut bool   // the header metadata went to c
	httpErr   int    // a status other than 200: the server rejected the request
	errBody   []byte // its body
}

// Header implements http.ResponseWriter.
func (w *nativeWriter) Header() http.Header { return w.hdr }

// WriteHeader implements http.ResponseWriter. Anything but 200 means the
// server rejected the request before it ran a handler.
func (w *nativeWriter) WriteHeader(code int) {
	if code != http.StatusOK && w.httpErr == 0 && !w.headerOut {
		w.httpErr = code
		return
	}
	w.header()
	w.c.SendHeader()
}

// header hands the response's header metadata to the Conn, once: the
// server has written all of it by its first write or flush.
func (w *nativeWriter) header() {
	if w.headerOut {
		return
	}
	w.headerOut = true
	var md metadata.MD
	for k, vs := range w.hdr {
		if isStatusHeader(k) || strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		switch k {
		case "Content-Type", "Trailer", "Grpc-Encoding", "Date":
			continue
		}
		if md == nil {
			md = make(metadata.MD, len(w.hdr))
		}
		addDecoded(md, k, vs)
	}
	w.c.SetHeader(md, w.hdr.Get("Grpc-Encoding"))
}

// Write implements http.ResponseWriter: p is part of the native response
// body, which goes on to the Conn as it comes.
func (w *nativeWriter) Write(p []byte) (int, error) {
	if w.httpErr != 0 {
		w.errBody = append(w.errBody, p...)
		return len(p), nil
	}
	w.header()
	return w.c.Write(p)
}

// Flush implements http.Flusher for the server, which flushes after every
// message.
func (w *nativeWriter) Flush() {
	if w.httpErr != 0 {
		return
	}
	w.header()
	w.c.Flush()
}

// status returns the call's status: from the rejection, or from the
// status the server wrote; nil if it wrote none.
func (w *nativeWriter) status(log *slog.Logger) *status.Status {
	if w.httpErr != 0 {
		msg := strings.TrimSpace(string(w.errBody))
		code := wire.CodeFromHTTP(w.httpErr)
		if w.httpErr == http.StatusBadRequest || w.httpErr == http.StatusUnsupportedMediaType {
			code = codes.InvalidArgument
		}
		return status.New(code, msg)
	}
	st, ok, err := wire.StatusFromHeader(w.hdr)
	if err != nil {
		log.Error("lambdagrpc: the server wrote a malformed status", "method", w.c.Method(), "error", err)
	}
	if !ok {
		return nil
	}
	return st
}

// trailer returns the trailing metadata the server wrote.
func (w *nativeWriter) trailer() metadata.MD {
	var md metadata.MD
	for k, vs := range w.hdr {
		if after, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			if md == nil {
				md = make(metadata.MD)
			}
			addDecoded(md, after, vs)
		}
	}
	return md
}

func isStatusHeader(k string) bool {
	return k == "Grpc-Status" || k == "Grpc-Message" || k == "Grpc-Status-Details-Bin"
}

// addDecoded adds a header's values to md as metadata: binary values
// decoded from base64 (one that is not stays as it was).
func addDecoded(md metadata.MD, k string, vs []string) {
	lk := strings.ToLower(k)
	if !wire.IsBinaryKey(lk) {
		md[lk] = append(md[lk], vs...)
		return
	}
	for _, v := range wire.SplitBinary(vs) {
		if b, err := wire.DecodeBinary(v); err == nil {
			v = string(b)
		}
		md[lk] = append(md[lk], v)
	}
}
