// Package testsvc is a grpc-go TestService (from grpc's interop protos, so
// tests need no code generation) whose behaviour each request steers
// through metadata: echoed headers and trailers, errors with details,
// panics, and handlers that ignore their deadline.
package testsvc

import (
	"context"
	"errors"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Metadata keys that steer the service.
const (
	// EchoHeader values come back as response headers of the same name.
	EchoHeader = "x-echo-header"
	// EchoTrailer values come back as trailers of the same name.
	EchoTrailer = "x-echo-trailer"
	// EchoBin values (binary) come back as header and trailer.
	EchoBin = "x-echo-bin"
	// Panic makes the handler panic.
	Panic = "x-panic"
	// Sleep makes the handler sleep this many milliseconds without
	// looking at its context, as a misbehaving handler would.
	Sleep = "x-sleep-ms"
	// ErrorDetail makes an error status carry an ErrorInfo detail with
	// this reason.
	ErrorDetail = "x-error-detail"
	// Gate names a gate (NewGate) that StreamingOutputCall waits on after
	// its first message, so a test can prove that message arrived while
	// the handler was still running.
	Gate = "x-gate"
	// Barrier names a barrier (NewBarrier) every call waits at until the
	// barrier's number of calls are in flight together.
	Barrier = "x-barrier"
)

var (
	gates    sync.Map // name -> chan struct{}
	barriers sync.Map // name -> *barrier
	names    atomic.Int64
)

// NewGate returns the name of a new closed gate, for the Gate metadata
// key, and the function that opens it.
func NewGate() (name string, open func()) {
	name = "gate-" + strconv.FormatInt(names.Add(1), 10)
	ch := make(chan struct{})
	gates.Store(name, ch)
	var once sync.Once
	return name, func() { once.Do(func() { close(ch) }) }
}

type barrier struct {
	mu      sync.Mutex
	n       int
	arrived int
	all     chan struct{}
}

// NewBarrier returns the name of a barrier that holds calls until n of
// them wait at it together, for the Barrier metadata key. Calls that wait
// at a barrier no other call reaches end at their deadline.
func NewBarrier(n int) string {
	name := "barrier-" + strconv.FormatInt(names.Add(1), 10)
	barriers.Store(name, &barrier{n: n, all: make(chan struct{})})
	return name
}

func wait(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

// Service implements grpc_testing.TestService.
type Service struct {
	testpb.UnimplementedTestServiceServer
}

// Register registers a new Service on s.
func Register(s *grpc.Server) { testpb.RegisterTestServiceServer(s, &Service{}) }

func steer(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if len(md.Get(Panic)) > 0 {
		panic("testsvc: panic requested by " + Panic)
	}
	if v := md.Get(Barrier); len(v) > 0 {
		if b, ok := barriers.Load(v[0]); ok {
			b := b.(*barrier)
			b.mu.Lock()
			if b.arrived++; b.arrived == b.n {
				close(b.all)
			}
			b.mu.Unlock()
			if err := wait(ctx, b.all); err != nil {
				return err
			}
		}
	}
	if v := md.Get(Sleep); len(v) > 0 {
		ms, _ := strconv.Atoi(v[0])
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	hdr, trl := metadata.MD{}, metadata.MD{}
	if v := md.Get(EchoHeader); len(v) > 0 {
		hdr.Set(EchoHeader, v...)
	}
	if v := md.Get(EchoTrailer); len(v) > 0 {
		trl.Set(EchoTrailer, v...)
	}
	if v := md.Get(EchoBin); len(v) > 0 {
		hdr.Set(EchoBin, v...)
		trl.Set(EchoBin, v...)
	}
	if len(hdr) > 0 {
		if err := grpc.SetHeader(ctx, hdr); err != nil {
			return err
		}
	}
	if len(trl) > 0 {
		if err := grpc.SetTrailer(ctx, trl); err != nil {
			return err
		}
	}
	return nil
}

func statusError(ctx context.Context, st *testpb.EchoStatus) error {
	if st == nil || st.GetCode() == 0 {
		return nil
	}
	s := status.New(codes.Code(st.GetCode()), st.GetMessage())
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(ErrorDetail); len(v) > 0 {
		if ds, err := s.WithDetails(&errdetails.ErrorInfo{Reason: v[0], Domain: "testsvc"}); err == nil {
			s = ds
		}
	}
	return s.Err()
}

func payload(n int32) *testpb.Payload {
	return &testpb.Payload{Body: make([]byte, n)}
}

// EmptyCall returns an empty message.
func (*Service) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	if err := steer(ctx); err != nil {
		return nil, err
	}
	return &testpb.Empty{}, nil
}

// UnaryCall echoes the request payload, or returns ResponseSize zero bytes,
// or the requested status.
func (*Service) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if err := steer(ctx); err != nil {
		return nil, err
	}
	if err := statusError(ctx, req.GetResponseStatus()); err != nil {
		return nil, err
	}
	if req.GetResponseSize() > 0 {
		return &testpb.SimpleResponse{Payload: payload(req.GetResponseSize())}, nil
	}
	return &testpb.SimpleResponse{Payload: req.GetPayload()}, nil
}

// StreamingOutputCall sends one message per ResponseParameters entry, after
// its interval, then the requested status.
func (*Service) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream testpb.TestService_StreamingOutputCallServer) error {
	ctx := stream.Context()
	if err := steer(ctx); err != nil {
		return err
	}
	for i, p := range req.GetResponseParameters() {
		if d := time.Duration(p.GetIntervalUs()) * time.Microsecond; d > 0 {
			select {
			case <-ctx.Done():
				return status.FromContextError(ctx.Err()).Err()
			case <-time.After(d):
			}
		}
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: payload(p.GetSize())}); err != nil {
			return err
		}
		if i == 0 {
			md, _ := metadata.FromIncomingContext(ctx)
			if v := md.Get(Gate); len(v) > 0 {
				if g, ok := gates.Load(v[0]); ok {
					if err := wait(ctx, g.(chan struct{})); err != nil {
						return err
					}
				}
			}
		}
	}
	return statusError(ctx, req.GetResponseStatus())
}

// StreamingInputCall sums the payload sizes of every request.
func (*Service) StreamingInputCall(stream testpb.TestService_StreamingInputCallServer) error {
	if err := steer(stream.Context()); err != nil {
		return err
	}
	var total int32
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: total})
		}
		if err != nil {
			return err
		}
		total += int32(len(req.GetPayload().GetBody()))
	}
}

// FullDuplexCall answers each request as StreamingOutputCall would.
func (*Service) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	ctx := stream.Context()
	if err := steer(ctx); err != nil {
		return err
	}
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := statusError(ctx, req.GetResponseStatus()); err != nil {
			return err
		}
		for _, p := range req.GetResponseParameters() {
			if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: payload(p.GetSize())}); err != nil {
				return err
			}
		}
	}
}
