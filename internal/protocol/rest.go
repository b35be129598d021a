package protocol

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// Transcoder is the client's side of a call whose protocol lives outside
// this package: REST, in package rest. The transcoder has already turned
// the HTTP request into one request message; it sees the response as
// messages and a status, and writes them in its own form. Its methods are
// called from one goroutine at a time.
type Transcoder interface {
	// Metadata returns the metadata the handler sees, less the
	// content-type and :authority entries every protocol adds. The map is
	// the call's own: the Conn adds those entries to it.
	Metadata() metadata.MD
	// Message writes one response message, in the protobuf wire format;
	// header is the response's header metadata. b is only valid during
	// the call.
	Message(header metadata.MD, b []byte) error
	// Flush hands what was written to the client.
	Flush()
	// End writes the end of the response: the status, and the header and
	// trailer metadata.
	End(header, trailer metadata.MD, st *status.Status)
}

// MessageTaker is a Transcoder that can take a unary call's response
// message as it is, without its encoding.
type MessageTaker interface {
	// Takes reports whether the transcoder takes m: it is of the Go type
	// the transcoder decodes a unary call's response into.
	Takes(m proto.Message) bool
	// TakeMessage is Message for a message Takes accepted. m is the
	// handler's, which no longer touches it; the transcoder only reads it.
	TakeMessage(header metadata.MD, m proto.Message) error
}

// Takes reports whether the call's client side takes the response m as
// it is (SendResponseMessage), without its encoding.
func (c *Conn) Takes(m proto.Message) bool {
	t, ok := c.x.(MessageTaker)
	return ok && !c.overflow && len(c.pending) == 0 && t.Takes(m)
}

// SendResponseMessage is SendMessage for a message Takes accepted.
func (c *Conn) SendResponseMessage(m proto.Message) error {
	if c.overflow {
		return ErrResponseTooLarge
	}
	return c.x.(MessageTaker).TakeMessage(c.header, m)
}

// transcodedProtocol adapts a Transcoder to the wireFormat a Conn drives:
// the request is one message in memory, and the response's native frames
// are cut back into messages.
type transcodedProtocol struct{}

var transcoded wireFormat = &transcodedProtocol{}

// OpenTranscoded returns the Conn of a call to method
// ("/package.Service/Method") that t transcodes; req is the request
// message in the protobuf wire format.
func OpenTranscoded(w http.ResponseWriter, r *http.Request, method string, req []byte, t Transcoder) *Conn {
	return &Conn{w: w, r: r, p: transcoded, x: t, codec: "proto", method: method, bodyLen: int64(len(req)), unary: req}
}

// MessageSource is a Transcoder whose request message is not yet encoded
// (OpenTranscodedMessage).
type MessageSource interface {
	Transcoder
	// RequestMessage returns the request message. It must encode without
	// error: it holds valid UTF-8 and its required fields (Encodable), and
	// the transcoder does not touch it again.
	RequestMessage() proto.Message
}

// OpenTranscodedMessage is OpenTranscoded for a request message not yet
// encoded, t's: a dispatcher that can take it as it is (RequestMessage)
// never encodes it; anything that reads the request's bytes has it
// encoded then.
func OpenTranscodedMessage(w http.ResponseWriter, r *http.Request, method string, t MessageSource) *Conn {
	return &Conn{w: w, r: r, p: transcoded, x: t, codec: "proto", method: method, bodyLen: -1}
}

// RequestMessage returns a transcoded call's request message when it has
// not been encoded, else nil. The dispatcher that takes it must not read
// the request's bytes as well.
func (c *Conn) RequestMessage() proto.Message {
	if c.unary != nil {
		return nil
	}
	if ms, ok := c.x.(MessageSource); ok {
		return ms.RequestMessage()
	}
	return nil
}

// encodeRequest encodes the request message of OpenTranscodedMessage's
// transcoder, once.
func (c *Conn) encodeRequest() {
	m := c.RequestMessage()
	if m == nil {
		return
	}
	// The transcoder checked what Marshal checks: it can only fail past
	// protobuf's 2 GiB limit, far beyond any request body a front door
	// accepts. An empty slice stands for an empty message.
	b, _ := proto.Marshal(m)
	if b == nil {
		b = []byte{}
	}
	c.unary, c.bodyLen = b, int64(len(b))
}

