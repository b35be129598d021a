package client

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// send issues the HTTP request and reads the response head.
func (s *clientStream) send() {
	defer close(s.sentCh)
	if s.codec == nil {
		s.fail(status.Errorf(codes.Internal, "no codec registered for content subtype %q", s.subtype))
		return
	}
	if s.unary && s.messages != 1 {
		s.fail(status.Errorf(codes.Internal, "a unary call sends one request message, not %d", s.messages))
		return
	}
	req, err := s.request()
	if err != nil {
		s.fail(statusError(err))
		return
	}
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		s.peer = peer.Peer{Addr: info.Conn.RemoteAddr(), LocalAddr: info.Conn.LocalAddr()}
	}}
	req = req.WithContext(httptrace.WithClientTrace(s.ctx, trace))
	resp, err := s.c.hc.Do(req)
	if err != nil {
		s.fail(statusError(ctxErr(s.ctx, err)))
		return
	}
	s.resp = resp
	for _, p := range s.peerP {
		*p = s.peer
	}
	s.head(resp)
}

// ctxErr returns ctx's error once it has ended, else err: the reason a
// request failed.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// request builds the call's HTTP request: the protocol's method, URL,
// body and headers, and the caller's metadata.
func (s *clientStream) request() (*http.Request, error) {
	var timeout time.Duration
	if deadline, ok := s.ctx.Deadline(); ok {
		if timeout = time.Until(deadline); timeout <= 0 {
			return nil, context.DeadlineExceeded
		}
	}
	method, u, body := s.format.target(s, s.c.base+s.method)
	lend := false
	if body == nil && method == http.MethodPost {
		body, lend = bytes.NewReader(s.body), true
	}
	req, err := http.NewRequestWithContext(s.ctx, method, u, body)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "building the request: %v", err)
	}
	if s.bodyOwned && class(cap(s.body)) >= 0 { // small buffers are not worth recycling
		if lend {
			// The body goes out as it is: lend the transport the stream's
			// buffer, which is recycled once both are done with it.
			sb := newSharedBody(s.body)
			s.shared = sb
			req.Body = sb.open()
			req.GetBody = func() (io.ReadCloser, error) { return sb.open(), nil }
		} else {
			// Encoded into the URL or as text: the buffer is free now.
			putBuf(s.body)
		}
		s.body, s.bodyOwned = nil, false
	}
	// The request's own header map, written in place: a map of ours,
	// handed to the protocol, would escape, two allocations more per call.
	h := req.Header
	h.Set("User-Agent", userAgent)
	addMetadata(h, s.ctx)
	s.format.header(s, h, method, timeout)
	return req, nil
}
