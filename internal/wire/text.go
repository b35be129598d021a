package wire

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// TextReader decodes a gRPC-Web text body: standard base64 that a sender may
// split into separately padded segments, so padding can appear between
// quanta and not only at the end.
type TextReader struct {
	r    io.Reader
	in   []byte // undecoded input: always fewer than 4 bytes between reads
	out  []byte // decoded, not yet returned
	buf  []byte
	dec  []byte
	err  error
	read int64 // input bytes consumed, for error messages
}

// NewTextReader returns a reader of the bytes encoded in r.
func NewTextReader(r io.Reader) *TextReader {
	return &TextReader{r: r}
}

// Read implements io.Reader.
func (t *TextReader) Read(p []byte) (int, error) {
	for len(t.out) == 0 {
		if t.err != nil {
			return 0, t.err
		}
		t.fill()
	}
	n := copy(p, t.out)
	t.out = t.out[n:]
	return n, nil
}

func (t *TextReader) fill() {
	if t.buf == nil {
		t.buf = make([]byte, 16<<10)
	}
	k := copy(t.buf, t.in) // at most 3 bytes left over from the last read
	n, err := t.r.Read(t.buf[k:])
	chunk := stripNewlines(t.buf[:k+n])
	whole := len(chunk) / 4 * 4
	dec, derr := DecodeText(t.dec[:0], chunk[:whole])
	if derr != nil {
		t.err = fmt.Errorf("invalid gRPC-Web text body near byte %d: %w", t.read, derr)
		return
	}
	t.dec, t.out = dec, dec
	t.read += int64(whole)
	t.in = chunk[whole:]
	if err != nil {
		if errors.Is(err, io.EOF) && len(t.in) != 0 {
			err = fmt.Errorf("invalid gRPC-Web text body: %d trailing bytes do not form a base64 quantum: %w", len(t.in), io.ErrUnexpectedEOF)
		}
		t.err = err
	}
}

// Err returns the decoding error that stopped the reader, if any; the end of
// the input is not an error.
func (t *TextReader) Err() error {
	if errors.Is(t.err, io.EOF) {
		return nil
	}
	return t.err
}

// DecodedTextLen bounds how many bytes n bytes of gRPC-Web text decode to
// (-1 for an unknown n stays -1).
func DecodedTextLen(n int64) int64 {
	if n < 0 {
		return -1
	}
	return n/4*3 + 3
}

// DecodeText appends to dst the bytes encoded in src, a whole number of
// base64 quanta in which any quantum may carry padding.
func DecodeText(dst, src []byte) ([]byte, error) {
	if bytes.ContainsAny(src, "\r\n") {
		src = stripNewlines(bytes.Clone(src))
	}
	if len(src)%4 != 0 {
		return dst, fmt.Errorf("base64 length %d is not a multiple of 4", len(src))
	}
	for len(src) > 0 {
		end := len(src)
		if i := bytes.IndexByte(src, '='); i >= 0 {
			end = (i/4 + 1) * 4
		}
		need := base64.StdEncoding.DecodedLen(end)
		start := len(dst)
		dst = append(dst, make([]byte, need)...)
		m, err := base64.StdEncoding.Decode(dst[start:], src[:end])
		if err != nil {
			return dst[:start], err
		}
		dst = dst[:start+m]
		src = src[end:]
	}
	return dst, nil
}

// stripNewlines removes CR and LF in place, as encoding/base64 ignores them.
func stripNewlines(b []byte) []byte {
	if !bytes.ContainsAny(b, "\r\n") {
		return b
	}
	out := b[:0]
	for _, c := range b {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return out
}

// AppendText appends the padded standard base64 of src.
func AppendText(dst, src []byte) []byte {
	return base64.StdEncoding.AppendEncode(dst, src)
}
