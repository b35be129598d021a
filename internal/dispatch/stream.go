package dispatch

import (
	"context"
	"errors"
	"io"
	"math"
	"runtime/debug"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/protocol"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// errIllegalHeaderWrite is grpc-go's answer to a header set or sent after
// the headers went out.
var errIllegalHeaderWrite = status.Error(codes.Internal, "transport: SendHeader called multiple times")

// directStream is one call on the direct path: the grpc.ServerStream its
// handler gets. Its methods are called from the handler's goroutine; the
// mutex orders them against abandon, called from the request's goroutine.
type directStream struct {
	d        *direct
	c        *protocol.Conn
	ctx      context.Context // the handler's
	statsCtx context.Context // the stats handler's: ctx without the transport stream
	cancel   context.CancelFunc
	method   string
	desc     *grpc.StreamDesc
	frames   wire.Reader // the request's messages
	// framesLater: frames is set on the first read, if recvMessage does
	// not take the request message as it is.
	framesLater bool
	codecName   string
	codec       baseCodec

	recvCompress string
	decompressor encoding.Compressor
	sendCompress string
	compressor   encoding.Compressor

	recvFirst bool
	inMemory  bool                 // frames reads the request's bytes in memory
	sendHdr   [wire.HeaderLen]byte // SendMsg's frame header, under mu

	mu         sync.Mutex
	header     metadata.MD
	trailer    metadata.MD
	headerSent bool
	done       bool           // the status is written or the call was abandoned
	st         *status.Status // the status written, nil if none
	stTrailer  metadata.MD    // the trailer written with it

	hasDeadline bool // a deadline applies to the call

	// What Run runs, and where it says it has finished.
	impl     any
	sh       stats.Handler
	finished chan struct{}
}

// result returns the call's status (nil if the handler wrote none),
// trailer, and whether a deadline applied, for Conn.End.
func (s *directStream) result() (*status.Status, metadata.MD, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st, s.stTrailer, s.hasDeadline
}

// run calls the handler and writes its status, as grpc-go's processRPC
// does.
func (s *directStream) run(impl any, sh stats.Handler) {
	d := s.d
	if m := d.metrics; m != nil {
		m.started.Add(1)
		m.lastStarted.Store(time.Now().UnixNano())
	}
	var begin *stats.Begin
	if sh != nil {
		begin = &stats.Begin{BeginTime: time.Now(), IsClientStream: s.desc.ClientStreams, IsServerStream: s.desc.ServerStreams}
		sh.HandleRPC(s.statsCtx, begin)
	}
	var appErr error
	defer func() {
		if p := recover(); p != nil {
			// A panic outside the interceptor chain (a codec, a stats
			// handler): the interceptors installed by installRecovery could
			// not catch it.
			d.log.ErrorContext(s.ctx, "lambdagrpc: handler panicked", "method", s.method, "panic", p, "stack", string(debug.Stack()))
			appErr = status.Error(codes.Internal, PanicMessage)
			s.writeStatus(status.Convert(appErr))
		}
		if sh != nil {
			end := &stats.End{BeginTime: begin.BeginTime, EndTime: time.Now()}
			if appErr != nil && !errors.Is(appErr, io.EOF) {
				end.Error = appErr
			}
			sh.HandleRPC(s.statsCtx, end)
		}
		if m := d.metrics; m != nil {
			if appErr != nil && !errors.Is(appErr, io.EOF) {
				m.failed.Add(1)
			} else {
				m.succeeded.Add(1)
			}
		}
	}()

	s.ctx = grpc.NewContextWithServerTransportStream(s.ctx, transportStream{s})
	if d.codec != nil {
		s.codec = d.codec
	} else {
		s.codec = codecFor(s.codecName)
	}
	if rc := s.recvCompress; rc != "" && rc != encoding.Identity {
		s.decompressor = encoding.GetCompressor(rc)
		if s.decompressor == nil {
			st := status.Newf(codes.Unimplemented, "grpc: Decompressor is not installed for grpc-encoding %q", rc)
			s.writeStatus(st)
			appErr = st.Err()
			return
		}
		// grpc-go answers in the encoding the request came in.
		s.compressor, s.sendCompress = s.decompressor, rc
	}

	if *d.streamInt == nil || (!s.desc.ClientStreams && !s.desc.ServerStreams) {
		appErr = s.desc.Handler(impl, s)
	} else {
		info := &grpc.StreamServerInfo{FullMethod: s.method, IsClientStream: s.desc.ClientStreams, IsServerStream: s.desc.ServerStreams}
		appErr = (*d.streamInt)(impl, s, info, s.desc.Handler)
	}
	if appErr != nil {
		st, ok := status.FromError(appErr)
		if !ok {
			st = status.FromContextError(appErr)
			appErr = st.Err()
		}
		s.writeStatus(st)
		return
	}
	s.writeStatus(statusOK)
}

var statusOK = status.New(codes.OK, "")

// abandon ends the call for the request's goroutine: the handler's later
// writes are dropped.
func (s *directStream) abandon() {
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
}

// writeStatus ends the call with st, once; later statuses are dropped.
// Like grpc-go's, it ends the handler's context: the call is over.
func (s *directStream) writeStatus(st *status.Status) {
	trailer, ok := func() (metadata.MD, bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.done {
			return nil, false
		}
		s.done = true
		if !s.headerSent {
			// A status with no message before it goes out alone
			// (trailers-only): no OutHeader event.
			s.writeHeaderLocked()
		}
		s.c.Flush()
		s.st, s.stTrailer = st, s.trailer
		return s.trailer, true
	}()
	if !ok {
		return
	}
	s.cancel()
	if sh := *s.d.stats; sh != nil {
		sh.HandleRPC(s.statsCtx, &stats.OutTrailer{Trailer: trailer.Copy()})
	}
}

// SendMsg implements grpc.ServerStream.
func (s *directStream) SendMsg(m any) (err error) {
	defer func() {
		if err != nil && !errors.Is(err, io.EOF) {
			s.writeStatus(status.Convert(err))
		}
	}()
	if ok, err := s.sendMessage(m); ok {
		return err
	}
	var data mem.BufferSlice
	// grpc-go sends an untyped nil as an empty message. A response nobody
	// reads is not encoded, unless a stats handler is told its size.
	if m != nil && (!s.c.Discards() || *s.d.stats != nil) {
		if data, err = s.codec.Marshal(m); err != nil {
			return status.Errorf(codes.Internal, "grpc: error while marshaling: %v", err)
		}
		defer data.Free()
	}
	dataLen := data.Len()
	if uint(dataLen) > math.MaxUint32 {
		return status.Errorf(codes.ResourceExhausted, "grpc: message too large (%d bytes)", dataLen)
	}
	payload, flags := data, byte(0)
	if s.compressor != nil && dataLen > 0 {
		chunks := make([][]byte, len(data))
		for i, b := range data {
			chunks[i] = b.ReadOnlyData()
		}
		out, err := wire.Compress(s.compressor, chunks...)
		if err != nil {
			return status.Errorf(codes.Internal, "grpc: error while compressing: %v", err)
		}
		payload, flags = mem.BufferSlice{mem.SliceBuffer(out)}, wire.FlagCompressed
	}
	payloadLen := payload.Len()
	if payloadLen > *s.d.maxSend {
		return status.Errorf(codes.ResourceExhausted, "trying to send message larger than max (%d vs. %d)", payloadLen, *s.d.maxSend)
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
		werr = s.c.SendMessage(wire.AppendHeader(s.sendHdr[:0], flags, payloadLen), payload)
		if werr == nil {
			s.c.Flush()
		}
	}()
	if ended {
		return s.endedError()
	}
	if headerNow {
		s.outHeader(sent)
	}
	if werr != nil {
		return s.writeError(werr)
	}
	if sh := *s.d.stats; sh != nil {
		sh.HandleRPC(s.statsCtx, &stats.OutPayload{
			Payload:          m,
			Length:           dataLen,
			WireLength:       payloadLen + wire.HeaderLen,
			CompressedLength: payloadLen,
			SentTime:         time.Now(),
		})
	}
	return nil
}

// writeError explains a failed write of a response message.
func (s *directStream) writeError(err error) error {
	if errors.Is(err, protocol.ErrResponseTooLarge) {
		return status.Error(codes.ResourceExhausted, err.Error())
	}
	if cerr := s.ctx.Err(); cerr != nil {
		return status.FromContextError(cerr).Err()
	}
	return status.Errorf(codes.Unavailable, "writing the response: %v", err)
}

// endedError is what writing to a call that has ended returns.
func (s *directStream) endedError() error {
	if err := s.ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return status.Error(codes.Unavailable, "transport is closing")
}
