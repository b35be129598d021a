// Package service implements connectrpc.conformance.v1.ConformanceService as
// an ordinary grpc-go service, following docs/testing_servers.md of
// connectrpc.com/conformance v1.0.7.
//
// The service uses only grpc-go's public server API (incoming metadata, the
// context deadline, grpc.SetHeader/SetTrailer and status errors), so it runs
// unchanged on any *grpc.Server. That is the point: the conformance runner
// then tests whatever carries the calls to that server (for lambdagrpc, the
// gRPC-Web/Connect translation and the Lambda plumbing), not the service.
package service

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lambdagrpc/lambdagrpc"
	conformancev1 "github.com/lambdagrpc/lambdagrpc/conformance/internal/gen/conformancev1"
)

// Server implements conformancev1.ConformanceServiceServer.
//
// Unimplemented is deliberately not defined: the embedded
// UnimplementedConformanceServiceServer answers it with codes.Unimplemented,
// which is exactly what the suite expects from a framework-level
// "method not implemented".
type Server struct {
	conformancev1.UnimplementedConformanceServiceServer
}

// New returns a ConformanceService implementation.
func New() *Server { return &Server{} }

// Register registers a new ConformanceService implementation on r.
func Register(r grpc.ServiceRegistrar) {
	conformancev1.RegisterConformanceServiceServer(r, New())
}

// Unary echoes the request and answers as its response definition says.
func (s *Server) Unary(ctx context.Context, req *conformancev1.UnaryRequest) (*conformancev1.UnaryResponse, error) {
	payload, err := respondUnary(ctx, unaryMetadata{ctx}, req.GetResponseDefinition(), []proto.Message{req})
	if err != nil {
		return nil, err
	}
	return &conformancev1.UnaryResponse{Payload: payload}, nil
}

// IdempotentUnary behaves like Unary.
//
// The suite also wants the Connect GET query parameters echoed in
// RequestInfo.connect_get_info. A grpc-go handler cannot observe them: by
// the time the call reaches the *grpc.Server the GET has been turned into an
// ordinary gRPC call and the URL is gone. We therefore fill only what is
// observable (headers, timeout, request) and leave connect_get_info unset;
// the runner only compares query parameters when both sides report some.
func (s *Server) IdempotentUnary(ctx context.Context, req *conformancev1.IdempotentUnaryRequest) (*conformancev1.IdempotentUnaryResponse, error) {
	payload, err := respondUnary(ctx, unaryMetadata{ctx}, req.GetResponseDefinition(), []proto.Message{req})
	if err != nil {
		return nil, err
	}
	return &conformancev1.IdempotentUnaryResponse{Payload: payload}, nil
}

// ClientStream reads every request, then answers once as the first
// request's response definition says.
func (s *Server) ClientStream(stream grpc.ClientStreamingServer[conformancev1.ClientStreamRequest, conformancev1.ClientStreamResponse]) error {
	ctx := stream.Context()
	// Capture the timeout before reading: reading takes time, and the suite
	// wants the timeout the client sent, not what is left after the stream.
	info := newRequestInfo(ctx)
	var (
		def  *conformancev1.UnaryResponseDefinition
		reqs []proto.Message
	)
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		// Only the first message's definition counts; later ones are ignored.
		if len(reqs) == 0 {
			def = req.GetResponseDefinition()
		}
		reqs = append(reqs, req)
	}
	payload, err := respondUnaryInfo(ctx, stream, def, info, reqs)
	if err != nil {
		return err
	}
	return stream.SendAndClose(&conformancev1.ClientStreamResponse{Payload: payload})
}

// ServerStream sends the response headers at once, then each response
// message (the first one carrying the request info), then the error if any.
func (s *Server) ServerStream(req *conformancev1.ServerStreamRequest, stream grpc.ServerStreamingServer[conformancev1.ServerStreamResponse]) error {
	ctx := stream.Context()
	info := newRequestInfo(ctx)
	if err := addRequests(info, req); err != nil {
		return err
	}
	def := req.GetResponseDefinition()
	if def == nil {
		// Nothing to send and no error to raise: an empty, successful stream.
		return nil
	}
	if err := startStream(stream, def); err != nil {
		return err
	}
	for i, data := range def.GetResponseData() {
		payload := &conformancev1.ConformancePayload{Data: data}
		if i == 0 {
			payload.RequestInfo = info
		}
		if err := sleep(ctx, def.GetResponseDelayMs()); err != nil {
			return err
		}
		if err := stream.Send(&conformancev1.ServerStreamResponse{Payload: payload}); err != nil {
			return err
		}
	}
	return streamError(def, len(def.GetResponseData()) == 0, info)
}

