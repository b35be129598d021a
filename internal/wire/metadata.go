package wire

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// IsBinaryKey reports whether a metadata key carries binary values.
func IsBinaryKey(key string) bool {
	return len(key) > 4 && strings.EqualFold(key[len(key)-4:], "-bin")
}

// EncodeBinary encodes a binary metadata value as gRPC sends it: standard
// base64 without padding.
func EncodeBinary(v []byte) string {
	return base64.RawStdEncoding.EncodeToString(v)
}

// DecodeBinary decodes a binary metadata value, accepting padded and
// unpadded, standard and URL-safe base64 as the gRPC spec asks receivers to.
func DecodeBinary(v string) ([]byte, error) {
	v = strings.TrimRight(v, "=")
	if strings.ContainsAny(v, "-_") {
		return base64.RawURLEncoding.DecodeString(v)
	}
	return base64.RawStdEncoding.DecodeString(v)
}

// EncodeValue encodes a metadata value for a header: binary (-bin) values
// in base64, others as they are.
func EncodeValue(key, v string) string {
	if IsBinaryKey(key) {
		return EncodeBinary([]byte(v))
	}
	return v
}

// SplitBinary splits the values of a -bin header into single base64
// values: HTTP stacks and front doors may join repeated headers with
// commas, which base64 never contains.
func SplitBinary(vs []string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		for part := range strings.SplitSeq(v, ",") {
			out = append(out, strings.TrimSpace(part))
		}
	}
	return out
}

// EncodeMessage percent-encodes a status message for the grpc-message
// header: bytes outside printable ASCII, and '%', become %XX.
func EncodeMessage(msg string) string {
	i := 0
	for ; i < len(msg); i++ {
		if c := msg[i]; c < 0x20 || c > 0x7e || c == '%' {
			break
		}
	}
	if i == len(msg) {
		return msg
	}
	var b strings.Builder
	b.Grow(len(msg) + 16)
	b.WriteString(msg[:i])
	const hex = "0123456789ABCDEF"
	for ; i < len(msg); i++ {
		c := msg[i]
		if c < 0x20 || c > 0x7e || c == '%' {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// DecodeMessage reverses EncodeMessage. Malformed escapes are kept as they
// are, and invalid UTF-8 is replaced, because a status message is for people
// and must never fail a call.
func DecodeMessage(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, ok1 := unhex(s[i+1]); ok1 {
				if l, ok2 := unhex(s[i+2]); ok2 {
					b = append(b, h<<4|l)
					i += 2
					continue
				}
			}
		}
		b = append(b, s[i])
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hopHeaders are connection-level HTTP headers that never become metadata.
var hopHeaders = map[string]bool{
	"connection":          true,
	"keep-alive":          true,
	"proxy-connection":    true,
	"transfer-encoding":   true,
	"upgrade":             true,
	"te":                  true,
	"trailer":             true,
	"host":                true,
	"content-length":      true,
	"proxy-authenticate":  true,
	"proxy-authorization": true,
}

// IsHopHeader reports whether a lower-case header name is connection-level
// and must not be forwarded as metadata.
func IsHopHeader(lower string) bool { return hopHeaders[lower] }

// IsReservedHeader reports whether a lower-case header name is one grpc-go
// keeps out of the application's metadata, in both directions.
func IsReservedHeader(lower string) bool {
	if lower != "" && lower[0] == ':' {
		return true
	}
	switch lower {
	case "content-type", "user-agent", "grpc-message-type", "grpc-encoding", "grpc-message", "grpc-status", "grpc-timeout", "te":
		return true
	}
	return false
}

// IsProtocolHeader reports whether a lower-case header name belongs to the
// gRPC, gRPC-Web or Connect protocol itself rather than to the application's
// metadata.
func IsProtocolHeader(lower string) bool {
	switch lower {
	case "content-type", "content-encoding", "accept-encoding", "x-grpc-web", "x-user-agent",
		"grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "grpc-status", "grpc-message",
		"grpc-status-details-bin", "connect-protocol-version", "connect-timeout-ms",
		"connect-content-encoding", "connect-accept-encoding":
		return true
	}
	return strings.HasPrefix(lower, ":")
}

// IsUnsendableKey reports whether a lower-case metadata key cannot be an
// application's metadata carried in a message attribute: a key of the gRPC
// protocol ("grpc-" ones among them), a protocol header of gRPC-Web or
// Connect, a key grpc-go reserves, or a connection-level header. The async
// client refuses such keys before sending, and the function refuses them
// on receipt, by this one rule.
func IsUnsendableKey(lower string) bool {
	return strings.HasPrefix(lower, "grpc-") || IsProtocolHeader(lower) || IsReservedHeader(lower) || IsHopHeader(lower)
}

// IsPrintable reports whether v can be an ASCII metadata value: printable
// ASCII only, 0x20 to 0x7e.
func IsPrintable(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// AppendTrailerBlock appends the gRPC-Web trailer block for h: one
// "name: value\r\n" line per value, names in lower case.
func AppendTrailerBlock(dst []byte, h http.Header) []byte {
	for k, vs := range h {
		lk := strings.ToLower(k)
		for _, v := range vs {
			dst = append(dst, lk...)
			dst = append(dst, ':', ' ')
			dst = append(dst, v...)
			dst = append(dst, '\r', '\n')
		}
	}
	return dst
}

// ParseTrailerBlock parses a gRPC-Web trailer block. Lines may end in CRLF
// or LF; a line without a colon is an error.
func ParseTrailerBlock(p []byte) (http.Header, error) {
	h := make(http.Header)
	for len(p) > 0 {
		var line []byte
		if i := strings.IndexByte(string(p), '\n'); i >= 0 {
			line, p = p[:i], p[i+1:]
		} else {
			line, p = p, nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			continue
		}
		i := strings.IndexByte(string(line), ':')
		name := ""
		if i > 0 {
			name = strings.TrimSpace(string(line[:i]))
		}
		if name == "" {
			return nil, &TrailerError{Line: string(line)}
		}
		k := http.CanonicalHeaderKey(name)
		h[k] = append(h[k], strings.TrimSpace(string(line[i+1:])))
	}
	return h, nil
}

// TrailerError reports a malformed line in a gRPC-Web trailer block.
type TrailerError struct{ Line string }

func (e *TrailerError) Error() string {
	line := e.Line
	if len(line) > 64 {
		line = line[:64] + "…"
	}
	return "malformed gRPC-Web trailer line " + strconv.Quote(line)
}

// SplitWeb splits a complete gRPC-Web response body into its messages and
// its trailers (nil if the body has no trailer frame). It fails on a
// truncated frame and on anything after the trailer frame.
func SplitWeb(body []byte) (messages [][]byte, trailer http.Header, err error) {
	for len(body) > 0 {
		if trailer != nil {
			return nil, nil, errors.New("data after the gRPC-Web trailer frame")
		}
		flags, payload, rest, ok, _ := NextFrame(body, 0)
		if !ok {
			return nil, nil, fmt.Errorf("truncated gRPC-Web frame (%d bytes left)", len(body))
		}
		body = rest
		if flags&FlagWebTrailer == 0 {
			messages = append(messages, payload)
			continue
		}
		if trailer, err = ParseTrailerBlock(payload); err != nil {
			return nil, nil, err
		}
	}
	return messages, trailer, nil
}
