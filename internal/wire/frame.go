// Package wire holds the byte-level pieces of gRPC, gRPC-Web and Connect
// that the handler, the client and the bridge share: length-prefixed
// frames, the gRPC-Web trailer block and text (base64) mode, Connect errors
// and end-of-stream messages, timeouts, metadata encoding, and the mappings
// between status codes and HTTP statuses.
//
// Nothing in it knows about Lambda or net/http handlers; it only reads and
// writes bytes, so each piece is fuzzed on its own.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Frame flags. gRPC, gRPC-Web and Connect streaming all prefix each message
// with one flag byte and a four-byte big-endian length.
const (
	// FlagCompressed marks a compressed message in all three protocols.
	FlagCompressed byte = 0x01
	// FlagConnectEndStream marks the Connect end-of-stream message.
	FlagConnectEndStream byte = 0x02
	// FlagWebTrailer marks the gRPC-Web trailer block.
	FlagWebTrailer byte = 0x80
)

// HeaderLen is the size of a frame prefix.
const HeaderLen = 5

// ErrTruncated reports a frame whose body ended before its declared length.
var ErrTruncated = errors.New("truncated frame")

// FrameTooLargeError reports a frame longer than the reader allows.
type FrameTooLargeError struct {
	Length, Max int
}

func (e *FrameTooLargeError) Error() string {
	return fmt.Sprintf("frame of %d bytes exceeds the limit of %d bytes", e.Length, e.Max)
}