// BidiStream handles both bidi flavours; the first request's full_duplex
// field picks one.
func (s *Server) BidiStream(stream grpc.BidiStreamingServer[conformancev1.BidiStreamRequest, conformancev1.BidiStreamResponse]) error {
	ctx := stream.Context()
	info := newRequestInfo(ctx)
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		// No request means no definition: nothing to send, nothing to raise.
		return nil
	}
	if err != nil {
		return err
	}
	if first.GetFullDuplex() {
		return fullDuplex(stream, first, info)
	}
	return halfDuplex(stream, first, info)
}

// halfDuplex reads every request before sending anything, then replies
// like ServerStream with all the requests echoed in the first response.
func halfDuplex(stream grpc.BidiStreamingServer[conformancev1.BidiStreamRequest, conformancev1.BidiStreamResponse], first *conformancev1.BidiStreamRequest, info *conformancev1.ConformancePayload_RequestInfo) error {
	ctx := stream.Context()
	def := first.GetResponseDefinition()
	if err := addRequests(info, first); err != nil {
		return err
	}
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := addRequests(info, req); err != nil {
			return err
		}
	}
	if def == nil {
		return nil
	}
	if err := startStream(stream, def); err != nil {
		return err
	}
	for i, data := range def.GetResponseData() {
		payload := &conformancev1.ConformancePayload{Data: data}
		if i == 0 {
			payload.RequestInfo = info
		}
		if err := sleep(ctx, def.GetResponseDelayMs()); err != nil {
			return err
		}
		if err := stream.Send(&conformancev1.BidiStreamResponse{Payload: payload}); err != nil {
			return err
		}
	}
	return streamError(def, len(def.GetResponseData()) == 0, info)
}

