package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// userAgent identifies the client in X-User-Agent (gRPC-Web) and
// User-Agent.
const userAgent = "lambdagrpc-go-client"

// clientStream is one call: the request is built from SendMsg, sent in one
// HTTP request when the stream half-closes, and the response read as it
// arrives.
type clientStream struct {
	c       *Conn
	format  wireFormat // the protocol's, for this kind of call
	ctx     context.Context
	cancel  context.CancelFunc
	desc    *grpc.StreamDesc
	method  string
	unary   bool // neither side streams
	codec   codec
	subtype string
	comp    string
	maxRecv int
	headerP []*metadata.MD
	trailP  []*metadata.MD
	peerP   []*peer.Peer

	body      []byte // the framed request (Connect unary: the bare message)
	bodyOwned bool   // body is the stream's own, to recycle when done
	shared    *sharedBody
	recycle   bool // response frames go back to the pool once decoded
	messages  int

	sendOnce     sync.Once
	closed       atomic.Bool   // half-closed: no more SendMsg
	sentCh       chan struct{} // closed when the response headers are in (or failed)
	resp         *http.Response
	header       metadata.MD
	trailer      metadata.MD
	frames       *wire.Reader
	respComp     string
	unaryMsg     []byte // a Connect unary response body
	frameSeen    bool
	headerStatus http.Header // a gRPC-Web trailers-only status
	unaryOK      bool
	received     int
	err          error // the call's final error; io.EOF for success
	peer         peer.Peer
}

func (c *Conn) newStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts []grpc.CallOption) *clientStream {
	ctx, cancel := context.WithCancel(ctx)
	s := &clientStream{
		c: c, ctx: ctx, cancel: cancel, desc: desc, method: method,
		unary:   !desc.ClientStreams && !desc.ServerStreams,
		subtype: c.codec, comp: c.compressor, maxRecv: c.maxRecv,
		sentCh: make(chan struct{}),
	}
	s.format = c.streamFormat
	if s.unary {
		s.format = c.unaryFormat
	}
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			s.headerP = append(s.headerP, o.HeaderAddr)
		case grpc.TrailerCallOption:
			s.trailP = append(s.trailP, o.TrailerAddr)
		case grpc.PeerCallOption:
			s.peerP = append(s.peerP, o.PeerAddr)
		case grpc.MaxRecvMsgSizeCallOption:
			s.maxRecv = o.MaxRecvMsgSize
		case grpc.CompressorCallOption:
			s.comp = o.CompressorType
		case grpc.ContentSubtypeCallOption:
			s.subtype = strings.ToLower(o.ContentSubtype)
		case grpc.ForceCodecV2CallOption:
			s.codec = codecV2{o.CodecV2}
			s.subtype = o.CodecV2.Name()
		case grpc.ForceCodecCallOption:
			s.codec = o.Codec.(codec)
			s.subtype = o.Codec.Name()
		}
	}
	if s.codec == nil {
		s.codec = codecFor(s.subtype)
	}
	s.recycle = copiesOnUnmarshal(s.codec)
	if s.comp == "identity" {
		s.comp = ""
	}
	return s
}

func (s *clientStream) Context() context.Context { return s.ctx }

func (s *clientStream) SendMsg(m any) error {
	if s.closed.Load() {
		return io.EOF // the stream is half-closed: grpc-go's answer too
	}
	if s.codec == nil {
		return status.Errorf(codes.Internal, "no codec registered for content subtype %q", s.subtype)
	}
	if !s.desc.ClientStreams && s.messages > 0 {
		return status.Error(codes.Internal, "this method takes one request message")
	}
	if pm, ok := m.(proto.Message); ok && s.subtype == "proto" && s.comp == "" && s.format.framed() {
		// The common case: marshal straight into the request body, after a
		// frame header whose length is filled in once it is known.
		size := proto.Size(pm)
		if s.body == nil {
			s.body, s.bodyOwned = getBuf(wire.HeaderLen + size)[:0], true
		}
		start := len(s.body)
		b, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(wire.AppendHeader(s.body, 0, 0), pm)
		if err != nil {
			return status.Errorf(codes.Internal, "marshaling the request: %v", err)
		}
		n := len(b) - start - wire.HeaderLen
		copy(b[start:], wire.AppendHeader(nil, 0, n))
		s.body = b
		s.messages++
		return nil
	}
	b, err := s.codec.Marshal(m)
	if err != nil {
		return status.Errorf(codes.Internal, "marshaling the request: %v", err)
	}
	compressed := false
	if s.comp != "" {
		if b, err = compress(s.comp, b); err != nil {
			return err
		}
		compressed = true
	}
	s.messages++
	if !s.format.framed() {
		s.body, s.bodyOwned = b, false // the codec's: it may keep it
		return nil
	}
	flags := byte(0)
	if compressed {
		flags = wire.FlagCompressed
	}
	if s.body == nil {
		s.bodyOwned = true // AppendFrame copies b into a new slice
	}
	s.body = wire.AppendFrame(s.body, flags, b)
	return nil
}

// CloseSend half-closes the stream: the request goes out now, and
// RecvMsg or Header wait for the answer.
func (s *clientStream) CloseSend() error {
	s.start()
	return nil
}

func (s *clientStream) start() {
	s.sendOnce.Do(func() {
		s.closed.Store(true)
		go s.send()
	})
}

func (s *clientStream) Header() (metadata.MD, error) {
	s.start()
	<-s.sentCh
	if s.header == nil && s.err != nil && !errors.Is(s.err, io.EOF) {
		return nil, s.err
	}
	return s.header, nil
}

