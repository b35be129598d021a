package eventsource

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
)

// envInvokeMode is lambdagrpc.EnvInvokeMode, which the limit error tells
// the reader to set (an internal package cannot import the root).
const envInvokeMode = "LAMBDAGRPC_INVOKE_MODE"

// bufferedWriter builds a buffered Lambda HTTP response: the JSON document
// of the event's shape, with the body encoded straight into it as it is
// written, so the payload is copied once and the encoded size is known
// exactly at every write.
type bufferedWriter struct {
	shape     shape
	header    http.Header
	status    int
	committed bool
	text      bool // body as a JSON string rather than base64
	out       []byte
	bodyStart int
	carry     [3]byte // bytes waiting for a whole base64 quantum
	ncarry    int
	limit     int
}

// headRoom is the first capacity of a response document's buffer.
const headRoom = 512

func newBufferedWriter(s shape, limit int) *bufferedWriter {
	return &bufferedWriter{shape: s, header: make(http.Header, 4), limit: limit}
}

func (w *bufferedWriter) Header() http.Header { return w.header }

func (w *bufferedWriter) WriteHeader(code int) {
	if w.committed {
		return
	}
	w.committed = true
	w.status = code
	w.text = isTextual(w.header.Get("Content-Type"), w.header.Get("Content-Encoding"))
	if w.out == nil && w.text {
		// Room for a head and a small JSON body in one allocation.
		w.out = make([]byte, 0, headRoom)
	}
	w.out = w.shape.appendHead(w.out[:0], code, w.header)
	if w.text {
		w.out = append(w.out, `"isBase64Encoded":false,"body":"`...)
	} else {
		w.out = append(w.out, `"isBase64Encoded":true,"body":"`...)
	}
	w.bodyStart = len(w.out)
}

func (w *bufferedWriter) Write(p []byte) (int, error) {
	if !w.committed {
		if w.header.Get("Content-Type") == "" {
			w.header.Set("Content-Type", http.DetectContentType(p))
		}
		w.WriteHeader(http.StatusOK)
	}
	if w.text {
		w.reserve(len(p))
		w.out = appendJSONString(w.out, p)
		return len(p), nil
	}
	w.reserve(base64.StdEncoding.EncodedLen(len(p) + 3))
	n := len(p)
	if w.ncarry > 0 {
		for w.ncarry < 3 && len(p) > 0 {
			w.carry[w.ncarry] = p[0]
			w.ncarry++
			p = p[1:]
		}
		if w.ncarry < 3 {
			return n, nil
		}
		w.out = base64.StdEncoding.AppendEncode(w.out, w.carry[:3:3])
		w.ncarry = 0
	}
	whole := len(p) / 3 * 3
	w.out = base64.StdEncoding.AppendEncode(w.out, p[:whole])
	w.ncarry = copy(w.carry[:], p[whole:])
	return n, nil
}

// reserve makes room for n more bytes, at least doubling the buffer when
// it grows, so that a long stream of small messages costs each byte about
// one copy rather than the several of append's gentler growth.
func (w *bufferedWriter) reserve(n int) {
	if cap(w.out)-len(w.out) < n {
		w.out = slices.Grow(w.out, max(n, cap(w.out)))
	}
}

// Flush does nothing: a buffered response leaves in one piece.
func (w *bufferedWriter) Flush() {}

func (w *bufferedWriter) encodedLen(p []byte) int {
	if w.text {
		return jsonStringLen(p)
	}
	return base64.StdEncoding.EncodedLen(w.ncarry + len(p))
}

// Fits implements httpx.LimitedWriter.
func (w *bufferedWriter) Fits(p []byte) bool {
	used := len(w.out) + 2 // closing `"}`
	if !w.committed {
		used += 512 // the head is not built yet; a generous estimate
	}
	return used+w.encodedLen(p)+httpx.TrailerReserve <= w.limit
}

// LimitError implements httpx.LimitedWriter.
func (w *bufferedWriter) LimitError() string {
	return fmt.Sprintf("the response exceeds Lambda's buffered response limit of %d bytes (after base64 encoding); stream it instead: configure the function URL with InvokeMode RESPONSE_STREAM and set %s=RESPONSE_STREAM", w.limit, envInvokeMode)
}

// Discard implements httpx.LimitedWriter.
func (w *bufferedWriter) Discard() {
	if w.committed {
		w.out = w.out[:w.bodyStart]
		w.ncarry = 0
	}
}

// finish returns the complete response document.
func (w *bufferedWriter) finish() []byte {
	if !w.committed {
		w.WriteHeader(http.StatusOK)
	}
	if w.ncarry > 0 {
		w.out = base64.StdEncoding.AppendEncode(w.out, w.carry[:w.ncarry])
		w.ncarry = 0
	}
	return append(w.out, '"', '}')
}

// isTextual reports whether a body of this content type and encoding goes
// into the response document as text: it is UTF-8 by definition (JSON,
// gRPC-Web text's base64), and base64 would only make it larger.
func isTextual(ct, encoding string) bool {
	if encoding != "" && !strings.EqualFold(encoding, "identity") {
		return false // compressed: binary whatever the type
	}
	ct = strings.ToLower(ct)
	return strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "text/") ||
		strings.HasPrefix(ct, "application/grpc-web-text")
}
