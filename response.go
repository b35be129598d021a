package lambdagrpc

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// bufferedWriter builds a buffered Lambda HTTP response: the JSON document
// of the event's source, with the body encoded straight into it as it is
// written, so the payload is copied once and the encoded size is known
// exactly at every write.
type bufferedWriter struct {
	info      *eventInfo
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

func newBufferedWriter(info *eventInfo, limit int) *bufferedWriter {
	return &bufferedWriter{info: info, header: make(http.Header, 4), limit: limit}
}

func (w *bufferedWriter) Header() http.Header { return w.header }

func (w *bufferedWriter) WriteHeader(code int) {
	if w.committed {
		return
	}
	w.committed = true
	w.status = code
	w.text = isTextual(w.header.Get("Content-Type"), w.header.Get("Content-Encoding"))
	w.out = appendResponseHead(w.out[:0], w.info, code, w.header)
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

func (w *bufferedWriter) Fits(p []byte) bool {
	used := len(w.out) + 2 // closing `"}`
	if !w.committed {
		used += 512 // the head is not built yet; a generous estimate
	}
	return used+w.encodedLen(p)+httpx.TrailerReserve <= w.limit
}

func (w *bufferedWriter) LimitError() string {
	return fmt.Sprintf("the response exceeds Lambda's buffered response limit of %d bytes (after base64 encoding); stream it instead: configure the function URL with InvokeMode RESPONSE_STREAM and set %s=RESPONSE_STREAM", w.limit, EnvInvokeMode)
}

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

// appendResponseHead appends the opening of a response document up to the
// body fields: statusCode and the headers in the shape the source wants.
func appendResponseHead(b []byte, info *eventInfo, code int, h http.Header) []byte {
	b = append(b, `{"statusCode":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	if info.source == events.SourceALB {
		b = append(b, `,"statusDescription":`...)
		b = strconv.AppendQuote(b, strconv.Itoa(code)+" "+http.StatusText(code))
	}
	var cookies []string
	if info.source == events.SourceV2 {
		cookies = h.Values("Set-Cookie")
	}
	if info.multiValue {
		b = append(b, `,"multiValueHeaders":`...)
		b = appendHeaderMap(b, h, true, false)
	} else {
		b = append(b, `,"headers":`...)
		b = appendHeaderMap(b, h, false, info.source == events.SourceV2)
	}
	if len(cookies) > 0 {
		c, _ := json.Marshal(cookies)
		b = append(b, `,"cookies":`...)
		b = append(b, c...)
	}
	return append(b, ',')
}

// appendHeaderMap appends h as a JSON object of arrays (multi) or of
// strings, repeated values joined by commas. Payload 2.0 takes cookies in
// their own field, so Set-Cookie is left out there.
func appendHeaderMap(b []byte, h http.Header, multi, skipCookies bool) []byte {
	b = append(b, '{')
	first := true
	for k, vs := range h {
		if len(vs) == 0 || (skipCookies && k == "Set-Cookie") {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = appendJSONString(b, []byte(strings.ToLower(k)))
		b = append(b, '"', ':')
		if multi {
			b = append(b, '[')
			for i, v := range vs {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, '"')
				b = appendJSONString(b, []byte(v))
				b = append(b, '"')
			}
			b = append(b, ']')
			continue
		}
		b = append(b, '"')
		for i, v := range vs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, []byte(v))
		}
		b = append(b, '"')
	}
	return append(b, '}')
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

const hexDigits = "0123456789abcdef"

// appendJSONString appends p escaped for the inside of a JSON string.
// Invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONString(b, p []byte) []byte {
	start := 0
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, p[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, p[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, p[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&15])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, p[start:]...)
}

// jsonStringLen is len(appendJSONString(nil, p)) without building it.
func jsonStringLen(p []byte) int {
	n := 0
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// streamWriter writes a streamed HTTP-integration response: the prelude
// and eight NUL bytes when the headers are committed, then body bytes,
// handed to the Runtime API connection at every Flush.
type streamWriter struct {
	info      *eventInfo
	header    http.Header
	committed bool
	buf       []byte
	preludeAt int // len(buf) after the prelude, while it has not been flushed
	sent      int
	dst       io.Writer
	err       error
}

func newStreamWriter(info *eventInfo, dst io.Writer) *streamWriter {
	return &streamWriter{info: info, header: make(http.Header, 4), dst: dst}
}

func (w *streamWriter) Header() http.Header { return w.header }

func (w *streamWriter) WriteHeader(code int) {
	if w.committed {
		return
	}
	w.committed = true
	p := events.StreamPrelude{StatusCode: code}
	cookies := w.header.Values("Set-Cookie")
	if w.info.multiValue {
		p.MultiValueHeaders = make(map[string][]string, len(w.header))
	} else {
		p.Headers = make(map[string]string, len(w.header))
	}
	for k, vs := range w.header {
		lk := strings.ToLower(k)
		if k == "Set-Cookie" && !w.info.multiValue {
			continue
		}
		if w.info.multiValue {
			p.MultiValueHeaders[lk] = vs
		} else {
			p.Headers[lk] = strings.Join(vs, ",")
		}
	}
	if !w.info.multiValue {
		p.Cookies = cookies
	}
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

func (w *streamWriter) Fits(p []byte) bool {
	return w.sent+len(w.buf)+len(p)+httpx.TrailerReserve <= runtimeapi.MaxStreamedResponse
}

func (w *streamWriter) LimitError() string {
	return fmt.Sprintf("the response exceeds Lambda's streamed response limit of %d bytes", runtimeapi.MaxStreamedResponse)
}

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
