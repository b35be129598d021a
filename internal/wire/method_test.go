package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// registerIdempotencyService registers a service with one method of each
// idempotency level in the global registry, once.
func registerIdempotencyService(t *testing.T) {
	t.Helper()
	if _, err := protoregistry.GlobalFiles.FindFileByPath("wiretest/idempotency.proto"); err == nil {
		return
	}
	level := func(l descriptorpb.MethodOptions_IdempotencyLevel) *descriptorpb.MethodOptions {
		return &descriptorpb.MethodOptions{IdempotencyLevel: l.Enum()}
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name:        proto.String("wiretest/idempotency.proto"),
		Package:     proto.String("wiretest"),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("M")}},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: proto.String("S"),
			Method: []*descriptorpb.MethodDescriptorProto{
				{Name: proto.String("Plain"), InputType: proto.String(".wiretest.M"), OutputType: proto.String(".wiretest.M")},
				{Name: proto.String("Idempotent"), InputType: proto.String(".wiretest.M"), OutputType: proto.String(".wiretest.M"), Options: level(descriptorpb.MethodOptions_IDEMPOTENT)},
				{Name: proto.String("Free"), InputType: proto.String(".wiretest.M"), OutputType: proto.String(".wiretest.M"), Options: level(descriptorpb.MethodOptions_NO_SIDE_EFFECTS)},
			},
		}},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	if err := protoregistry.GlobalFiles.RegisterFile(fd); err != nil {
		t.Fatal(err)
	}
}

func TestMethodIdempotency(t *testing.T) {
	registerIdempotencyService(t)
	for path, want := range map[string]Idempotency{
		"/wiretest.S/Plain":      SideEffects,
		"/wiretest.S/Idempotent": SideEffects,
		"/wiretest.S/Free":       NoSideEffects,
		"/wiretest.S/Missing":    UnknownMethod,
		"/wiretest/M":            UnknownMethod,
	} {
		if got := MethodIdempotency(path); got != want {
			t.Errorf("MethodIdempotency(%q) = %d, want %d", path, got, want)
		}
	}
}

// TestMethodIdempotencyWithoutDescriptorpb pretends descriptorpb is not
// linked: a known method's options are then unreadable, and reading them
// must not be tried (protobuf-go would panic).
func TestMethodIdempotencyWithoutDescriptorpb(t *testing.T) {
	registerIdempotencyService(t)
	saved := OptionsReadable
	OptionsReadable = func() bool { return false }
	t.Cleanup(func() { OptionsReadable = saved })
	if got := MethodIdempotency("/wiretest.S/Free"); got != OptionsUnreadable {
		t.Fatalf("got %d, want OptionsUnreadable", got)
	}
	if got := MethodIdempotency("/wiretest.S/Missing"); got != UnknownMethod {
		t.Fatalf("got %d, want UnknownMethod", got)
	}
}

func TestReadN(t *testing.T) {
	for _, tc := range []struct {
		have, want int
		err        error
	}{
		{0, 0, nil},
		{10, 10, nil},
		{200 << 10, 200 << 10, nil},
		{0, 10, io.EOF},
		{3, 10, io.ErrUnexpectedEOF},
		{0, 200 << 10, io.EOF},
		{70 << 10, 200 << 10, io.ErrUnexpectedEOF}, // past the first chunk
		{70 << 10, 1 << 30, io.ErrUnexpectedEOF},   // a length that lies
	} {
		b, err := ReadN(bytes.NewReader(make([]byte, tc.have)), tc.want)
		if !errors.Is(err, tc.err) {
			t.Errorf("ReadN(%d of %d bytes): error %v, want %v", tc.have, tc.want, err, tc.err)
		}
		if tc.err == nil && len(b) != tc.want {
			t.Errorf("ReadN(%d of %d bytes): %d bytes", tc.have, tc.want, len(b))
		}
		if cap(b) > max(4*tc.have, 64<<10) && tc.err != nil {
			t.Errorf("ReadN(%d of %d bytes) grew its buffer to %d", tc.have, tc.want, cap(b))
		}
	}
}

func TestReaderWithLength(t *testing.T) {
	body := append(AppendFrame(nil, 0, []byte("hello")), AppendHeader(nil, 0, 1<<30)...)
	r := NewReader(bytes.NewReader(body), 0).WithLength(int64(len(body)))
	if _, p, err := r.Next(); err != nil || string(p) != "hello" {
		t.Fatalf("first frame %q, %v", p, err)
	}
	if _, _, err := r.Next(); !errors.Is(err, ErrTruncated) {
		t.Fatalf("a frame longer than the body: %v, want ErrTruncated", err)
	}
	if got := DecodedTextLen(8); got < 6 {
		t.Fatalf("DecodedTextLen(8) = %d, below the 6 bytes 8 characters can hold", got)
	}
}

// TestBytesReader: frames come back as slices of the input, without a
// copy; a lie about a length ends as ErrTruncated, a length over the limit
// as FrameTooLargeError, the end as io.EOF.
func TestBytesReader(t *testing.T) {
	body := AppendFrame(AppendFrame(nil, 0, []byte("one")), 1, []byte("two"))
	r := NewBytesReader(body, 10)
	for i, want := range []string{"one", "two"} {
		flags, p, err := r.Next()
		if err != nil || string(p) != want || flags != byte(i) {
			t.Fatalf("frame %d: %d %q %v", i, flags, p, err)
		}
		if &p[0] != &body[HeaderLen+i*(HeaderLen+3)] || cap(p) != len(p) {
			t.Fatalf("frame %d was copied, or can be appended into the next one", i)
		}
	}
	if _, _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("at the end: %v", err)
	}
	if _, _, err := NewBytesReader(AppendHeader(nil, 0, 9), 10).Next(); !errors.Is(err, ErrTruncated) {
		t.Fatalf("a frame longer than the body: %v", err)
	}
	var tl *FrameTooLargeError
	if _, _, err := NewBytesReader(AppendFrame(nil, 0, make([]byte, 11)), 10).Next(); !errors.As(err, &tl) || tl.Length != 11 {
		t.Fatalf("a frame over the limit: %v", err)
	}
}