// AppendHeader appends a frame prefix for a payload of n bytes.
func AppendHeader(dst []byte, flags byte, n int) []byte {
	return append(dst, flags, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// AppendFrame appends a complete frame.
func AppendFrame(dst []byte, flags byte, payload []byte) []byte {
	return append(AppendHeader(dst, flags, len(payload)), payload...)
}

// ParseHeader reads a frame prefix. It returns the flags and the payload
// length.
func ParseHeader(p []byte) (flags byte, n int) {
	return p[0], int(binary.BigEndian.Uint32(p[1:5]))
}

// NextFrame splits the first frame off buf. It returns ok false when buf
// does not hold a whole frame yet, and an error when the declared length
// exceeds max (max <= 0 means no limit).
func NextFrame(buf []byte, max int) (flags byte, payload, rest []byte, ok bool, err error) {
	if len(buf) < HeaderLen {
		return 0, nil, buf, false, nil
	}
	flags, n := ParseHeader(buf)
	if (max > 0 && n > max) || n < 0 {
		return flags, nil, buf, false, &FrameTooLargeError{Length: n, Max: max}
	}
	if len(buf)-HeaderLen < n {
		return flags, nil, buf, false, nil
	}
	return flags, buf[HeaderLen : HeaderLen+n], buf[HeaderLen+n:], true, nil
}

// Reader reads frames from a stream. The zero value is not usable; use
// NewReader.
type Reader struct {
	r        io.Reader
	mem      []byte // the frames still to read, for a Reader of bytes
	inMem    bool
	one      bool // mem is a single unframed message, with these flags
	flags    byte
	max      int
	left     int64 // bytes r holds at most; -1: unknown
	trust    bool  // allocate what a frame announces, up to trustMax
	trustMax int
	alloc    func(int) []byte
	hdr      [HeaderLen]byte
}

// NewReader returns a Reader that rejects payloads longer than max bytes
// (max <= 0 means no limit).
func NewReader(r io.Reader, max int) *Reader {
	return &Reader{r: r, max: max, left: -1}
}

// NewBytesReader returns a Reader of the frames in b, which it returns as
// sub-slices of b, without copying: b must not change while they are in
// use. It rejects payloads longer than max bytes (max <= 0 means no limit).
func NewBytesReader(b []byte, max int) *Reader {
	return &Reader{mem: b, inMem: true, max: max, left: -1}
}

// NewMessageReader returns a Reader of one message, payload with flags, as
// if it had been framed (a Connect unary request's body): Next returns
// payload itself, then io.EOF. It rejects a payload longer than max bytes
// (max <= 0 means no limit).
func NewMessageReader(flags byte, payload []byte, max int) *Reader {
	return &Reader{mem: payload, inMem: true, one: true, flags: flags, max: max, left: -1}
}

// WithLength tells the Reader that r holds at most n bytes (a known
// Content-Length; n < 0: unknown). A frame that announces more is then
// truncated at once, and one that fits is read into a buffer of its exact
// size; without a length the buffer grows as bytes arrive (see ReadN).
func (r *Reader) WithLength(n int64) *Reader {
	r.left = max(n, -1)
	return r
}

// AllocWith makes the Reader take the buffers of frames whose length it
// trusts from alloc, which returns a slice of length n.
func (r *Reader) AllocWith(alloc func(n int) []byte) *Reader {
	r.alloc = alloc
	return r
}

func (r *Reader) buffer(n int) []byte {
	if r.alloc != nil {
		return r.alloc(n)
	}
	return make([]byte, n)
}

// TrustLengths makes the Reader allocate each frame's announced length (up
// to its max) at once, where it would otherwise grow the buffer as bytes
// arrive: for a peer that may make it allocate up to max for nothing, in
// exchange for one allocation per honest large frame.
func (r *Reader) TrustLengths() *Reader {
	return r.TrustLengthsUpTo(r.max)
}

// TrustLengthsUpTo is TrustLengths for frames that announce at most n
// bytes; longer ones (up to max) grow their buffer as bytes arrive. A
// Reader with a large max thus risks at most n bytes on a lying prefix.
func (r *Reader) TrustLengthsUpTo(n int) *Reader {
	r.trust, r.trustMax = n > 0 && r.max > 0, n
	return r
}

// Next reads the next frame into a new slice. It returns io.EOF only when
// the stream ends cleanly between frames, and ErrTruncated when it ends
// inside one.
func (r *Reader) Next() (flags byte, payload []byte, err error) {
	if r.one {
		if !r.inMem {
			return 0, nil, io.EOF
		}
		r.inMem = false
		if r.max > 0 && len(r.mem) > r.max {
			return r.flags, nil, &FrameTooLargeError{Length: len(r.mem), Max: r.max}
		}
		return r.flags, r.mem[:len(r.mem):len(r.mem)], nil
	}
	if r.inMem {
		if len(r.mem) == 0 {
			return 0, nil, io.EOF
		}
		flags, payload, rest, ok, err := NextFrame(r.mem, r.max)
		if err != nil {
			return flags, nil, err
		}
		if !ok {
			r.mem = nil
			return flags, nil, ErrTruncated
		}
		r.mem = rest
		return flags, payload[:len(payload):len(payload)], nil
	}
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, ErrTruncated
		}
		return 0, nil, err
	}
	flags, n := ParseHeader(r.hdr[:])
	if r.max > 0 && n > r.max {
		return flags, nil, &FrameTooLargeError{Length: n, Max: r.max}
	}
	switch {
	case r.left < 0 && (!r.trust || n > r.trustMax):
		payload, err = ReadN(r.r, n)
	case r.left < 0:
		payload = r.buffer(n)
		_, err = io.ReadFull(r.r, payload)
	case int64(n) > r.left-HeaderLen:
		return flags, nil, ErrTruncated
	default:
		r.left -= int64(HeaderLen + n)
		payload = r.buffer(n)
		_, err = io.ReadFull(r.r, payload)
	}
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return flags, nil, ErrTruncated
		}
		return flags, nil, err
	}
	return flags, payload, nil
}

const readChunk = 64 << 10

// ReadN reads exactly n bytes from r. Its buffer grows as the bytes
// arrive, so a length prefix that lies (4 GiB announced, five bytes sent)
// costs no more memory than what came. Short of n bytes it returns what
// came and io.ErrUnexpectedEOF (or io.EOF if nothing came).
func ReadN(r io.Reader, n int) ([]byte, error) {
	if n <= readChunk {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	b := make([]byte, 0, readChunk)
	for len(b) < n {
		if len(b) == cap(b) {
			// Double, up to n: what is allocated stays within twice what
			// has arrived, and an honest frame ends in a buffer of its size.
			nb := make([]byte, len(b), min(n, 2*cap(b)))
			copy(nb, b)
			b = nb
		}
		m, err := io.ReadFull(r, b[len(b):cap(b)])
		b = b[:len(b)+m]
		if errors.Is(err, io.EOF) && len(b) > 0 {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}
