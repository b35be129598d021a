package client

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// head reads the response status line and headers.
func (s *clientStream) head(resp *http.Response) {
	s.header = headerMD(resp.Header)
	for _, p := range s.headerP {
		*p = s.header
	}
	if lambdaAnswered(resp) {
		// Lambda's own answer (a front door's or the Invoke API's), whose
		// JSON body must not be mistaken for a Connect error.
		s.fail(httpError(resp))
		resp.Body.Close()
		return
	}
	s.format.head(s, resp, strings.ToLower(resp.Header.Get("Content-Type")))
}

// expectContentType fails the call, closing resp's body, unless the
// response's content type ct starts with want.
func (s *clientStream) expectContentType(resp *http.Response, ct, want string) bool {
	if strings.HasPrefix(ct, want) {
		return true
	}
	s.fail(status.Errorf(contentTypeCode(ct, want), "the server answered with content type %q, not %s: is the URL a gRPC-Web or Connect server?", ct, want))
	resp.Body.Close()
	return false
}

// readFrames readies the response's frames, read from r, which holds at
// most length bytes (-1: unknown), their compression being comp.
func (s *clientStream) readFrames(r io.Reader, length int64, comp string) {
	// The server is the one the caller chose: its frame lengths are trusted,
	// up to the default receive limit. A larger limit (the bridge's is
	// Lambda's 200 MiB streaming cap) grows longer frames' buffers as their
	// bytes arrive, so a lying length prefix costs no more than that.
	s.frames = wire.NewReader(r, max(s.maxRecv, 0)+64<<10).WithLength(length).TrustLengthsUpTo(defaultMaxRecv + 64<<10)
	if s.recycle {
		s.frames.AllocWith(getBuf)
	}
	s.respComp = comp
}

// contentTypeCode is the code for an answer of the wrong content type: a
// server of the protocol that chose another codec has a bug (INTERNAL);
// anything else is not a server of the protocol at all (UNKNOWN).
func contentTypeCode(ct, protocolPrefix string) codes.Code {
	if strings.HasPrefix(ct, protocolPrefix) {
		return codes.Internal
	}
	return codes.Unknown
}

// recycleFrame returns a decoded frame's buffer to the pool when the codec
// keeps nothing of it.
func (s *clientStream) recycleFrame(b []byte) {
	if s.recycle {
		putBuf(b)
	}
}

// readError explains why reading frames stopped.
func (s *clientStream) readError(err error) error {
	if ctx := s.ctx.Err(); ctx != nil {
		return status.FromContextError(ctx).Err()
	}
	var tl *wire.FrameTooLargeError
	switch {
	case errors.As(err, &tl):
		return &MessageTooLargeError{Size: tl.Length, Limit: s.maxRecv}
	case errors.Is(err, io.EOF):
		return status.Error(codes.Internal, "the stream ended without "+s.format.endName())
	case errors.Is(err, wire.ErrTruncated), errors.Is(err, io.ErrUnexpectedEOF):
		return status.Error(codes.Internal, "the stream was cut off in the middle of a message")
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		// Without the socket addresses (grpc.Peer has them), which a
		// bridge would otherwise hand its callers.
		return status.Errorf(codes.Unavailable, "reading the response: %v", op.Err)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return status.Errorf(codes.Unavailable, "reading the response: %v", err)
	}
	return status.Errorf(codes.Internal, "reading the response: %v", err)
}
