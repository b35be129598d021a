package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip"
)

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

func TestCompressRoundTrip(t *testing.T) {
	gz := encoding.GetCompressor("gzip")
	in := bytes.Repeat([]byte("lambdagrpc "), 1000)
	z, err := Compress(gz, in[:5000], in[5000:])
	if err != nil || len(z) >= len(in) {
		t.Fatalf("Compress: %d bytes, %v", len(z), err)
	}
	out, tooLarge, err := Decompress(gz, z, len(in))
	if err != nil || tooLarge || !bytes.Equal(out, in) {
		t.Fatalf("Decompress: %d bytes, too large %v, %v", len(out), tooLarge, err)
	}
	// A limit below the output: stopped after max+1 bytes.
	out, tooLarge, err = Decompress(gz, z, 100)
	if err != nil || !tooLarge || len(out) != 101 {
		t.Fatalf("under a limit: %d bytes, too large %v, %v", len(out), tooLarge, err)
	}
	if _, _, err := Decompress(gz, []byte("not gzip"), 100); err == nil {
		t.Fatal("garbage decompressed")
	}
}

func TestMetadataValues(t *testing.T) {
	if got := SplitBinary([]string{"AAE, /w==", "AQ"}); len(got) != 3 || got[0] != "AAE" || got[1] != "/w==" || got[2] != "AQ" {
		t.Fatalf("SplitBinary = %q", got)
	}
	if got := EncodeValue("x-id-bin", "\x00\x01"); got != "AAE" {
		t.Fatalf("EncodeValue of binary = %q", got)
	}
	if got := EncodeValue("x-id", "a, b"); got != "a, b" {
		t.Fatalf("EncodeValue of text = %q", got)
	}
	for k, want := range map[string]bool{":authority": true, "grpc-timeout": true, "te": true, "grpc-message-type": true, "x-custom": false, "grpc-status-details-bin": false} {
		if IsReservedHeader(k) != want {
			t.Errorf("IsReservedHeader(%q) = %v", k, !want)
		}
	}
}

func TestMessageReader(t *testing.T) {
	msg := []byte("hello")
	r := NewMessageReader(FlagCompressed, msg, 10)
	flags, p, err := r.Next()
	if err != nil || flags != FlagCompressed || &p[0] != &msg[0] {
		t.Fatalf("the message: %d %q %v (copied: %v)", flags, p, err, err == nil && &p[0] != &msg[0])
	}
	if _, _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the message: %v", err)
	}
	var tl *FrameTooLargeError
	if _, _, err := NewMessageReader(0, make([]byte, 11), 10).Next(); !errors.As(err, &tl) {
		t.Fatalf("over the limit: %v", err)
	}
	if _, p, err := NewMessageReader(0, nil, 10).Next(); err != nil || len(p) != 0 {
		t.Fatalf("an empty message: %q %v", p, err)
	}
}
