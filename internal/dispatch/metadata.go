package dispatch

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// Context implements grpc.ServerStream.
func (s *directStream) Context() context.Context { return s.ctx }

// SetHeader implements grpc.ServerStream.
func (s *directStream) SetHeader(md metadata.MD) error {
	if md.Len() == 0 {
		return nil
	}
	if err := validateMetadata(md); err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return s.setHeader(md)
}

func (s *directStream) setHeader(md metadata.MD) error {
	if md.Len() == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headerSent || s.done {
		return errIllegalHeaderWrite
	}
	s.header = metadata.Join(s.header, md)
	return nil
}

// SendHeader implements grpc.ServerStream.
func (s *directStream) SendHeader(md metadata.MD) error {
	if err := validateMetadata(md); err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return s.sendHeader(md)
}

func (s *directStream) sendHeader(md metadata.MD) error {
	sent, err := func() (metadata.MD, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.headerSent || s.done {
			return nil, errIllegalHeaderWrite
		}
		s.header = metadata.Join(s.header, md)
		sent := s.writeHeaderLocked()
		s.c.SendHeader()
		s.c.Flush()
		return sent, nil
	}()
	if err != nil {
		return err
	}
	s.outHeader(sent)
	return nil
}

// SetTrailer implements grpc.ServerStream.
func (s *directStream) SetTrailer(md metadata.MD) {
	if md.Len() == 0 {
		return
	}
	if err := validateMetadata(md); err != nil {
		s.d.log.Error("lambdagrpc: invalid trailer metadata", "method", s.method, "error", err)
	}
	_ = s.setTrailer(md)
}

func (s *directStream) setTrailer(md metadata.MD) error {
	if md.Len() == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return errIllegalHeaderWrite
	}
	s.trailer = metadata.Join(s.trailer, md)
	return nil
}

// writeHeaderLocked hands the response headers to the call, as grpc-go's
// ServeHTTP transport writes them on the first write, and returns them for
// outHeader, which the caller calls once it has let go of the lock.
func (s *directStream) writeHeaderLocked() metadata.MD {
	s.headerSent = true
	s.c.SetHeader(s.header, s.sendCompress)
	return s.header
}

// outHeader tells the stats handler about headers sent.
func (s *directStream) outHeader(md metadata.MD) {
	if sh := *s.d.stats; sh != nil {
		sh.HandleRPC(s.statsCtx, &stats.OutHeader{Header: md.Copy(), Compression: s.sendCompress})
	}
}

// validateMetadata checks metadata as grpc-go does before sending it.
func validateMetadata(md metadata.MD) error {
	for k, vs := range md {
		if k == "" {
			return errors.New("there is an empty key in the header")
		}
		if k[0] == ':' {
			continue
		}
		for i := range len(k) {
			c := k[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '-' && c != '_' {
				return fmt.Errorf("header key %q contains illegal characters not in [0-9a-z-_.]", k)
			}
		}
		if strings.HasSuffix(k, "-bin") {
			continue
		}
		for _, v := range vs {
			for i := range len(v) {
				if v[i] < 0x20 || v[i] > 0x7e {
					return fmt.Errorf("header key %q contains value with non-printable ASCII characters", k)
				}
			}
		}
	}
	return nil
}

// transportStream is the grpc.ServerTransportStream in a direct call's
// context, through which grpc.SetHeader, grpc.SendHeader, grpc.SetTrailer
// and grpc.Method reach the call.
type transportStream struct{ s *directStream }

func (t transportStream) Method() string                  { return t.s.method }
func (t transportStream) SetHeader(md metadata.MD) error  { return t.s.setHeader(md) }
func (t transportStream) SendHeader(md metadata.MD) error { return t.s.sendHeader(md) }
func (t transportStream) SetTrailer(md metadata.MD) error { return t.s.setTrailer(md) }
