package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

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
// arrives. One is allocated per call: its bools sit together, not each
// padded to a word, which keeps it in a smaller size class.
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
	shared    *sharedBody
	messages  int
	bodyOwned bool // body is the stream's own, to recycle when done
	recycle   bool // response frames go back to the pool once decoded

	sendOnce     sync.Once
	closed       atomic.Bool   // half-closed: no more SendMsg
	sentCh       chan struct{} // closed when the response headers are in (or failed)
	resp         *http.Response
	header       metadata.MD
	trailer      metadata.MD
	frames       *wire.Reader
	respComp     string
	unaryMsg     []byte      // a Connect unary response body
	headerStatus http.Header // a gRPC-Web trailers-only status
	received     int
	frameSeen    bool
	unaryOK      bool
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

// Context returns the call's context, canceled when the call ends.
func (s *clientStream) Context() context.Context { return s.ctx }

// SendMsg adds a request message to the request body, which goes out
// when the stream half-closes.
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

// Header sends the request, if it has not gone yet, and returns the
// response's header metadata once it is in.
func (s *clientStream) Header() (metadata.MD, error) {
	s.start()
	<-s.sentCh
	if s.header == nil && s.err != nil && !errors.Is(s.err, io.EOF) {
		return nil, s.err
	}
	return s.header, nil
}

// Trailer returns the trailer metadata, once RecvMsg has returned an
// error or io.EOF.
func (s *clientStream) Trailer() metadata.MD { return s.trailer }

// fail ends the call with err.
func (s *clientStream) fail(err error) {
	if s.err == nil || errors.Is(s.err, io.EOF) {
		s.err = err
	}
	s.cancel()
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

// RecvMsg sends the request, if it has not gone yet, and reads the next
// response message into m; io.EOF ends a successful call.
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
			s.format.end(s, payload)
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

// releaseBody gives up the call's hold on the request body's buffer.
func (s *clientStream) releaseBody() {
	if s.shared != nil {
		s.shared.release()
		s.shared = nil
	}
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