// fullDuplex answers each request with the next response as it arrives
// (ping-pong), so a client that waits for a response before sending the
// next request makes progress.
func fullDuplex(stream grpc.BidiStreamingServer[conformancev1.BidiStreamRequest, conformancev1.BidiStreamResponse], first *conformancev1.BidiStreamRequest, info *conformancev1.ConformancePayload_RequestInfo) error {
	ctx := stream.Context()
	def := first.GetResponseDefinition()
	if def != nil {
		// Headers go out before any delay so that a client blocked on them
		// is not held up until the first message.
		if err := startStream(stream, def); err != nil {
			return err
		}
	}
	data := def.GetResponseData()
	sent := 0
	req := first
	for {
		// info.requests holds the requests received since the last
		// response: the first response also carries the headers and the
		// timeout, later ones only their own requests.
		if err := addRequests(info, req); err != nil {
			return err
		}
		if sent < len(data) {
			payload := &conformancev1.ConformancePayload{Data: data[sent], RequestInfo: info}
			if err := sleep(ctx, def.GetResponseDelayMs()); err != nil {
				return err
			}
			if err := stream.Send(&conformancev1.BidiStreamResponse{Payload: payload}); err != nil {
				return err
			}
			sent++
			info = &conformancev1.ConformancePayload_RequestInfo{}
		} else if def.GetError() != nil {
			// A request arrived with no response left to answer it: the
			// doc says to raise the error now rather than leave the client
			// waiting for a response that will never come.
			return streamError(def, sent == 0, info)
		}
		var err error
		req, err = stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	return streamError(def, sent == 0, info)
}

// respondUnary is the shared body of the single-response methods.
func respondUnary(ctx context.Context, md metadataSetter, def *conformancev1.UnaryResponseDefinition, reqs []proto.Message) (*conformancev1.ConformancePayload, error) {
	return respondUnaryInfo(ctx, md, def, newRequestInfo(ctx), reqs)
}

// respondUnaryInfo follows the Unary pseudocode of testing_servers.md: echo
// the request info in the payload, or in the error details when the
// definition asks for an error.
func respondUnaryInfo(ctx context.Context, md metadataSetter, def *conformancev1.UnaryResponseDefinition, info *conformancev1.ConformancePayload_RequestInfo, reqs []proto.Message) (*conformancev1.ConformancePayload, error) {
	if err := addRequests(info, reqs...); err != nil {
		return nil, err
	}
	if def.GetRawResponse() != nil {
		return nil, errRawResponse
	}
	// A missing definition means no headers, no trailers and no data: the
	// payload carries only what we observed.
	if def != nil {
		if err := setMetadata(md, def.GetResponseHeaders(), def.GetResponseTrailers()); err != nil {
			return nil, err
		}
	}
	if err := sleep(ctx, def.GetResponseDelayMs()); err != nil {
		return nil, err
	}
	if e := def.GetError(); e != nil {
		return nil, toStatusError(e, info)
	}
	return &conformancev1.ConformancePayload{Data: def.GetResponseData(), RequestInfo: info}, nil
}

// errRawResponse answers definitions meant for the reference server only;
// the proto allows a server under test to reject them, and doing so makes a
// misrouted test case fail loudly instead of passing by accident.
var errRawResponse = status.Error(codes.InvalidArgument, "raw_response is only supported by the reference server")

// metadataSetter is the part of grpc.ServerStream that sets response
// metadata; unaryMetadata adapts a unary handler's context to it so that
// unary and streaming methods share one code path.
type metadataSetter interface {
	SetHeader(metadata.MD) error
	SetTrailer(metadata.MD)
}

// unaryMetadata sets response metadata through the unary handler context.
type unaryMetadata struct{ ctx context.Context }

// SetHeader adds md to the response headers.
func (u unaryMetadata) SetHeader(md metadata.MD) error { return grpc.SetHeader(u.ctx, md) }

// SetTrailer adds md to the response trailers. grpc.SetTrailer fails only
// when ctx is not a server handler context, which a handler's ctx always is;
// the signature mirrors grpc.ServerStream.SetTrailer, which has no error.
func (u unaryMetadata) SetTrailer(md metadata.MD) { _ = grpc.SetTrailer(u.ctx, md) }

// startStream sets the stream's headers and trailers and flushes the
// headers right away, as testing_servers.md asks for streaming responses:
// clients blocked reading headers must not wait for the first message or
// the response delay.
func startStream(stream grpc.ServerStream, def *conformancev1.StreamResponseDefinition) error {
	if def.GetRawResponse() != nil {
		return errRawResponse
	}
	if err := setMetadata(stream, def.GetResponseHeaders(), def.GetResponseTrailers()); err != nil {
		return err
	}
	return stream.SendHeader(nil)
}

// setMetadata sets the response headers and trailers a definition asks for.
func setMetadata(s metadataSetter, headers, trailers []*conformancev1.Header) error {
	hmd, err := toMetadata(headers)
	if err != nil {
		return err
	}
	tmd, err := toMetadata(trailers)
	if err != nil {
		return err
	}
	if len(hmd) > 0 {
		if err := s.SetHeader(hmd); err != nil {
			return err
		}
	}
	if len(tmd) > 0 {
		s.SetTrailer(tmd)
	}
	return nil
}

// toMetadata converts definition headers to grpc metadata.
//
// Definitions spell every value as it appears on the wire. grpc-go
// base64-encodes the values of "-bin" keys itself, so those are decoded here
// first; passing them through would send them base64-encoded twice.
func toMetadata(headers []*conformancev1.Header) (metadata.MD, error) {
	md := metadata.MD{}
	for _, h := range headers {
		key := strings.ToLower(h.GetName())
		for _, v := range h.GetValue() {
			if strings.HasSuffix(key, "-bin") {
				b, err := decodeBinary(v)
				if err != nil {
					return nil, status.Errorf(codes.InvalidArgument, "response metadata %q: value %q is not base64: %v", key, v, err)
				}
				v = string(b)
			}
			md.Append(key, v)
		}
	}
	return md, nil
}

// decodeBinary accepts padded and unpadded base64, as gRPC receivers must.
func decodeBinary(v string) ([]byte, error) {
	if len(v)%4 == 0 {
		return base64.StdEncoding.DecodeString(v)
	}
	return base64.RawStdEncoding.DecodeString(v)
}

// newRequestInfo captures what the handler can observe about the call:
// the request metadata and the timeout left on the context.
func newRequestInfo(ctx context.Context) *conformancev1.ConformancePayload_RequestInfo {
	info := &conformancev1.ConformancePayload_RequestInfo{
		RequestHeaders: requestHeaders(ctx),
	}
	// Only report a timeout when the client sent one; the runner fails a
	// case that echoes a timeout it did not set. Under lambdagrpc every call
	// has a deadline (the Lambda invocation's), so ask it what the client
	// sent; on any other server the context's deadline is the client's.
	deadline, ok := lambdagrpc.ClientDeadline(ctx)
	if _, onLambda := lambdagrpc.FromContext(ctx); !onLambda && !ok {
		deadline, ok = ctx.Deadline()
	}
	if ok {
		ms := time.Until(deadline).Milliseconds()
		info.TimeoutMs = &ms
	}
	return info
}

// requestHeaders returns the incoming metadata as headers, sorted by name so
// that the echo is deterministic. grpc-go hands "-bin" values over decoded;
// they are re-encoded (unpadded, as gRPC senders emit them) so that the
// echo shows what the client put on the wire.
func requestHeaders(ctx context.Context) []*conformancev1.Header {
	md, _ := metadata.FromIncomingContext(ctx)
	headers := make([]*conformancev1.Header, 0, len(md))
	for _, k := range slices.Sorted(maps.Keys(md)) {
		vals := append([]string(nil), md[k]...)
		if strings.HasSuffix(k, "-bin") {
			for i, v := range vals {
				vals[i] = base64.RawStdEncoding.EncodeToString([]byte(v))
			}
		}
		headers = append(headers, &conformancev1.Header{Name: k, Value: vals})
	}
	return headers
}

// addRequests appends requests, wrapped in Any, to info.requests.
func addRequests(info *conformancev1.ConformancePayload_RequestInfo, reqs ...proto.Message) error {
	for _, r := range reqs {
		a, err := anypb.New(r)
		if err != nil {
			return status.Errorf(codes.Internal, "wrapping request in Any: %v", err)
		}
		info.Requests = append(info.Requests, a)
	}
	return nil
}

// streamError returns the error a stream definition asks for, or nil. The
// request info goes into the details only when no response was sent,
// because otherwise the first response already carried it.
func streamError(def *conformancev1.StreamResponseDefinition, noResponses bool, info *conformancev1.ConformancePayload_RequestInfo) error {
	e := def.GetError()
	if e == nil {
		return nil
	}
	if !noResponses {
		info = nil
	}
	return toStatusError(e, info)
}

// toStatusError builds the status for an Error definition.
//
// The status is assembled as a spb.Status rather than with
// status.WithDetails because the definition's details are already Any
// messages: WithDetails would wrap each of them in a second Any. The request
// info, when given, is appended last, which is where the runner expects it.
func toStatusError(e *conformancev1.Error, info *conformancev1.ConformancePayload_RequestInfo) error {
	code := codes.Code(e.GetCode())
	if code == codes.OK {
		// An error definition without a code cannot mean success; report
		// it as UNKNOWN, the code gRPC uses for errors it cannot classify.
		code = codes.Unknown
	}
	st := &spb.Status{
		Code:    int32(code),
		Message: e.GetMessage(),
		Details: append([]*anypb.Any(nil), e.GetDetails()...),
	}
	if info != nil {
		a, err := anypb.New(info)
		if err != nil {
			return status.Errorf(codes.Internal, "wrapping request info in Any: %v", err)
		}
		st.Details = append(st.Details, a)
	}
	return status.ErrorProto(st)
}

// sleep waits for the response delay, giving up when the call ends: a
// delay longer than the client's timeout must end in DEADLINE_EXCEEDED,
// not in a response nobody waits for.
func sleep(ctx context.Context, ms uint32) error {
	if ms == 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}
