package eventsource

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// streamWriter writes a streamed HTTP-integration response: the prelude
// and eight NUL bytes when the headers are committed, then body bytes,
// handed to the Runtime API connection at every Flush.
type streamWriter struct {
	shape     shape
	header    http.Header
	committed bool
	buf       []byte
	preludeAt int // len(buf) after the prelude, while it has not been flushed
	sent      int
	dst       io.Writer
	err       error
}

func newStreamWriter(s shape, dst io.Writer) *streamWriter {
	return &streamWriter{shape: s, header: make(http.Header, 4), dst: dst}
}

func (w *streamWriter) Header() http.Header { return w.header }

func (w *streamWriter) WriteHeader(code int) {
	if w.committed {
		return
	}
	w.committed = true
	p := w.shape.prelude(code, w.header)
	b, _ := json.Marshal(&p)
	w.buf = append(append(w.buf, b...), runtimeapi.PreludeDelimiter[:]...)
	w.preludeAt = len(w.buf)
}

func (w *streamWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if !w.committed {
		w.WriteHeader(http.StatusOK)
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Flush sends what has been written.
func (w *streamWriter) Flush() {
	if w.err != nil || len(w.buf) == 0 {
		return
	}
	n, err := w.dst.Write(w.buf)
	w.sent += n
	w.buf = w.buf[:0]
	w.preludeAt = 0
	if err != nil {
		w.err = err
	}
}

// Fits implements httpx.LimitedWriter.
func (w *streamWriter) Fits(p []byte) bool {
	return w.sent+len(w.buf)+len(p)+httpx.TrailerReserve <= runtimeapi.MaxStreamedResponse
}

// LimitError implements httpx.LimitedWriter.
func (w *streamWriter) LimitError() string {
	return fmt.Sprintf("the response exceeds Lambda's streamed response limit of %d bytes", runtimeapi.MaxStreamedResponse)
}

// Discard implements httpx.LimitedWriter.
func (w *streamWriter) Discard() {
	if w.preludeAt > 0 {
		w.buf = w.buf[:w.preludeAt]
	}
}

// finish sends what is left; the caller then closes the stream.
func (w *streamWriter) finish() error {
	if !w.committed {
		w.WriteHeader(http.StatusOK)
	}
	w.Flush()
	return w.err
}
