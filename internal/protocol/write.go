package protocol

import (
	"net/http"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// Misconfigured answers a call to a handler that cannot serve any: in the
// call's protocol where it has one, else as plain HTTP.
func Misconfigured(w http.ResponseWriter, r *http.Request, msg string) {
	p, _, native := match(r)
	switch {
	case native:
		failNative(w, status.New(codes.Internal, msg))
		return
	case p == nil:
		http.Error(w, msg, http.StatusInternalServerError)
		return
	}
	c := &Conn{w: w, r: r, p: p, codec: "proto", bodyLen: -1}
	c.Fail(status.New(codes.Internal, msg))
}

// fits reports whether p can still be written under the response writer's
// limit, if it has one.
func (c *Conn) fits(p []byte) bool {
	lw, ok := c.w.(httpx.LimitedWriter)
	return !ok || lw.Fits(p)
}

// tooLarge ends the call: the rest of the response cannot be delivered.
func (c *Conn) tooLarge() error {
	c.overflow = true
	c.pending = nil
	if c.stop != nil {
		c.stop()
	}
	return ErrResponseTooLarge
}

// writeFrame writes p, a piece of the response's frames, straight to the
// client, sending the headers first.
func (c *Conn) writeFrame(p []byte) error {
	if !c.fits(p) {
		return c.tooLarge()
	}
	c.p.commit(c)
	_, err := c.w.Write(p)
	return err
}

// hold keeps p for the next flush or the end.
func (c *Conn) hold(p []byte) { c.pending = append(c.pending, p...) }

// writeHeaders sets the response's header metadata and content type on
// out, and the messages' encoding under encHeader unless that is "".
func (c *Conn) writeHeaders(out http.Header, contentType, encHeader string) {
	c.copyHeaders(out)
	out.Set("Content-Type", contentType)
	if c.enc != "" && encHeader != "" {
		out.Set(encHeader, c.enc)
	}
}

// copyHeaders copies the application's response metadata.
func (c *Conn) copyHeaders(out http.Header) {
	for k, vs := range c.header {
		switch {
		case wire.IsReservedHeader(k), k == "grpc-status-details-bin", k == "trailer", k == "date":
			continue
		}
		for _, v := range vs {
			out.Add(k, wire.EncodeValue(k, v))
		}
	}
}

// trailers returns the application's trailing metadata as HTTP fields; the
// status's own details, if it has any, replace a grpc-status-details-bin
// of the application's.
func (c *Conn) trailers(st *status.Status) http.Header {
	var t http.Header
	details := len(st.Proto().GetDetails()) > 0
	for k, vs := range c.trailer {
		if wire.IsReservedHeader(k) || (details && k == "grpc-status-details-bin") {
			continue
		}
		if t == nil {
			t = make(http.Header, len(c.trailer)+3)
		}
		ck := http.CanonicalHeaderKey(k)
		for _, v := range vs {
			t[ck] = append(t[ck], wire.EncodeValue(k, v))
		}
	}
	return t
}

// writeBody writes p and flushes it.
func (c *Conn) writeBody(p []byte) {
	_, _ = c.w.Write(p)
	flush(c.w)
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// grpcTimeout parses a grpc-timeout header; -1 for none.
func grpcTimeout(r *http.Request) (time.Duration, *status.Status) {
	v := r.Header.Get("Grpc-Timeout")
	if v == "" {
		return -1, nil
	}
	d, err := wire.ParseTimeout(v)
	if err != nil {
		return 0, status.Newf(codes.InvalidArgument, "invalid grpc-timeout: %v", err)
	}
	return d, nil
}
