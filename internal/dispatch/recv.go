package dispatch

import (
	"errors"
	"io"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// RecvMsg implements grpc.ServerStream.
func (s *directStream) RecvMsg(m any) (err error) {
	defer func() {
		if err != nil && !errors.Is(err, io.EOF) {
			s.writeStatus(status.Convert(err))
		}
	}()
	if ok, err := s.recvMessage(m); ok {
		return err
	}
	if err := s.recv(m, true); err != nil {
		if errors.Is(err, io.EOF) && !s.desc.ClientStreams && !s.recvFirst {
			return status.Error(codes.Internal, "cardinality violation: received no request message from non-client-streaming RPC")
		}
		return err
	}
	s.recvFirst = true
	if s.desc.ClientStreams {
		return nil
	}
	// A unary or server-streaming call has exactly one request message. As
	// in grpc-go, a second one is decoded (into m) but not counted.
	if err := s.recv(m, false); errors.Is(err, io.EOF) {
		return nil
	} else if err != nil {
		return err
	}
	return status.Error(codes.Internal, "cardinality violation: received multiple request messages for non-client-streaming RPC")
}

// recv reads, checks, decompresses and decodes the next request message.
// It returns io.EOF at a clean end of the body. The stats handler hears of
// the message if count is set.
func (s *directStream) recv(m any, count bool) error {
	if s.framesLater {
		s.framesLater = false
		s.frames = s.c.Messages(*s.d.maxRecv)
	}
	flags, buf, err := s.frames.Next()
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	if err != nil {
		var tl *wire.FrameTooLargeError
		switch {
		case errors.As(err, &tl):
			return status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", tl.Length, tl.Max)
		case errors.Is(err, wire.ErrTruncated):
			return readError(io.ErrUnexpectedEOF)
		}
		return readError(err)
	}
	switch flags {
	case 0:
	case wire.FlagCompressed:
		if s.recvCompress == "" || s.recvCompress == encoding.Identity {
			return status.Error(codes.Internal, "grpc: compressed flag set with identity or empty encoding")
		}
	default:
		return status.Errorf(codes.Internal, "grpc: received unexpected payload format %d", flags)
	}
	data := buf
	if flags == wire.FlagCompressed {
		var err error
		if data, err = s.decompress(buf); err != nil {
			return err
		}
	}
	if err := s.unmarshal(data, flags == wire.FlagCompressed, m); err != nil {
		return status.Errorf(codes.Internal, "grpc: failed to unmarshal the received message: %v", err)
	}
	if sh := *s.d.stats; sh != nil && count {
		sh.HandleRPC(s.statsCtx, &stats.InPayload{
			RecvTime:         time.Now(),
			Payload:          m,
			Length:           len(data),
			WireLength:       len(buf) + wire.HeaderLen,
			CompressedLength: len(buf),
		})
	}
	return nil
}

// unmarshal decodes data, a request message, into m with the call's codec.
// A V1 codec (encoding.Codec) gets a copy of the bytes, as grpc-go gives
// it, unless they are the request's own bytes in memory or were just
// decompressed: such bytes are never reused, and the copy was as much
// work as decoding a small message.
func (s *directStream) unmarshal(data []byte, decompressed bool, m any) error {
	if v1, ok := s.codec.(codecV1); ok && (s.inMemory || decompressed) {
		if len(data) == 0 {
			data = nil // what Materialize gives for an empty message
		}
		return v1.c.Unmarshal(data, m)
	}
	return s.codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(data)}, m)
}

func (s *directStream) decompress(p []byte) ([]byte, error) {
	max := *s.d.maxRecv
	out, tooLarge, err := wire.Decompress(s.decompressor, p, max)
	switch {
	case err != nil:
		return nil, status.Errorf(codes.Internal, "grpc: failed to decompress the message: %v", err)
	case tooLarge:
		return nil, status.Errorf(codes.ResourceExhausted, "grpc: received message after decompression larger than max %d", max)
	}
	return out, nil
}

// readError maps a failure to read the request body to a status.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return status.Error(codes.Internal, io.ErrUnexpectedEOF.Error())
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Errorf(codes.Internal, "reading the request: %v", err)
}
