// Command lambdaclient is the client under test for the Connect conformance
// runner (connectrpc.com/conformance, --mode client): it makes each call the
// runner asks for with lambdagrpc's client package and the generated
// grpc-go stubs, and reports what it saw.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/conformance/internal/compat"
	conformancev1 "github.com/lambdagrpc/lambdagrpc/conformance/internal/gen/conformancev1"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "lambdaclient:", err)
		os.Exit(1)
	}
}

// run answers requests as they come, several at a time, writing each
// response when its call ends.
func run(in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	var writeErr error
	for {
		var req conformancev1.ClientCompatRequest
		if err := compat.Read(r, &req); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			resp := &conformancev1.ClientCompatResponse{TestName: req.GetTestName()}
			result, err := invoke(&req)
			if err != nil {
				resp.Result = &conformancev1.ClientCompatResponse_Error{Error: &conformancev1.ClientErrorResult{Message: err.Error()}}
			} else {
				resp.Result = &conformancev1.ClientCompatResponse_Response{Response: result}
			}
			mu.Lock()
			defer mu.Unlock()
			if err := compat.Write(out, resp); err != nil && writeErr == nil {
				writeErr = err
			}
		})
	}
	wg.Wait()
	return writeErr
}

func connFor(req *conformancev1.ClientCompatRequest) (*client.Conn, error) {
	if req.GetServerTlsCert() != nil || req.GetClientTlsCreds() != nil {
		return nil, errors.New("TLS is not supported by this client program")
	}
	var opts []client.Option
	switch req.GetProtocol() {
	case conformancev1.Protocol_PROTOCOL_GRPC_WEB:
		opts = append(opts, client.WithProtocol(client.GRPCWeb))
	case conformancev1.Protocol_PROTOCOL_CONNECT:
		opts = append(opts, client.WithProtocol(client.Connect))
	default:
		return nil, fmt.Errorf("protocol %v is not supported", req.GetProtocol())
	}
	switch req.GetCodec() {
	case conformancev1.Codec_CODEC_PROTO:
	case conformancev1.Codec_CODEC_JSON:
		opts = append(opts, client.WithCodec("json"))
	default:
		return nil, fmt.Errorf("codec %v is not supported", req.GetCodec())
	}
	switch req.GetCompression() {
	case conformancev1.Compression_COMPRESSION_IDENTITY, conformancev1.Compression_COMPRESSION_UNSPECIFIED:
	case conformancev1.Compression_COMPRESSION_GZIP:
		opts = append(opts, client.WithCompression("gzip"))
	default:
		return nil, fmt.Errorf("compression %v is not supported", req.GetCompression())
	}
	if req.GetUseGetHttpMethod() && req.GetProtocol() == conformancev1.Protocol_PROTOCOL_CONNECT {
		// GET is Connect's alone: client.New refuses it with gRPC-Web.
		opts = append(opts, client.WithConnectGET())
	}
	if n := req.GetMessageReceiveLimit(); n > 0 {
		opts = append(opts, client.WithMaxRecvMsgSize(int(n)))
	}
	tr := &http.Transport{ForceAttemptHTTP2: false, DisableCompression: true}
	if req.GetHttpVersion() == conformancev1.HTTPVersion_HTTP_VERSION_2 {
		// Cleartext HTTP/2 with prior knowledge.
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	opts = append(opts, client.WithHTTPClient(&http.Client{Transport: tr}))
	return client.New(fmt.Sprintf("http://%s:%d", req.GetHost(), req.GetPort()), opts...)
}

func requestMetadata(hs []*conformancev1.Header) metadata.MD {
	md := metadata.MD{}
	for _, h := range hs {
		k := strings.ToLower(h.GetName())
		for _, v := range h.GetValue() {
			if wire.IsBinaryKey(k) {
				if b, err := wire.DecodeBinary(v); err == nil {
					v = string(b)
				}
			}
			md.Append(k, v)
		}
	}
	return md
}

func protoHeaders(md metadata.MD) []*conformancev1.Header {
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*conformancev1.Header, 0, len(md))
	for _, k := range keys {
		vals := append([]string(nil), md[k]...)
		if wire.IsBinaryKey(k) {
			for i, v := range vals {
				vals[i] = wire.EncodeBinary([]byte(v))
			}
		}
		out = append(out, &conformancev1.Header{Name: k, Value: vals})
	}
	return out
}

func protoError(err error) *conformancev1.Error {
	st := status.Convert(err)
	msg := st.Message()
	return &conformancev1.Error{Code: conformancev1.Code(st.Code()), Message: &msg, Details: st.Proto().GetDetails()}
}

// call is what a stream reports.
type call struct {
	header, trailer metadata.MD
	payloads        []*conformancev1.ConformancePayload
	err             error
	unsent          int
}

