package protocol

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// connectUnaryProtocol is Connect's unary protocol: one bare message each
// way, by POST or (for methods without side effects) GET with the message
// in the query; the status is the HTTP status and, on error, a JSON body.
// Nothing is sent before the call ends.
type connectUnaryProtocol struct{}

var connectUnary wireFormat = &connectUnaryProtocol{}

// maxUnaryBody bounds how much of a Connect unary request body is read into
// memory before the server's own message size limit can apply.
const maxUnaryBody = 64 << 20

func (*connectUnaryProtocol) String() string { return "Connect unary" }

func (*connectUnaryProtocol) match(r *http.Request, ct string) (string, bool) {
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		if !q.Has("message") && q.Get("connect") != "v1" {
			return "", false
		}
		if enc := q.Get("encoding"); enc != "" {
			return enc, true
		}
		return "proto", true
	}
	return strings.CutPrefix(ct, "application/")
}

func (*connectUnaryProtocol) allowsGET() bool { return true }

func (*connectUnaryProtocol) timeout(r *http.Request) (time.Duration, *status.Status) {
	return connectTimeout(r)
}

func (*connectUnaryProtocol) encodings(r *http.Request) (enc, accept string) {
	if r.Method == http.MethodGet {
		enc = r.URL.Query().Get("compression")
	} else {
		enc = r.Header.Get("Content-Encoding")
	}
	return enc, r.Header.Get("Accept-Encoding")
}

func (*connectUnaryProtocol) openBody(c *Conn) *status.Status {
	var msg []byte
	compressed := false
	if c.r.Method == http.MethodGet {
		q := c.r.URL.Query()
		m := q.Get("message")
		if q.Get("base64") == "1" {
			b, err := wire.DecodeBinary(m)
			if err != nil {
				return status.Newf(codes.InvalidArgument, "message query parameter is not base64: %v", err)
			}
			msg = b
		} else {
			msg = []byte(m)
		}
		compressed = q.Get("compression") != "" && q.Get("compression") != "identity"
	} else {
		ce := c.r.Header.Get("Content-Encoding")
		flags := byte(0)
		if ce != "" && ce != "identity" {
			flags = wire.FlagCompressed
		}
		mb, inMemory := c.r.Body.(*httpx.MemoryBody)
		switch n := c.r.ContentLength; {
		case inMemory:
			// The event's body: the message is in memory already.
			msg = mb.Bytes()
		case n >= 0 && n <= maxUnaryBody:
			// The length is known: frame the body without copying it.
			hdr := wire.AppendHeader(nil, flags, int(n))
			c.bodyLen = n + wire.HeaderLen
			c.body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(hdr), io.LimitReader(c.r.Body, n)), c.r.Body}
			return nil
		default:
			b, err := io.ReadAll(io.LimitReader(c.r.Body, maxUnaryBody+1))
			if err != nil {
				return status.Newf(codes.Internal, "reading the request body: %v", err)
			}
			if len(b) > maxUnaryBody {
				return status.Newf(codes.ResourceExhausted, "request body exceeds %d bytes", maxUnaryBody)
			}
			msg = b
		}
		compressed = flags != 0
	}
	c.unary, c.unaryIn = msg, true
	if compressed {
		c.unaryFlag = wire.FlagCompressed
	}
	// Messages reads c.unary itself; ServeHTTP gets it framed, without a
	// copy.
	hdr := wire.AppendHeader(nil, c.unaryFlag, len(msg))
	c.bodyLen = int64(wire.HeaderLen + len(msg))
	c.body = io.NopCloser(io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(msg)))
	return nil
}

// commit does nothing: the status line depends on the call's outcome.
func (*connectUnaryProtocol) commit(*Conn) {}

func (*connectUnaryProtocol) write(c *Conn, p []byte) error {
	c.hold(p)
	if !c.fits(c.pending) {
		return c.tooLarge()
	}
	return nil
}

func (*connectUnaryProtocol) flush(*Conn) {}

func (*connectUnaryProtocol) end(c *Conn, st *status.Status) {
	out := c.w.Header()
	c.copyHeaders(out)
	for k, vs := range c.trailers(st) {
		out["Trailer-"+k] = vs
	}
	if st.Code() == codes.OK {
		flags, msg, _, ok, _ := wire.NextFrame(c.pending, 0)
		if ok {
			out.Set("Content-Type", "application/"+c.codec)
			if flags&wire.FlagCompressed != 0 {
				out.Set("Content-Encoding", c.enc)
			}
			c.committed = true
			c.w.WriteHeader(http.StatusOK)
			_, _ = c.w.Write(msg)
			return
		}
		st = status.New(codes.Internal, "the server sent no response message")
	}
	body, _ := json.Marshal(wire.NewConnectError(st))
	out.Del("Content-Encoding")
	out.Set("Content-Type", "application/json")
	c.committed = true
	code := wire.ConnectHTTPStatus(st.Code())
	if st.Code() == codes.Unimplemented && (c.HasMethod == nil || !c.HasMethod(c.method)) {
		// Connect answers a path that names no method like any unknown URL.
		code = http.StatusNotFound
	}
	c.w.WriteHeader(code)
	_, _ = c.w.Write(body)
}