func (s *clientStream) Trailer() metadata.MD { return s.trailer }

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

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (s *clientStream) request() (*http.Request, error) {
	h := requestHeader(s.ctx)
	var timeout time.Duration
	if deadline, ok := s.ctx.Deadline(); ok {
		if timeout = time.Until(deadline); timeout <= 0 {
			return nil, context.DeadlineExceeded
		}
	}
	method, u, body := s.format.request(s, h, s.c.base+s.method, timeout)
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
	for k, vs := range h {
		req.Header[k] = vs
	}
	return req, nil
}

// fail ends the call with err.
func (s *clientStream) fail(err error) {
	if s.err == nil || errors.Is(s.err, io.EOF) {
		s.err = err
	}
	s.cancel()
}

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

// finish records the call's status and trailers; fromServer says the
// status is the server's (IsWireError), not the client's description of a
// malformed one.
func (s *clientStream) finish(st *status.Status, trailer http.Header, fromServer bool) {
	md := make(metadata.MD, len(trailer))
	for k, vs := range trailer {
		lk := strings.ToLower(k)
		if lk == "grpc-status" || lk == "grpc-message" || lk == "grpc-status-details-bin" {
			continue
		}
		md[lk] = decodeValues(lk, vs)
	}
	s.trailer = md
	for _, p := range s.trailP {
		*p = md
	}
	switch {
	case st.Code() == codes.OK:
		s.err = io.EOF
	case fromServer:
		s.err = &wireError{st}
	default:
		s.err = st.Err()
	}
}

func (s *clientStream) RecvMsg(m any) error {
	s.start()
	<-s.sentCh
	if s.unaryOK {
		s.unaryOK = false
		s.releaseBody()
		s.received++
		if err := s.codec.Unmarshal(s.unaryMsg, m); err != nil {
			return status.Errorf(codes.Internal, "unmarshaling the response: %v", err)
		}
		return nil
	}
	for s.err == nil {
		flags, payload, err := s.frames.Next()
		if err != nil {
			if errors.Is(err, io.EOF) && !s.frameSeen && s.headerStatus != nil {
				st, _, serr := wire.StatusFromHeader(s.headerStatus)
				s.finish(st, s.headerStatus, serr == nil)
				break
			}
			s.fail(s.readError(err))
			break
		}
		s.frameSeen = true
		frame := payload // recycled once decoded, if the codec copies
		final := flags&s.format.endFlag() != 0
		if final && flags&wire.FlagCompressed != 0 {
			// Trailers and end-of-stream messages may be compressed like any
			// message.
			if s.respComp == "" || s.respComp == "identity" {
				s.fail(status.Error(codes.Internal, "the server sent compressed trailers without naming its compression"))
				break
			}
			if payload, err = decompress(s.respComp, payload, s.maxRecv+64<<10); err != nil {
				s.fail(err)
				break
			}
		}
		switch {
		case final:
			st, trailer, fromServer, err := s.format.end(payload)
			if err != nil {
				s.fail(err)
				break
			}
			s.finish(st, trailer, fromServer)
			s.recycleFrame(frame)
		default:
			if s.received > 0 && !s.desc.ServerStreams {
				s.fail(status.Error(codes.Unimplemented, "the server sent more than one response message for a method that returns one"))
				break
			}
			if flags&wire.FlagCompressed != 0 {
				if s.respComp == "" || s.respComp == "identity" {
					s.fail(status.Error(codes.Internal, "the server sent a compressed message without naming its compression"))
					break
				}
				if payload, err = decompress(s.respComp, payload, s.maxRecv); err != nil {
					s.fail(err)
					break
				}
			}
			if len(payload) > s.maxRecv {
				s.fail(&MessageTooLargeError{Size: len(payload), Limit: s.maxRecv})
				break
			}
			s.received++
			err := s.codec.Unmarshal(payload, m)
			s.recycleFrame(frame)
			if err != nil {
				s.fail(status.Errorf(codes.Internal, "unmarshaling the response: %v", err))
				break
			}
			if s.desc.ServerStreams {
				return nil
			}
			// One response message: the call succeeds only if the stream
			// then ends cleanly, as in grpc-go.
			if err := s.RecvMsg(&drain{}); !errors.Is(err, io.EOF) {
				return err
			}
			return nil
		}
	}
	if s.resp != nil {
		s.resp.Body.Close()
	}
	s.releaseBody()
	if errors.Is(s.err, io.EOF) && !s.desc.ServerStreams && s.received == 0 {
		s.err = status.Error(codes.Unimplemented, "the server ended the call without a response message")
	}
	s.cancel()
	return s.err
}

// recycleFrame returns a decoded frame's buffer to the pool when the codec
// keeps nothing of it.
func (s *clientStream) recycleFrame(b []byte) {
	if s.recycle {
		putBuf(b)
	}
}

// releaseBody gives up the call's hold on the request body's buffer.
func (s *clientStream) releaseBody() {
	if s.shared != nil {
		s.shared.release()
		s.shared = nil
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

// finishUnary drains a unary call after its message, to learn its status
// and reject extra messages.
func (s *clientStream) finishUnary() error {
	var discard drain
	err := s.RecvMsg(&discard)
	if err == nil {
		s.cancel()
		return status.Error(codes.Unimplemented, "the server sent more than one response message for a method that returns one")
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// drain accepts a message without decoding it.
type drain struct{}
