package dispatch

import (
	"reflect"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/internal/protocol"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// recvMessage takes a transcoded call's request message as it is, when
// decoding its encoding would give the same message: the server decodes
// with grpc-go's own proto codec, nothing watches the payload (no stats
// handler: it would be told the encoded length), the call has one request
// message, and m is of the message's Go type. The message was checked
// before the call as encoding checks it (valid UTF-8, required fields), so
// decoding would not fail. m gets a copy of its fields (proto.Merge: bytes
// are copied, strings shared, as they are immutable). ok is false when the
// call must decode the message's bytes instead.
func (s *directStream) recvMessage(m any) (ok bool, err error) {
	req := s.c.RequestMessage()
	if req == nil || s.d.codec != nil || *s.d.stats != nil || s.desc.ClientStreams || s.recvFirst || !defaultProtoCodec() {
		return false, nil
	}
	dst, isProto := m.(proto.Message)
	if !isProto || reflect.TypeOf(dst) != reflect.TypeOf(req) {
		return false, nil
	}
	if n := proto.Size(req); n > *s.d.maxRecv {
		return true, status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", n, *s.d.maxRecv)
	}
	proto.Merge(dst, req)
	s.recvFirst = true
	// A later read finds the end of the request.
	s.framesLater = false
	s.frames = *wire.NewBytesReader(nil, *s.d.maxRecv)
	return true, nil
}

// sendMessage hands a unary call's response message to a transcoder that
// takes it as it is (protocol.Conn.Takes), when the client would see the
// same message through its encoding: the server encodes with grpc-go's
// own proto codec, nothing compresses it, no stats handler is told its
// encoded length, and the message encodes without error
// (protocol.Encodable: else encoding it says why). A stream's messages
// are always encoded: its handler may reuse one after sending it. ok is
// false when the message must be encoded instead.
func (s *directStream) sendMessage(m any) (ok bool, err error) {
	pm, isProto := m.(proto.Message)
	if !isProto || s.desc.ServerStreams || s.d.codec != nil || *s.d.stats != nil || s.compressor != nil ||
		!defaultProtoCodec() || !s.c.Takes(pm) || !protocol.Encodable(pm) {
		return false, nil
	}
	if n := proto.Size(pm); n > *s.d.maxSend {
		return true, status.Errorf(codes.ResourceExhausted, "trying to send message larger than max (%d vs. %d)", n, *s.d.maxSend)
	}
	var sent metadata.MD
	var headerNow, ended bool
	var werr error
	func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.done {
			ended = true
			return
		}
		if !s.headerSent {
			sent, headerNow = s.writeHeaderLocked(), true
		}
		werr = s.c.SendResponseMessage(pm)
		if werr == nil {
			s.c.Flush()
		}
	}()
	if ended {
		return true, s.endedError()
	}
	if headerNow {
		s.outHeader(sent)
	}
	if werr != nil {
		return true, s.writeError(werr)
	}
	return true, nil
}

// defaultProtoCodec reports whether the "proto" codec a call decodes with
// is grpc-go's own.
func defaultProtoCodec() bool {
	if encoding.GetCodec("proto") != nil {
		return false
	}
	c := encoding.GetCodecV2("proto")
	if c == nil {
		return false
	}
	t := reflect.TypeOf(c)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() == "google.golang.org/grpc/encoding/proto"
}
