package protocol

import (
	"io"
	"net/http"
	"time"

	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// grpcWeb is gRPC-Web: native gRPC's frames over HTTP/1.1 or HTTP/2, with
// the status and trailers in a final frame of the body instead of HTTP
// trailers. In text mode the body, both ways, is base64.
type grpcWeb struct{ text bool }

var (
	web     wireFormat = &grpcWeb{}
	webText wireFormat = &grpcWeb{text: true}
)

func (p *grpcWeb) String() string {
	if p.text {
		return "gRPC-Web text"
	}
	return "gRPC-Web"
}

func (p *grpcWeb) contentType() string {
	if p.text {
		return "application/grpc-web-text"
	}
	return "application/grpc-web"
}

func (p *grpcWeb) match(r *http.Request, ct string) (string, bool) {
	if r.Method == http.MethodGet {
		return "", false
	}
	return subtype(ct, p.contentType())
}

func (*grpcWeb) allowsGET() bool { return false }

func (*grpcWeb) timeout(r *http.Request) (time.Duration, *status.Status) { return grpcTimeout(r) }

func (*grpcWeb) encodings(r *http.Request) (enc, accept string) {
	return r.Header.Get("Grpc-Encoding"), r.Header.Get("Grpc-Accept-Encoding")
}

func (p *grpcWeb) openBody(c *Conn) *status.Status {
	if p.text {
		c.bodyLen = wire.DecodedTextLen(c.r.ContentLength)
		c.text = wire.NewTextReader(c.r.Body)
		c.body = struct {
			io.Reader
			io.Closer
		}{c.text, c.r.Body}
	}
	return nil
}

func (p *grpcWeb) commit(c *Conn) {
	if c.committed {
		return
	}
	c.committed = true
	c.writeHeaders(c.w.Header(), p.contentType()+"+"+c.codec, "Grpc-Encoding")
	c.w.WriteHeader(http.StatusOK)
}

func (p *grpcWeb) write(c *Conn, b []byte) error {
	if p.text {
		// Base64 goes out whole at each flush.
		c.hold(b)
		return nil
	}
	return c.writeFrame(b)
}

func (p *grpcWeb) flush(c *Conn) {
	if p.text && len(c.pending) > 0 {
		out := wire.AppendText(nil, c.pending)
		if !c.fits(out) {
			_ = c.tooLarge()
			return
		}
		p.commit(c)
		c.pending = c.pending[:0]
		_, _ = c.w.Write(out)
	} else {
		if p.text && c.committed {
			return
		}
		p.commit(c)
	}
	flush(c.w)
}

func (p *grpcWeb) end(c *Conn, st *status.Status) {
	t := c.trailers(st)
	if t == nil {
		t = make(http.Header, 3)
	}
	wire.SetStatusHeader(t, st)
	frame := wire.AppendFrame(nil, wire.FlagWebTrailer, wire.AppendTrailerBlock(nil, t))
	p.commit(c)
	if p.text {
		var out []byte
		if len(c.pending) > 0 {
			out = wire.AppendText(out, c.pending)
		}
		frame = wire.AppendText(out, frame)
		c.pending = nil
	}
	c.writeBody(frame)
}