func (*transcodedProtocol) String() string { return "REST" }

// match is never asked: transcoded calls are opened by OpenTranscoded.
func (*transcodedProtocol) match(*http.Request, string) (string, bool) { return "", false }

func (*transcodedProtocol) allowsGET() bool { return true }

// timeout reads Grpc-Timeout, as grpc-gateway does.
func (*transcodedProtocol) timeout(r *http.Request) (time.Duration, *status.Status) {
	return grpcTimeout(r)
}

// encodings: the messages never leave the process, so nothing is
// compressed.
func (*transcodedProtocol) encodings(*http.Request) (enc, accept string) { return "", "" }

func (*transcodedProtocol) openBody(c *Conn) *status.Status {
	c.unaryIn = true
	return nil
}

// commit sends nothing: the transcoder writes its headers with the first
// message or the end.
func (*transcodedProtocol) commit(*Conn) {}

// write collects native frames and hands each whole message on.
func (*transcodedProtocol) write(c *Conn, p []byte) error {
	c.pending = append(c.pending, p...)
	for len(c.pending) >= 5 {
		n := binary.BigEndian.Uint32(c.pending[1:5])
		if uint64(len(c.pending)-5) < uint64(n) {
			return nil
		}
		if c.pending[0]&1 != 0 {
			return status.Error(codes.Internal, "the server compressed a response message that no client asked to be compressed")
		}
		if err := c.x.Message(c.header, c.pending[5:5+n]); err != nil {
			return err
		}
		c.pending = c.pending[5+n:]
	}
	if len(c.pending) == 0 {
		c.pending = c.pending[:0]
	}
	return nil
}

// sendTranscoded hands a whole message to the transcoder without
// collecting its frame.
func (c *Conn) sendTranscoded(hdr []byte, payload mem.BufferSlice) error {
	if hdr[0]&1 != 0 {
		return status.Error(codes.Internal, "the server compressed a response message that no client asked to be compressed")
	}
	switch len(payload) {
	case 0:
		return c.x.Message(c.header, nil)
	case 1:
		return c.x.Message(c.header, payload[0].ReadOnlyData())
	}
	return c.x.Message(c.header, payload.Materialize())
}

func (*transcodedProtocol) flush(c *Conn) { c.x.Flush() }

func (*transcodedProtocol) end(c *Conn, st *status.Status) {
	c.x.End(c.header, c.trailer, st)
}

// transcodedMetadata is the metadata of a transcoded call, as Metadata
// returns it: the transcoder's own map, completed.
func (c *Conn) transcodedMetadata() metadata.MD {
	md := c.x.Metadata()
	if md == nil {
		md = make(metadata.MD, 2)
	}
	md["content-type"] = []string{"application/grpc+proto"}
	if c.r.Host != "" {
		md[":authority"] = []string{c.r.Host}
	}
	return md
}

// transcodedHeader is the native request header of a transcoded call: its
// metadata as headers.
func (c *Conn) transcodedHeader(deadline, now time.Time) http.Header {
	md := c.x.Metadata()
	h := make(http.Header, len(md)+3)
	for k, vs := range md {
		if strings.HasPrefix(k, ":") {
			continue
		}
		if wire.IsBinaryKey(k) {
			enc := make([]string, len(vs))
			for i, v := range vs {
				enc[i] = wire.EncodeBinary([]byte(v))
			}
			vs = enc
		}
		h[http.CanonicalHeaderKey(k)] = vs
	}
	h.Set("Content-Type", "application/grpc+proto")
	h.Set("Te", "trailers")
	if !deadline.IsZero() {
		h.Set("Grpc-Timeout", wire.FormatTimeout(deadline.Sub(now)))
	}
	return h
}

// transcodedBody reads a transcoded call's request message as one native
// frame, built on the first read: the direct path only closes it.
type transcodedBody struct {
	c *Conn
	r *bytes.Reader
}

func (b *transcodedBody) Read(p []byte) (int, error) {
	if b.r == nil {
		b.c.encodeRequest()
		msg := b.c.unary
		f := make([]byte, 5+len(msg))
		binary.BigEndian.PutUint32(f[1:5], uint32(len(msg)))
		copy(f[5:], msg)
		b.r = bytes.NewReader(f)
	}
	return b.r.Read(p)
}

// Close implements io.Closer.
func (*transcodedBody) Close() error { return nil }
