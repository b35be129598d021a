package client

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// grpcWeb is gRPC-Web: framed messages both ways, the status and trailers
// in a final frame of the response (or, in a trailers-only answer, its
// headers). In text mode the body, both ways, is base64.
type grpcWeb struct{ text bool }

var (
	web     wireFormat = &grpcWeb{}
	webText wireFormat = &grpcWeb{text: true}
)

// contentType is the protocol's content type, without the codec.
func (p *grpcWeb) contentType() string {
	if p.text {
		return "application/grpc-web-text"
	}
	return "application/grpc-web"
}

func (*grpcWeb) framed() bool { return true }

func (*grpcWeb) allowsGET() bool { return false }

func (p *grpcWeb) target(s *clientStream, u string) (string, string, io.Reader) {
	if p.text {
		return http.MethodPost, u, bytes.NewReader(wire.AppendText(nil, s.body))
	}
	return http.MethodPost, u, nil
}

func (p *grpcWeb) header(s *clientStream, h http.Header, _ string, timeout time.Duration) {
	if p.text {
		h.Set("Accept", "application/grpc-web-text")
	}
	h.Set("Content-Type", p.contentType()+"+"+s.subtype)
	h.Set("X-Grpc-Web", "1")
	h.Set("X-User-Agent", userAgent)
	h.Set("Grpc-Accept-Encoding", "gzip")
	if s.comp != "" {
		h.Set("Grpc-Encoding", s.comp)
	}
	if timeout > 0 {
		h.Set("Grpc-Timeout", wire.FormatTimeout(timeout))
	}
}

func (p *grpcWeb) head(s *clientStream, resp *http.Response, ct string) {
	if resp.StatusCode != http.StatusOK {
		// The status may be in the headers of a trailers-only answer;
		// otherwise the HTTP status says what went wrong.
		if st, ok, serr := wire.StatusFromHeader(resp.Header); ok {
			s.finish(st, resp.Header, serr == nil)
		} else {
			s.fail(httpError(resp))
		}
		resp.Body.Close()
		return
	}
	if !s.expectContentType(resp, ct, p.contentType()) {
		return
	}
	var r io.Reader = resp.Body
	length := resp.ContentLength
	if p.text {
		r = wire.NewTextReader(resp.Body)
		length = wire.DecodedTextLen(length)
	}
	s.readFrames(r, length, resp.Header.Get("Grpc-Encoding"))
	if _, ok, _ := wire.StatusFromHeader(resp.Header); ok {
		// A trailers-only answer: the status is in the headers, unless a
		// body follows after all, whose trailers then win.
		s.headerStatus = resp.Header
	}
}

func (*grpcWeb) endFlag() byte { return wire.FlagWebTrailer }

func (*grpcWeb) endName() string { return "gRPC-Web trailers" }

func (*grpcWeb) end(s *clientStream, payload []byte) {
	h, err := wire.ParseTrailerBlock(payload)
	if err != nil {
		s.fail(status.Errorf(codes.Internal, "malformed gRPC-Web trailers: %v", err))
		return
	}
	st, ok, serr := wire.StatusFromHeader(h)
	if !ok {
		st = status.New(codes.Internal, "the gRPC-Web trailers carry no grpc-status")
	} else if serr != nil {
		st = status.New(codes.Internal, serr.Error())
	}
	s.finish(st, h, ok && serr == nil)
}
