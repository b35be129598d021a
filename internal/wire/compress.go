package wire

import (
	"bytes"
	"io"
	"math"

	"google.golang.org/grpc/encoding"
)

// Compress returns chunks, concatenated, compressed with c.
func Compress(c encoding.Compressor, chunks ...[]byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := c.Compress(&buf)
	if err != nil {
		return nil, err
	}
	for _, p := range chunks {
		if _, err := w.Write(p); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decompress returns p decompressed with c. It reads no more than max+1
// bytes of output (max < 0: no limit), so a small message cannot expand
// without bound; tooLarge reports output beyond max.
func Decompress(c encoding.Compressor, p []byte, max int) (out []byte, tooLarge bool, err error) {
	r, err := c.Decompress(bytes.NewReader(p))
	if err != nil {
		return nil, false, err
	}
	if cl, ok := r.(io.Closer); ok {
		defer func() { _ = cl.Close() }()
	}
	if max >= 0 && max < math.MaxInt64 {
		r = io.LimitReader(r, int64(max)+1)
	}
	if out, err = io.ReadAll(r); err != nil {
		return nil, false, err
	}
	return out, max >= 0 && len(out) > max, nil
}
