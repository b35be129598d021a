// Package eventstream reads and writes the AWS event stream framing that
// Lambda's InvokeWithResponseStream answers with: length-prefixed messages
// whose prelude and whole are each covered by a CRC32, carrying typed
// headers and a payload.
package eventstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Header value types; only strings are written, every type is read.
const (
	typeTrue      = 0
	typeFalse     = 1
	typeByte      = 2
	typeInt16     = 3
	typeInt32     = 4
	typeInt64     = 5
	typeBytes     = 6
	typeString    = 7
	typeTimestamp = 8
	typeUUID      = 9
)

const (
	preludeLen = 12
	crcLen     = 4
	// MaxMessage bounds a message (prelude, headers, payload and CRC); AWS
	// allows 16 MiB.
	MaxMessage = 16 << 20
	maxHeaders = 128 << 10
)

// Message is one event stream message. Header values read from the wire are
// converted to strings ("true", decimal integers, hex for bytes and UUIDs).
type Message struct {
	Headers map[string]string
	Payload []byte
}

// Append appends the encoding of m, writing headers in the given order
// (names is the list of header names; headers missing from m are skipped).
func Append(dst []byte, names []string, m Message) ([]byte, error) {
	var hdr []byte
	for _, name := range names {
		v, ok := m.Headers[name]
		if !ok {
			continue
		}
		if len(name) > 255 || len(v) > 32767 {
			return dst, fmt.Errorf("event stream header %q is too long", name)
		}
		hdr = append(hdr, byte(len(name)))
		hdr = append(hdr, name...)
		hdr = append(hdr, typeString)
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(len(v)))
		hdr = append(hdr, v...)
	}
	total := preludeLen + len(hdr) + len(m.Payload) + crcLen
	if total > MaxMessage {
		return dst, fmt.Errorf("event stream message of %d bytes exceeds %d", total, MaxMessage)
	}
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(total))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(hdr)))
	dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:start+8]))
	dst = append(dst, hdr...)
	dst = append(dst, m.Payload...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:])), nil
}

// ErrCRC reports a message whose checksum does not match.
var ErrCRC = errors.New("event stream: checksum mismatch")

// Reader reads messages from a stream.
type Reader struct {
	r   io.Reader
	buf []byte
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Next reads the next message. It returns io.EOF at a clean end between
// messages and io.ErrUnexpectedEOF inside one.
func (r *Reader) Next() (*Message, error) {
	var prelude [preludeLen]byte
	if _, err := io.ReadFull(r.r, prelude[:]); err != nil {
		return nil, err
	}
	total := binary.BigEndian.Uint32(prelude[0:4])
	hlen := binary.BigEndian.Uint32(prelude[4:8])
	if crc32.ChecksumIEEE(prelude[:8]) != binary.BigEndian.Uint32(prelude[8:12]) {
		return nil, fmt.Errorf("%w in a message prelude", ErrCRC)
	}
	if total < preludeLen+crcLen || total > MaxMessage || hlen > maxHeaders || hlen > total-preludeLen-crcLen {
		return nil, fmt.Errorf("event stream: invalid message lengths (total %d, headers %d)", total, hlen)
	}
	if cap(r.buf) < int(total) {
		r.buf = make([]byte, total)
	}
	msg := r.buf[:total]
	copy(msg, prelude[:])
	if _, err := io.ReadFull(r.r, msg[preludeLen:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if crc32.ChecksumIEEE(msg[:total-crcLen]) != binary.BigEndian.Uint32(msg[total-crcLen:]) {
		return nil, ErrCRC
	}
	headers, err := parseHeaders(msg[preludeLen : preludeLen+hlen])
	if err != nil {
		return nil, err
	}
	payload := bytes.Clone(msg[preludeLen+hlen : total-crcLen])
	return &Message{Headers: headers, Payload: payload}, nil
}

func parseHeaders(b []byte) (map[string]string, error) {
	h := make(map[string]string, 4)
	bad := errors.New("event stream: malformed headers")
	for len(b) > 0 {
		n := int(b[0])
		if len(b) < 1+n+1 || n == 0 {
			return nil, bad
		}
		name := string(b[1 : 1+n])
		typ := b[1+n]
		b = b[2+n:]
		var v string
		switch typ {
		case typeTrue:
			v = "true"
		case typeFalse:
			v = "false"
		case typeByte:
			if len(b) < 1 {
				return nil, bad
			}
			v, b = fmt.Sprint(int8(b[0])), b[1:]
		case typeInt16:
			if len(b) < 2 {
				return nil, bad
			}
			v, b = fmt.Sprint(int16(binary.BigEndian.Uint16(b))), b[2:]
		case typeInt32:
			if len(b) < 4 {
				return nil, bad
			}
			v, b = fmt.Sprint(int32(binary.BigEndian.Uint32(b))), b[4:]
		case typeInt64, typeTimestamp:
			if len(b) < 8 {
				return nil, bad
			}
			v, b = fmt.Sprint(int64(binary.BigEndian.Uint64(b))), b[8:]
		case typeBytes, typeString:
			if len(b) < 2 {
				return nil, bad
			}
			l := int(binary.BigEndian.Uint16(b))
			if len(b) < 2+l {
				return nil, bad
			}
			if typ == typeString {
				v = string(b[2 : 2+l])
			} else {
				v = fmt.Sprintf("%x", b[2:2+l])
			}
			b = b[2+l:]
		case typeUUID:
			if len(b) < 16 {
				return nil, bad
			}
			v, b = fmt.Sprintf("%x", b[:16]), b[16:]
		default:
			return nil, fmt.Errorf("event stream: unknown header type %d", typ)
		}
		h[name] = v
	}
	return h, nil
}