func invoke(req *conformancev1.ClientCompatRequest) (*conformancev1.ClientResponseResult, error) {
	conn, err := connFor(req)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx := context.Background()
	var cancel context.CancelFunc
	if req.TimeoutMs != nil {
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.GetTimeoutMs())*time.Millisecond)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	ctx = metadata.NewOutgoingContext(ctx, requestMetadata(req.GetRequestHeaders()))
	method := "/" + req.GetService() + "/" + req.GetMethod()
	var res call
	switch req.GetStreamType() {
	case conformancev1.StreamType_STREAM_TYPE_UNARY:
		res, err = unary(ctx, conn, method, req)
	case conformancev1.StreamType_STREAM_TYPE_SERVER_STREAM, conformancev1.StreamType_STREAM_TYPE_CLIENT_STREAM,
		conformancev1.StreamType_STREAM_TYPE_HALF_DUPLEX_BIDI_STREAM:
		res, err = streaming(ctx, cancel, conn, method, req)
	default:
		return nil, fmt.Errorf("stream type %v is not supported (calls are half-duplex)", req.GetStreamType())
	}
	if err != nil {
		return nil, err
	}
	out := &conformancev1.ClientResponseResult{
		ResponseHeaders:   protoHeaders(res.header),
		Payloads:          res.payloads,
		ResponseTrailers:  protoHeaders(res.trailer),
		NumUnsentRequests: int32(res.unsent),
	}
	if res.err != nil {
		out.Error = protoError(res.err)
	}
	return out, nil
}

// message is any conformance response with a payload.
type message interface {
	proto.Message
	GetPayload() *conformancev1.ConformancePayload
}

func newResponse(method string) message {
	switch {
	case strings.HasSuffix(method, "/Unary"):
		return &conformancev1.UnaryResponse{}
	case strings.HasSuffix(method, "/IdempotentUnary"):
		return &conformancev1.IdempotentUnaryResponse{}
	case strings.HasSuffix(method, "/ServerStream"):
		return &conformancev1.ServerStreamResponse{}
	case strings.HasSuffix(method, "/ClientStream"):
		return &conformancev1.ClientStreamResponse{}
	case strings.HasSuffix(method, "/BidiStream"):
		return &conformancev1.BidiStreamResponse{}
	}
	return &conformancev1.UnaryResponse{}
}

func unpack(reqs []*anypb.Any) ([]proto.Message, error) {
	out := make([]proto.Message, 0, len(reqs))
	for _, a := range reqs {
		m, err := a.UnmarshalNew()
		if err != nil {
			return nil, fmt.Errorf("request message: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}

func unary(ctx context.Context, conn *client.Conn, method string, req *conformancev1.ClientCompatRequest) (call, error) {
	msgs, err := unpack(req.GetRequestMessages())
	if err != nil || len(msgs) != 1 {
		return call{}, fmt.Errorf("a unary call needs one request message: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ctx = cctx
	switch t := req.GetCancel().GetCancelTiming().(type) {
	case *conformancev1.ClientCompatRequest_Cancel_BeforeCloseSend:
		cancel()
	case *conformancev1.ClientCompatRequest_Cancel_AfterCloseSendMs:
		// A unary request is sent as soon as it is invoked.
		time.AfterFunc(time.Duration(t.AfterCloseSendMs)*time.Millisecond, cancel)
	}
	if d := req.GetRequestDelayMs(); d > 0 {
		time.Sleep(time.Duration(d) * time.Millisecond)
	}
	var res call
	resp := newResponse(method)
	res.err = conn.Invoke(ctx, method, msgs[0], resp, grpc.Header(&res.header), grpc.Trailer(&res.trailer))
	if res.err == nil {
		res.payloads = append(res.payloads, resp.GetPayload())
	}
	return res, nil
}

func streaming(ctx context.Context, cancel context.CancelFunc, conn *client.Conn, method string, req *conformancev1.ClientCompatRequest) (call, error) {
	msgs, err := unpack(req.GetRequestMessages())
	if err != nil {
		return call{}, err
	}
	st := req.GetStreamType()
	desc := &grpc.StreamDesc{
		ServerStreams: st != conformancev1.StreamType_STREAM_TYPE_CLIENT_STREAM,
		ClientStreams: st != conformancev1.StreamType_STREAM_TYPE_SERVER_STREAM,
	}
	var res call
	stream, err := conn.NewStream(ctx, desc, method)
	if err != nil {
		res.err = err
		return res, nil
	}
	for i, m := range msgs {
		if d := req.GetRequestDelayMs(); d > 0 {
			time.Sleep(time.Duration(d) * time.Millisecond)
		}
		if err := stream.SendMsg(m); err != nil {
			res.unsent = len(msgs) - i
			break
		}
	}
	cc := req.GetCancel()
	if _, ok := cc.GetCancelTiming().(*conformancev1.ClientCompatRequest_Cancel_BeforeCloseSend); ok {
		cancel()
	}
	_ = stream.CloseSend()
	if t, ok := cc.GetCancelTiming().(*conformancev1.ClientCompatRequest_Cancel_AfterCloseSendMs); ok {
		time.AfterFunc(time.Duration(t.AfterCloseSendMs)*time.Millisecond, cancel)
	}
	for {
		resp := newResponse(method)
		err := stream.RecvMsg(resp)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				res.err = err
			}
			break
		}
		res.payloads = append(res.payloads, resp.GetPayload())
		if cc != nil && cc.GetAfterNumResponses() > 0 && len(res.payloads) == int(cc.GetAfterNumResponses()) {
			cancel()
		}
	}
	res.header, _ = stream.Header()
	res.trailer = stream.Trailer()
	return res, nil
}
